import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CloseWebhookError,
  type ConnectCloseResult,
  connectCloseWebhook,
  createCloseWebhooks,
} from "@leadrelay/functions/adapters/close-webhooks";
import { connectLgmWebhook, LgmConnectError } from "@leadrelay/functions/adapters/lgm-webhooks";
import { checkMetaPageToken } from "@leadrelay/functions/adapters/meta-check";
import { connectMetaWebhook, MetaConnectError } from "@leadrelay/functions/adapters/meta-webhooks";
import { readStage, type StageContext } from "./cli-stage";
import { localInfo } from "./cli-target";
import { secretFile } from "./local-secrets";
import { awsStageSecrets, type StageSecrets } from "./stage-secrets";

export const CONNECT_USAGE = `leadrelay connect <vendor> [--stage X | --webhook-url URL]
  registers leadrelay's webhook at the vendor, idempotently (list first, create once, update the URL)

  close      a lead.created subscription → the stage's /webhook/close; Close's signature key becomes
             CLOSE_WEBHOOK_SECRET (--stage: the stage's SST secret, its functions restarted;
             locally: <data dir>/webhook-secret, used after 'pnpm start' restarts)
  meta       the app's page/leadgen subscription (callback + META_VERIFY_TOKEN; app token from META_APP_ID
             and META_APP_SECRET) and the app's install on META_PAGE_ID (META_PAGE_ACCESS_TOKEN)
  lgm        an inbox webhook at La Growth Machine (LGM_API_KEY); without it, the URL to paste
  crm        the URL and header to paste into your CRM's deal webhook (the CRM has no registration API)
  hubspot    the HubSpot properties the chosen flows write (as 'leadrelay hubspot setup')

  The vendor's API: <VENDOR>_BASE_URL and its credentials from this shell; locally, when the base URL
  is unset, the running runtime's stand-in. The webhook URL: --webhook-url, else the stage's output
  (.sst/outputs.json), else the running local runtime's. [--app A] [--region R] [--outputs F]`;

