import type { AwsClientConfig } from "@leadrelay/functions";
import { checkBrevo } from "@leadrelay/functions/adapters/brevo-check";
import { checkClose } from "@leadrelay/functions/adapters/close-check";
import { checkEventBus } from "@leadrelay/functions/adapters/event-bus-check";
import { createEventBridgeClient } from "@leadrelay/functions/adapters/event-publisher";
import { checkHubSpot, type HubSpotPropertyRef } from "@leadrelay/functions/adapters/hubspot-check";
import { checkLgm } from "@leadrelay/functions/adapters/lgm-check";
import { checkMetaPageToken, checkMetaPixel } from "@leadrelay/functions/adapters/meta-check";
import { checkLlm } from "@leadrelay/functions/adapters/openai-check";
import { checkSesSender } from "@leadrelay/functions/adapters/ses-checks";
import { createSesClient } from "@leadrelay/functions/adapters/ses-email";
import { checkSlackWebhook } from "@leadrelay/functions/adapters/slack-check";
import { checkTwilio } from "@leadrelay/functions/adapters/twilio-check";
import {
  type CheckOptions,
  type CheckResult,
  probe,
  result,
  runCheck,
} from "@leadrelay/functions/adapters/vendor-check";
import { checkZendesk } from "@leadrelay/functions/adapters/zendesk-check";
import { chosenActions, type FlowAction, type FlowSpec, flowSources } from "@leadrelay/functions/flow-spec";

/**
 * `leadrelay doctor`'s judgement: for each chosen flow and each action it declares, one status —
 * `ok` (it will run: its vendor answered a read with these credentials), `skipped` (turned off by
 * a setting, or a credential it needs is not set: it is skipped at run time too, never an error) or
 * `broken` (it would fail: the vendor refused, or did not answer) with the variables at fault and
 * how to fix them. Each vendor is checked once however many actions use it.
 */

export type ActionStatus = "ok" | "skipped" | "broken";

export interface ActionReport {
  action: string;
  status: ActionStatus;
  reason: string;
  variables: string[];
}

export interface DoctorReport {
  ok: boolean;
  flows: Array<{ flow: string; actions: ActionReport[] }>;
}

/** Where the settings come from and what doctor may read of them. */
export interface DoctorSettings {
  /** Effective values: settings and the secrets doctor can read. */
  values: Record<string, string | undefined>;
  /** Secrets the target holds whose value doctor cannot read (it checks nothing with them, says so). */
  held: ReadonlySet<string>;
  /** Variables served by a local stand-in. */
  standIns: ReadonlySet<string>;
  region: string;
  /** With `--stage`: its name, and whether it is deployed (it has outputs). */
  stage?: { name: string; deployed: boolean };
  /** The AWS clients' configuration (locally: the runtime's endpoints and fixed credentials). */
  aws(service: "sesv2" | "events"): AwsClientConfig;
}

export interface DoctorOptions {
  postTest: boolean;
  /** The HubSpot properties the chosen flows write. */
  hubspotProperties: readonly HubSpotPropertyRef[];
  check?: CheckOptions;
}

const isSet = (settings: DoctorSettings, name: string) =>
  Boolean(settings.values[name]?.trim()) || settings.held.has(name);

/** Whether a setting turns the action off, and why. */
function disabledBy(action: FlowAction, settings: DoctorSettings): string | undefined {
  const setting = action.enabledBy;
  if (!setting) return undefined;
  const value = settings.values[setting]?.trim();
  // A setting the action also needs (ANNOUNCE_EMAIL_TO) turns it on by being set…
  if (action.requires.includes(setting)) return value ? undefined : `off: ${setting} is not set`;
  // …a list (TRIAGE_ACTIONS) by naming it; unset means every action.
  if (!value) return undefined;
  const listed = value.split(",").map((item) => item.trim());
  const name = action.enabledAs ?? action.id;
  return listed.includes(name) ? undefined : `off: ${name} is not in ${setting}=${value}`;
}

