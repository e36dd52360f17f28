import {
  alertMarkerKey,
  buildFailureAlert,
  businessKeyOfExecutionName,
  type Clock,
  deterministicUuid,
  type EmailSender,
  executionConsoleUrl,
  isAlertedStatus,
  isValidLeadId,
  type ObjectStore,
  type SlackPoster,
} from "@leadrelay/core";
import * as z from "zod/mini";
import { emailSenderFromEnv, missingEmailCredentials } from "../adapters/email-sender";
import { storeFromEnv } from "../adapters/s3-store";
import { createSlackPoster } from "../adapters/slack-poster";
import { atMostOnce, type OnceOutcome } from "../at-most-once";
import { EnvSchema, missingVariables, readConfig, readEnv } from "../config";
import { type HandlerBuild, lambdaHandler } from "../lambda";
import { createLogger, type Logger } from "../log";
import { ExecutionStatusChange } from "./status-change-event";

/**
 * The failure alert of every flow: the EventBridge rule on Step Functions' "Execution Status
 * Change" (FAILED, TIMED_OUT, ABORTED of the stage's state machines) invokes this on AWS; the local
 * runtime calls the same factory for its engines' ends. Slack (SLACK_WEBHOOK_URL) and, when
 * ALERT_EMAIL_TO is set, an email, each at most once per execution end: EventBridge delivers at
 * least once and Lambda retries a failed asynchronous invocation, so a marker per channel
 * (`alerts/<sha256 of the execution ARN>…json`) is created before each send.
 */

/** Brevo keeps an idempotency key 30 minutes: a dangling email marker younger than that is safely retried with it. */
const BREVO_IDEMPOTENCY_WINDOW_MS = 25 * 60_000;

const AlertSettings = {
  /** `flow=stateMachineArn` pairs, comma-separated: which flow a state machine is. */
  ALERT_FLOWS: z._default(z.string(), ""),
  /** The console the alert links to (the local runtime's); unset: the AWS console. */
  ALERT_CONSOLE_URL: z.optional(
    z.pipe(
      z.url({ error: "must be an http(s) URL" }),
      z.transform((value) => value.replace(/\/+$/, "")),
    ),
  ),
  SLACK_WEBHOOK_URL: z.optional(EnvSchema.SLACK_WEBHOOK_URL),
};

export type ChannelOutcome =
  | { status: "sent" | "already-sent"; at: string }
  /** An earlier attempt began sending and never confirmed it: not sent again. */
  | { status: "uncertain"; since: string }
  | { status: "skipped"; reason: string }
  | { status: "failed"; error: string };

export type AlertResult =
  | { status: "ignored"; reason: string }
  | {
      status: "alerted";
      flow: string;
      businessKey: string;
      executionArn: string;
      slack: ChannelOutcome;
      email: ChannelOutcome;
    };

export interface AlertEmailChannel {
  sender: EmailSender;
  from: string;
  to: string;
}

export interface NotifyFailureDeps {
  store: ObjectStore;
  /** Absent: no Slack webhook is configured, the Slack alert is skipped (and logged). */
  slack?: SlackPoster;
  /** Absent: no email (ALERT_EMAIL_TO unset, or `emailSkipped` says what is missing). */
  email?: AlertEmailChannel;
  emailSkipped?: string;
  /** State machine ARN → flow id. An unknown state machine is named by its own name. */
  flows: ReadonlyMap<string, string>;
  /** The console the link points to; the AWS console when absent. */
  consoleUrl?: string;
  clock?: Clock;
  log?: Logger;
}

/** `announce=arn:…,triage=arn:…` as ARN → flow. */
export function parseAlertFlows(value: string): Map<string, string> {
  const flows = new Map<string, string>();
  for (const pair of value.split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    flows.set(pair.slice(at + 1).trim(), pair.slice(0, at).trim());
  }
  return flows;
}

/** The page of the execution's business key in the console, as the console addresses it. */
export function consolePageUrl(consoleUrl: string, name: string, flow: string): string {
  const page = isValidLeadId(businessKeyOfExecutionName(name)) ? "lead" : "key";
  return `${consoleUrl}/console/${page}/${encodeURIComponent(name)}?flow=${encodeURIComponent(flow)}`;
}