const OPTIONS = {
  stage: { type: "string" },
  "webhook-url": { type: "string" },
  app: { type: "string" },
  region: { type: "string" },
  outputs: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface ConnectDeps {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The stage's secrets store (tests pass one over fake SSM and Lambda clients). */
  stageSecrets?: (stage: StageContext) => StageSecrets;
}

class ConnectUsage extends Error {
  override readonly name = "ConnectUsage";
}
/** A refusal with its explanation: exit 1, nothing changed at the vendor. */
class ConnectRefused extends Error {
  override readonly name = "ConnectRefused";
}

interface Target {
  stage?: StageContext;
  dataDir: string;
  webhookUrl(source: string, output: string): string;
}

function targetOf(values: Record<string, string | boolean | undefined>, env: ConnectDeps["env"]): Target {
  const dataDir = env.LEADRELAY_DATA_DIR || ".leadrelay";
  const stage =
    typeof values.stage === "string"
      ? readStage(
          {
            stage: values.stage,
            app: values.app as string | undefined,
            region: values.region as string | undefined,
            outputs: values.outputs as string | undefined,
          },
          env,
        )
      : undefined;
  const given = values["webhook-url"];
  return {
    stage,
    dataDir,
    webhookUrl(source, output) {
      if (typeof given === "string") {
        if (!/^https?:\/\/[^/]+/.test(given))
          throw new ConnectUsage(`--webhook-url is not an http(s) URL: ${given}`);
        return given;
      }
      if (stage) {
        const url = stage.outputs[output];
        if (!url)
          throw new ConnectRefused(
            `stage ${stage.stage} has no ${output} output in ${stage.outputsFile}: deploy the ${source} source first`,
          );
        return url;
      }
      const url = localInfo().webhooks?.[source];
      if (!url)
        throw new ConnectRefused(
          `the local runtime serves no ${source} webhook (LEADRELAY_FLOWS chooses the flows)`,
        );
      return url;
    },
  };
}

/** A vendor's API: its base URL and credentials from the shell, else (locally) the runtime's stand-in. */
function vendorApi(
  target: Target,
  env: ConnectDeps["env"],
  spec: {
    baseUrl: string;
    key: string;
    slug: string;
    standInPath: string;
    standInKey: string;
    realBase: string;
  },
): { baseUrl: string; key: string; where: string } {
  const base = env[spec.baseUrl]?.trim();
  const key = env[spec.key]?.trim();
  if (base || target.stage) {
    if (!key) throw new ConnectRefused(`set ${spec.key} (and ${spec.baseUrl} when not ${spec.realBase})`);
    return { baseUrl: base || spec.realBase, key, where: base || spec.realBase };
  }
  const url = localInfo().url;
  return {
    baseUrl: `${url}/_local/${spec.slug}${spec.standInPath}`,
    key: spec.standInKey,
    where: `the local ${spec.slug} stand-in`,
  };
}

const readText = (file: string) => {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
};

function describeClose(result: ConnectCloseResult, url: string): string[] {
  const { subscription } = result;
  const lines: string[] = [];
  for (const action of result.actions) {
    if (action === "created") lines.push(`  created subscription ${subscription.id}: lead.created → ${url}`);
    if (action === "unchanged")
      lines.push(
        `  subscription ${subscription.id} already delivers lead.created to ${url}: nothing to change`,
      );
    if (action === "url-updated")
      lines.push(`  subscription ${subscription.id} now delivers to ${url} (its URL had changed)`);
    if (action === "reactivated")
      lines.push(
        `  subscription ${subscription.id} was PAUSED by Close (deliveries kept failing${subscription.latestError ? `: ${subscription.latestError}` : ""}): re-activated; Close delivers what it held back`,
      );
  }
  for (const other of result.others)
    lines.push(
      `  note: subscription ${other.id} (${other.status}) also delivers lead.created to ${other.url}: left alone; delete it in Close if that stage is gone`,
    );
  return lines;
}

async function connectClose(target: Target, deps: ConnectDeps): Promise<number> {
  const { env, out } = deps;
  const localKeyFile = secretFile(target.dataDir, "CLOSE_WEBHOOK_SECRET");
  if (!target.stage && env.CLOSE_WEBHOOK_SECRET) {
    throw new ConnectRefused(
      `CLOSE_WEBHOOK_SECRET is set in this environment: 'pnpm start' would use that value, not the key Close signs with. Unset it (here and where you start the runtime) and run 'connect close' again; the key will be kept in ${localKeyFile}.`,
    );
  }
  const url = target.webhookUrl("close", "WebhookUrlClose");
  const api = vendorApi(target, env, {
    baseUrl: "CLOSE_API_BASE_URL",
    key: "CLOSE_API_KEY",
    slug: "close",
    standInPath: "/api/v1",
    standInKey: "local-close-api-key",
    realBase: "https://api.close.com/api/v1",
  });
  const stateFile = join(target.dataDir, "connect", "close.json");
  const known = target.stage ? undefined : (JSON.parse(readText(stateFile) ?? "{}") as { id?: string }).id;
  out(`Close (${api.where}): lead.created → ${url}`);
  const result = await connectCloseWebhook(
    createCloseWebhooks({ baseUrl: api.baseUrl, apiKey: api.key }),
    url,
    known,
  );
  for (const line of describeClose(result, url)) out(line);

  if (target.stage) {
    const secrets = (deps.stageSecrets ?? ((stage) => awsStageSecrets(stage.app, stage.stage, stage.region)))(
      target.stage,
    );
    const current = (await secrets.read(["CLOSE_WEBHOOK_SECRET"])).CLOSE_WEBHOOK_SECRET;
    if (!result.signatureKey) {
      if (current?.value) {
        out(`  Close returned no signature key: the stage's CLOSE_WEBHOOK_SECRET (${current.from}) is kept`);
        return 0;
      }
      throw new ConnectRefused(noKey(result));
    }
    if (current?.from === "stage" && current.value === result.signatureKey) {
      out(`  CLOSE_WEBHOOK_SECRET of stage ${target.stage.stage} already holds this subscription's key`);
      return 0;
    }
    const written = await secrets.set("CLOSE_WEBHOOK_SECRET", result.signatureKey);
    out(`  signature key written to ${written.parameter} (SecureString, as 'sst secrets set' does)`);
    out(
      written.restarted.length > 0
        ? `  restarted ${written.restarted.length} function(s) bound to it: ${written.restarted.join(", ")}`
        : "  no deployed function is bound to it yet: deploy the stage and ingest picks it up",
    );
    return 0;
  }

  mkdirSync(join(target.dataDir, "connect"), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify({ id: result.subscription.id, url }, null, 2)}\n`);
  const stored = readText(localKeyFile);
  if (!result.signatureKey) {
    if (stored) {
      out(`  Close returned no signature key: the stored one (${localKeyFile}) is kept`);
      return 0;
    }
    throw new ConnectRefused(noKey(result));
  }
  if (stored === result.signatureKey) {
    out(`  the signature key in ${localKeyFile} is already this subscription's`);
    return 0;
  }
  mkdirSync(target.dataDir, { recursive: true });
  writeFileSync(localKeyFile, `${result.signatureKey}\n`, { mode: 0o600 });
  out(`  signature key stored as CLOSE_WEBHOOK_SECRET in ${localKeyFile}: restart 'pnpm start' to use it`);
  return 0;
}