/** The vendor and variables the action runs with: its alternative when its setting chooses it or by default. */
function effectiveVendor(
  action: FlowAction,
  settings: DoctorSettings,
): { vendor: string; requires: readonly string[] } {
  const alternative = action.alternative;
  if (alternative) {
    const chosen = settings.values[alternative.setting]?.trim();
    const primaryReady = action.requires.every((name) => isSet(settings, name));
    if (chosen === alternative.value || (!chosen && !primaryReady))
      return { vendor: alternative.vendor, requires: alternative.requires };
  }
  return { vendor: action.vendor, requires: action.requires };
}

/** The secrets a vendor's check reads: held but unreadable ones make it unverifiable. */
const CHECK_SECRETS: Record<string, readonly string[]> = {
  close: ["CLOSE_API_KEY"],
  twilio: ["TWILIO_AUTH_TOKEN"],
  brevo: ["BREVO_API_KEY"],
  zendesk: ["ZENDESK_API_TOKEN"],
  llm: ["LLM_API_KEY"],
  slack: ["SLACK_WEBHOOK_URL"],
  hubspot: ["HUBSPOT_TOKEN"],
  lgm: ["LGM_API_KEY"],
  "meta-page": ["META_PAGE_ACCESS_TOKEN", "META_APP_SECRET"],
  "meta-pixel": ["META_ACCESS_TOKEN"],
};

/** What a vendor's check needs to run at all (the action may need more, e.g. ON_CALL_PHONE). */
const CHECK_NEEDS: Record<string, readonly string[]> = {
  close: ["CLOSE_API_KEY"],
  twilio: ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
  brevo: ["BREVO_API_KEY"],
  zendesk: ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
  hubspot: ["HUBSPOT_TOKEN"],
  "meta-page": ["META_PAGE_ACCESS_TOKEN"],
  "meta-pixel": ["META_PIXEL_ID", "META_ACCESS_TOKEN"],
  ses: ["EMAIL_FROM"],
  slack: ["SLACK_WEBHOOK_URL"],
  owners: ["OWNER_BASE_URL"],
  members: ["MEMBERS_BASE_URL"],
  events: ["EVENT_BUS_NAME"],
};

function checkKey(vendor: string, requires: readonly string[]): string {
  if (vendor === "meta") return requires.includes("META_PIXEL_ID") ? "meta-pixel" : "meta-page";
  return vendor;
}

const DEFAULT_BASE: Record<string, string> = {
  CLOSE_API_BASE_URL: "https://api.close.com/api/v1",
  TWILIO_BASE_URL: "https://api.twilio.com",
  BREVO_BASE_URL: "https://api.brevo.com",
  META_GRAPH_BASE_URL: "https://graph.facebook.com",
  HUBSPOT_BASE_URL: "https://api.hubapi.com",
  LGM_BASE_URL: "https://apiv2.lagrowthmachine.com/flow",
};