function outcomeOf(settled: PromiseSettledResult<ChannelOutcome>): ChannelOutcome {
  if (settled.status === "fulfilled") return settled.value;
  const error = settled.reason;
  return {
    status: "failed",
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

function channelOutcome(outcome: OnceOutcome<unknown>): ChannelOutcome {
  return outcome.status === "uncertain"
    ? { status: "uncertain", since: outcome.since }
    : { status: outcome.status, at: outcome.at };
}

export function createNotifyFailure(deps: NotifyFailureDeps) {
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createLogger("notify-failure");

  return async (event: unknown): Promise<AlertResult> => {
    const parsed = ExecutionStatusChange.safeParse(event);
    if (!parsed.success) {
      // Retrying cannot make it parse: logged, not thrown.
      log.warn("not a Step Functions execution status change; ignored", {
        issues: parsed.error.issues.length,
      });
      return { status: "ignored", reason: "not a Step Functions execution status change" };
    }
    const { detail } = parsed.data;
    if (!isAlertedStatus(detail.status)) return { status: "ignored", reason: `status ${detail.status}` };
    const flow =
      deps.flows.get(detail.stateMachineArn) ?? detail.stateMachineArn.split(":").at(-1) ?? "unknown";
    const redriveCount = detail.redriveCount ?? 0;
    const alert = buildFailureAlert({
      flow,
      executionArn: detail.executionArn,
      name: detail.name,
      status: detail.status,
      error: detail.error,
      cause: detail.cause,
      redriveCount,
      link: deps.consoleUrl
        ? consolePageUrl(deps.consoleUrl, detail.name, flow)
        : executionConsoleUrl(detail.executionArn),
    });

    const slack = async (): Promise<ChannelOutcome> => {
      const poster = deps.slack;
      if (!poster) return { status: "skipped", reason: "SLACK_WEBHOOK_URL is not set" };
      const key = alertMarkerKey(detail.executionArn, redriveCount, "slack");
      return channelOutcome(await atMostOnce(deps.store, key, () => poster.post(alert.slack), { clock }));
    };
    const email = async (): Promise<ChannelOutcome> => {
      const channel = deps.email;
      if (!channel) return { status: "skipped", reason: deps.emailSkipped ?? "ALERT_EMAIL_TO is not set" };
      const key = alertMarkerKey(detail.executionArn, redriveCount, "email");
      const outcome = await atMostOnce(
        deps.store,
        key,
        () =>
          channel.sender.send(
            {
              from: { email: channel.from, name: "leadrelay alerts" },
              to: { email: channel.to },
              ...alert.email,
              tags: ["leadrelay", "alert"],
            },
            deterministicUuid("alert", detail.executionArn, String(redriveCount)),
          ),
        {
          clock,
          idempotencyWindowMs: channel.sender.provider === "brevo" ? BREVO_IDEMPOTENCY_WINDOW_MS : 0,
        },
      );
      return channelOutcome(outcome);
    };

    // Neither channel waits for or depends on the other.
    const [slackSettled, emailSettled] = await Promise.allSettled([slack(), email()]);
    const result: AlertResult = {
      status: "alerted",
      flow,
      businessKey: alert.businessKey,
      executionArn: detail.executionArn,
      slack: outcomeOf(slackSettled),
      email: outcomeOf(emailSettled),
    };
    const failed = [slackSettled, emailSettled].find((settled) => settled.status === "rejected");
    if (failed) {
      log.error("failure alert not delivered; the invocation is retried", result);
      // The channel that went out keeps its marker, so the retry repeats only the one that failed.
      throw failed.reason;
    }
    log.info("failure alert", result);
    return result;
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["ALERT_EMAIL_TO", "EMAIL_FROM", "HTTP_TIMEOUT_MS"], env);
  const settings = readEnv(AlertSettings, env);
  let email: AlertEmailChannel | undefined;
  let emailSkipped: string | undefined;
  if (config.ALERT_EMAIL_TO) {
    const missing = [...missingVariables(env, ["EMAIL_FROM"]), ...missingEmailCredentials(env)];
    if (missing.length > 0) {
      emailSkipped = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`;
    } else {
      email = {
        sender: emailSenderFromEnv(env, kit),
        from: config.EMAIL_FROM as string,
        to: config.ALERT_EMAIL_TO,
      };
    }
  }
  return createNotifyFailure({
    store: storeFromEnv(env, kit),
    slack: settings.SLACK_WEBHOOK_URL
      ? createSlackPoster(settings.SLACK_WEBHOOK_URL, { timeoutMs: config.HTTP_TIMEOUT_MS })
      : undefined,
    email,
    emailSkipped,
    flows: parseAlertFlows(settings.ALERT_FLOWS),
    consoleUrl: settings.ALERT_CONSOLE_URL,
    log: kit.log,
  });
};
export const handler = lambdaHandler("notify-failure", build);