/**
 * The values a connect needs: on a stage, this shell's settings and the stage's SST secrets; locally,
 * the running runtime's settings (stand-ins, generated secrets) with this shell's winning, as at 'pnpm start'.
 */
async function settingsFor(
  target: Target,
  deps: ConnectDeps,
  secretNames: readonly string[],
): Promise<Record<string, string | undefined>> {
  const given = Object.fromEntries(Object.entries(deps.env).filter(([, value]) => value?.trim()));
  if (target.stage) {
    const stage = target.stage;
    const secrets = (deps.stageSecrets ?? ((s) => awsStageSecrets(s.app, s.stage, s.region)))(stage);
    const read = await secrets.read(secretNames);
    const values: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(given)) if (!secretNames.includes(name)) values[name] = value;
    for (const [name, entry] of Object.entries(read)) values[name] = entry.value;
    return values;
  }
  const { localSettings } = await import("./cli-doctor");
  return { ...(await localSettings(deps.env)).settings.values, ...given };
}

function need(values: Record<string, string | undefined>, names: readonly string[], why: string): void {
  const missing = names.filter((name) => !values[name]?.trim());
  if (missing.length > 0)
    throw new ConnectRefused(
      `${why} needs ${missing.join(", ")}: set ${missing.length === 1 ? "it" : "them"} and run again`,
    );
}

async function connectMeta(target: Target, deps: ConnectDeps): Promise<number> {
  const url = target.webhookUrl("meta", "WebhookUrlMeta");
  const values = await settingsFor(target, deps, [
    "META_APP_SECRET",
    "META_VERIFY_TOKEN",
    "META_PAGE_ACCESS_TOKEN",
  ]);
  need(
    values,
    ["META_APP_ID", "META_APP_SECRET", "META_VERIFY_TOKEN", "META_PAGE_ID", "META_PAGE_ACCESS_TOKEN"],
    "connect meta",
  );
  const v = (name: string) => values[name]?.trim() ?? "";
  const graph = {
    baseUrl: v("META_GRAPH_BASE_URL") || "https://graph.facebook.com",
    version: v("META_API_VERSION") || "v21.0",
  };
  deps.out(`Meta (${graph.baseUrl}): app ${v("META_APP_ID")}, page ${v("META_PAGE_ID")} → ${url}`);
  // The permissions first: each missing one named with what it is for, Leads Access included.
  const token = await checkMetaPageToken({
    ...graph,
    appId: v("META_APP_ID"),
    appSecret: v("META_APP_SECRET"),
    pageToken: v("META_PAGE_ACCESS_TOKEN"),
    pageId: v("META_PAGE_ID"),
  });
  if (token.status === "broken") {
    throw new ConnectRefused(`${token.detail}${token.fix ? `\n  fix: ${token.fix}` : ""}`);
  }
  deps.out(`  page token: ${token.detail}`);
  const result = await connectMetaWebhook(
    {
      ...graph,
      appId: v("META_APP_ID"),
      appSecret: v("META_APP_SECRET"),
      verifyToken: v("META_VERIFY_TOKEN"),
      pageId: v("META_PAGE_ID"),
      pageToken: v("META_PAGE_ACCESS_TOKEN"),
    },
    url,
  );
  deps.out(
    result.app === "unchanged"
      ? "  app subscription (page/leadgen) already points here: nothing to change"
      : `  app subscription (page/leadgen) ${result.app}: Meta verified ${url} with META_VERIFY_TOKEN`,
  );
  deps.out(
    result.page === "unchanged"
      ? `  the app is already installed on page ${v("META_PAGE_ID")} for leadgen`
      : `  installed the app on page ${v("META_PAGE_ID")} for leadgen`,
  );
  return 0;
}

/** LGM's URL with its `{token}` filled in: the token is the only thing that authenticates LGM. */
function lgmUrl(url: string, token: string | undefined): string {
  if (!url.includes("{token}")) return url;
  if (!token)
    throw new ConnectRefused(
      "LGM_WEBHOOK_TOKEN is not known: start the runtime once, or set the stage's secret",
    );
  return url.replace("{token}", encodeURIComponent(token));
}