function runVendorCheck(key: string, settings: DoctorSettings, options: DoctorOptions): Promise<CheckResult> {
  const v = (name: string) => settings.values[name]?.trim() ?? "";
  const base = (name: string) => v(name) || (DEFAULT_BASE[name] ?? "");
  const check = { timeoutMs: 8_000, ...options.check };
  switch (key) {
    case "close":
      return checkClose({ baseUrl: base("CLOSE_API_BASE_URL"), apiKey: v("CLOSE_API_KEY") }, check);
    case "twilio":
      return checkTwilio(
        {
          baseUrl: base("TWILIO_BASE_URL"),
          accountSid: v("TWILIO_ACCOUNT_SID"),
          authToken: v("TWILIO_AUTH_TOKEN"),
        },
        check,
      );
    case "brevo":
      return checkBrevo({ baseUrl: base("BREVO_BASE_URL"), apiKey: v("BREVO_API_KEY") }, check);
    case "zendesk":
      return checkZendesk(
        { baseUrl: v("ZENDESK_BASE_URL"), email: v("ZENDESK_EMAIL"), apiToken: v("ZENDESK_API_TOKEN") },
        check,
      );
    case "llm":
      if (!v("LLM_BASE_URL") || !v("LLM_MODEL"))
        return Promise.resolve(
          result(
            "llm",
            "ok",
            "the offline classifier decides (LLM_BASE_URL and LLM_MODEL are not both set)",
            [],
          ),
        );
      return checkLlm(
        { baseUrl: v("LLM_BASE_URL"), model: v("LLM_MODEL"), apiKey: v("LLM_API_KEY") || undefined },
        check,
      );
    case "slack":
      return checkSlackWebhook(
        { url: v("SLACK_WEBHOOK_URL"), variable: "SLACK_WEBHOOK_URL", post: options.postTest },
        check,
      );
    case "hubspot":
      return checkHubSpot(
        {
          baseUrl: base("HUBSPOT_BASE_URL"),
          token: v("HUBSPOT_TOKEN"),
          properties: options.hubspotProperties,
        },
        check,
      );
    case "lgm":
      if (!v("LGM_API_KEY"))
        return Promise.resolve(
          result(
            "lgm",
            "ok",
            "LGM_API_KEY is not set: each reply is used as delivered, not re-read from LGM",
            [],
          ),
        );
      return checkLgm({ baseUrl: base("LGM_BASE_URL"), apiKey: v("LGM_API_KEY") }, check);
    case "meta-page": {
      const graph = { baseUrl: base("META_GRAPH_BASE_URL"), version: v("META_API_VERSION") || "v21.0" };
      if (!v("META_APP_ID") || !v("META_APP_SECRET"))
        return Promise.resolve(
          result(
            "meta",
            "ok",
            "META_PAGE_ACCESS_TOKEN is set; not verified: set META_APP_ID and META_APP_SECRET to let doctor check it",
            ["META_APP_ID", "META_APP_SECRET"],
          ),
        );
      return checkMetaPageToken(
        {
          ...graph,
          appId: v("META_APP_ID"),
          appSecret: v("META_APP_SECRET"),
          pageToken: v("META_PAGE_ACCESS_TOKEN"),
          pageId: v("META_PAGE_ID") || undefined,
        },
        check,
      );
    }
    case "meta-pixel":
      return checkMetaPixel(
        {
          baseUrl: base("META_GRAPH_BASE_URL"),
          version: v("META_API_VERSION") || "v21.0",
          pixelId: v("META_PIXEL_ID"),
          accessToken: v("META_ACCESS_TOKEN"),
        },
        check,
      );
    case "ses":
      return checkSesSender(createSesClient(settings.aws("sesv2"), check.timeoutMs), {
        from: v("EMAIL_FROM"),
        region: settings.region,
      });
    case "events":
      return checkEventBus(createEventBridgeClient(settings.aws("events")), { name: v("EVENT_BUS_NAME") });
    case "owners":
    case "members": {
      const variable = key === "owners" ? "OWNER_BASE_URL" : "MEMBERS_BASE_URL";
      // A lookup needs a lead or an email: that the host answers is what can be checked without one.
      return runCheck(key, variable, [variable], async () => {
        const answer = await probe(`${v(variable).replace(/\/+$/, "")}/`, {}, check);
        return result(key, "ok", `answers (HTTP ${answer.status})`, [variable]);
      });
    }
    default:
      return Promise.resolve(result(key, "ok", "no check for this vendor", []));
  }
}

/**
 * A stage's webhook whose secret the vendor makes at registration (`setAfterDeploy`: Close's key)
 * and that is not set: before the first deploy that is the expected order (skipped, with the command
 * to run after it); once deployed the webhook answers 503 to every delivery (broken).
 */
function webhookSecretRows(flow: FlowSpec, settings: DoctorSettings): ActionReport[] {
  const stage = settings.stage;
  if (!stage) return [];
  const rows: ActionReport[] = [];
  for (const source of flowSources(flow, settings.values)) {
    for (const [name, command] of Object.entries(source.setAfterDeploy ?? {})) {
      if (isSet(settings, name)) continue;
      const run = `'${command} --stage ${stage.name}'`;
      rows.push(
        stage.deployed
          ? {
              action: `${source.id} webhook`,
              status: "broken",
              reason: `${name} is not set: every delivery is answered 503 (the sender retries) — fix: run ${run}`,
              variables: [name],
            }
          : {
              action: `${source.id} webhook`,
              status: "skipped",
              reason: `${name} is not set yet: after the first deploy run ${run}, which registers the webhook and sets it`,
              variables: [name],
            },
      );
    }
  }
  return rows;
}

export async function diagnose(
  flows: readonly FlowSpec[],
  settings: DoctorSettings,
  options: DoctorOptions,
): Promise<DoctorReport> {
  const checks = new Map<string, Promise<CheckResult>>();
  const report: DoctorReport = { ok: true, flows: [] };
  for (const flow of flows) {
    const actions: ActionReport[] = webhookSecretRows(flow, settings);
    // An action of a source the stage did not choose (triage's HubSpot ones) is not part of it.
    const chosen = new Set(chosenActions(flow, settings.values));
    for (const action of flow.actions) {
      const off = disabledBy(action, settings);
      if (off) {
        actions.push({
          action: action.id,
          status: "skipped",
          reason: off,
          variables: [action.enabledBy ?? ""],
        });
        continue;
      }
      if (!chosen.has(action)) continue;
      const { vendor, requires } = effectiveVendor(action, settings);
      const missing = requires.filter((name) => !isSet(settings, name));
      const key = checkKey(vendor, requires);
      const skipped: ActionReport = {
        action: action.id,
        status: "skipped",
        reason: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set (${vendor})`,
        variables: missing,
      };
      // Credentials that are configured are checked even when the action lacks another setting.
      const checkable = (CHECK_NEEDS[key] ?? requires).every((name) => isSet(settings, name));
      if (missing.length > 0 && !checkable) {
        actions.push(skipped);
        continue;
      }
      const unreadable = (CHECK_SECRETS[key] ?? []).filter(
        (name) => settings.held.has(name) && !settings.values[name]?.trim(),
      );
      if (unreadable.length > 0) {
        actions.push(
          missing.length > 0
            ? skipped
            : {
                action: action.id,
                status: "ok",
                reason: `not verified: the runtime holds ${unreadable.join(", ")} but this shell does not; run doctor with ${unreadable.length === 1 ? "it" : "them"} set to check`,
                variables: unreadable,
              },
        );
        continue;
      }
      if (!checks.has(key)) checks.set(key, runVendorCheck(key, settings, options));
      const checked = await (checks.get(key) as Promise<CheckResult>);
      const standIn =
        requires.some((name) => settings.standIns.has(name)) || settings.standIns.has(baseVariable(key));
      const where = standIn ? " (stand-in)" : "";
      if (checked.status === "broken") {
        actions.push({
          action: action.id,
          status: "broken",
          reason: `${vendor}${where}: ${checked.detail}${checked.fix ? ` — fix: ${checked.fix}` : ""}${missing.length > 0 ? `; also ${skipped.reason}` : ""}`,
          variables: [...checked.variables, ...missing],
        });
      } else if (missing.length > 0) {
        actions.push({ ...skipped, reason: `${skipped.reason}; its credentials work (${checked.detail})` });
      } else {
        actions.push({
          action: action.id,
          status: "ok",
          reason: `${vendor}${where}: ${checked.status === "warning" ? `warning: ${checked.detail}${checked.fix ? ` — ${checked.fix}` : ""}` : checked.detail}`,
          variables: checked.variables,
        });
      }
    }
    if (actions.some((entry) => entry.status === "broken")) report.ok = false;
    report.flows.push({ flow: flow.id, actions });
  }
  return report;
}

function baseVariable(key: string): string {
  const bases: Record<string, string> = {
    close: "CLOSE_API_BASE_URL",
    twilio: "TWILIO_BASE_URL",
    brevo: "BREVO_BASE_URL",
    zendesk: "ZENDESK_BASE_URL",
    llm: "LLM_BASE_URL",
    slack: "SLACK_WEBHOOK_URL",
    hubspot: "HUBSPOT_BASE_URL",
    lgm: "LGM_BASE_URL",
    "meta-page": "META_GRAPH_BASE_URL",
    "meta-pixel": "META_GRAPH_BASE_URL",
    owners: "OWNER_BASE_URL",
    members: "MEMBERS_BASE_URL",
    events: "EVENT_BUS_NAME",
  };
  return bases[key] ?? "";
}