async function connectLgm(target: Target, deps: ConnectDeps): Promise<number> {
  const values = await settingsFor(target, deps, ["LGM_WEBHOOK_TOKEN", "LGM_API_KEY"]);
  const url = lgmUrl(target.webhookUrl("lgm", "WebhookUrlLgm"), values.LGM_WEBHOOK_TOKEN);
  const apiKey = values.LGM_API_KEY?.trim();
  if (!apiKey) {
    deps.out(
      "La Growth Machine: LGM_API_KEY is not set, so register the webhook by hand (LGM → Settings → Webhooks):",
    );
    deps.out(`  URL      ${url}`);
    deps.out(
      "  events   inbox messages (LinkedIn and email), every campaign; no header, the URL's path is the secret",
    );
    deps.out("  (shown once: treat the URL as a password; 'pnpm leadrelay secrets' shows it again locally)");
    return 0;
  }
  const baseUrl = values.LGM_BASE_URL?.trim() || "https://apiv2.lagrowthmachine.com/flow";
  const result = await connectLgmWebhook({ baseUrl, apiKey }, url);
  deps.out(
    `La Growth Machine (${baseUrl}): inbox webhook ${result.id} ${result.action === "created" ? "created" : "already registered: nothing to change"}`,
  );
  return 0;
}

async function connectCrm(target: Target, deps: ConnectDeps): Promise<number> {
  const url = target.webhookUrl("crm", "WebhookUrlCrm");
  const values = await settingsFor(target, deps, ["CRM_WEBHOOK_API_KEY"]);
  need(values, ["CRM_WEBHOOK_API_KEY"], "connect crm");
  deps.out("CRM: it has no registration API; paste this into its deal webhook settings:");
  deps.out(`  URL      POST ${url}`);
  deps.out(`  header   x-api-key: ${values.CRM_WEBHOOK_API_KEY}`);
  deps.out("  header   x-event: deal_created or deal_updated (the event of each delivery)");
  deps.out("  (the key is shown once here: keep it in the CRM only)");
  return 0;
}

async function connectHubSpot(target: Target, deps: ConnectDeps): Promise<number> {
  const { runHubSpotSetup } = await import("../../flows/linkedin-replies/src/hubspot-setup");
  const { hubspotPropertiesOf, selectFlows } = await import("../../flows/registry");
  if (target.stage) {
    const values = await settingsFor(target, deps, ["HUBSPOT_TOKEN"]);
    need(values, ["HUBSPOT_TOKEN"], "connect hubspot");
    const env: Record<string, string | undefined> = {
      ...values,
      HUBSPOT_BASE_URL: values.HUBSPOT_BASE_URL || "https://api.hubapi.com",
    };
    // The stage's flows: LEADRELAY_FLOWS from its settings (announce alone when unset, as a deploy).
    const properties = hubspotPropertiesOf(selectFlows(env.LEADRELAY_FLOWS, ["announce"]), env);
    for (const line of await runHubSpotSetup(env, undefined, properties)) deps.out(line);
    return 0;
  }
  const local = deps.env.HUBSPOT_BASE_URL?.trim() ? undefined : localInfo();
  // The running runtime's flows when it serves HubSpot, else LEADRELAY_FLOWS (every flow when unset).
  const chosen = local?.flows?.length
    ? local.flows.map((flow) => flow.id).join(",")
    : deps.env.LEADRELAY_FLOWS;
  const properties = hubspotPropertiesOf(selectFlows(chosen, "all"), deps.env);
  for (const line of await runHubSpotSetup(deps.env, local?.url, properties)) deps.out(line);
  return 0;
}

const noKey = (result: ConnectCloseResult) =>
  `Close returned no signature key for subscription ${result.subscription.id} and none is stored: ` +
  "the subscription is kept (a new one would deliver every lead twice). Read its key in Close, or delete the subscription there and run 'connect close' again.";

export async function runConnect(argv: string[], deps: ConnectDeps): Promise<number> {
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new ConnectUsage((error as Error).message);
    }
    const [vendor, ...rest] = parsed.positionals;
    if (parsed.values.help) {
      deps.out(CONNECT_USAGE);
      return 0;
    }
    if (!vendor) throw new ConnectUsage("connect needs a vendor");
    if (rest.length > 0) throw new ConnectUsage(`unexpected ${rest.join(" ")}`);
    const target = targetOf(parsed.values, deps.env);
    switch (vendor) {
      case "close":
        return await connectClose(target, deps);
      case "meta":
        return await connectMeta(target, deps);
      case "lgm":
        return await connectLgm(target, deps);
      case "crm":
        return await connectCrm(target, deps);
      case "hubspot":
        return await connectHubSpot(target, deps);
      default:
        throw new ConnectUsage(`no connect for ${vendor}`);
    }
  } catch (error) {
    if (error instanceof ConnectUsage) {
      deps.err(`leadrelay connect: ${error.message}\n\n${CONNECT_USAGE}`);
      return 2;
    }
    if (
      error instanceof ConnectRefused ||
      error instanceof CloseWebhookError ||
      error instanceof MetaConnectError ||
      error instanceof LgmConnectError ||
      (error as Error).name === "NoLocalRuntime" ||
      (error as Error).name === "StageError"
    ) {
      deps.err(`leadrelay connect: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}
