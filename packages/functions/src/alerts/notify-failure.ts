import {
  alertMarkerKey,
  buildFailureAlert,
  businessKeyOfExecutionName,
  type Clock,
  deterministicUuid,
  executionConsoleUrl,
  isAlertedStatus,
  isValidLeadId,
} from "@leadrelay/core";
import * as z from "zod/mini";
import { storeFromEnv } from "../adapters/s3-store";
import { createSlackPoster } from "../adapters/slack-poster";
import { EnvSchema, readConfig, readEnv } from "../config";
import { type HandlerBuild, lambdaHandler } from "../lambda";
import { createLogger, type Logger } from "../log";
import { type AlertChannels, alertEmailFromEnv, type ChannelOutcome, deliverAlert } from "./alert-channels";
import { ExecutionStatusChange } from "./status-change-event";

export type { AlertEmailChannel, ChannelOutcome } from "./alert-channels";

/**
 * The failure alert of every flow: the EventBridge rule on Step Functions' "Execution Status
 * Change" (FAILED, TIMED_OUT, ABORTED of the stage's state machines) invokes this on AWS; the local
 * runtime calls the same factory for its engines' ends. Slack (SLACK_WEBHOOK_URL) and, when
 * ALERT_EMAIL_TO is set, an email, each at most once per execution end: EventBridge delivers at
 * least once and Lambda retries a failed asynchronous invocation, so a marker per channel
 * (`alerts/<sha256 of the execution ARN>…json`) is created before each send.
 */

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

export interface NotifyFailureDeps extends AlertChannels {
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

    const delivery = await deliverAlert(
      { ...deps, clock },
      alert,
      {
        slack: alertMarkerKey(detail.executionArn, redriveCount, "slack"),
        email: alertMarkerKey(detail.executionArn, redriveCount, "email"),
      },
      deterministicUuid("alert", detail.executionArn, String(redriveCount)),
    );
    const result: AlertResult = {
      status: "alerted",
      flow,
      businessKey: alert.businessKey,
      executionArn: detail.executionArn,
      slack: delivery.slack,
      email: delivery.email,
    };
    if ("failure" in delivery) {
      log.error("failure alert not delivered; the invocation is retried", result);
      // The channel that went out keeps its marker, so the retry repeats only the one that failed.
      throw delivery.failure;
    }
    log.info("failure alert", result);
    return result;
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["HTTP_TIMEOUT_MS"], env);
  const settings = readEnv(AlertSettings, env);
  return createNotifyFailure({
    store: storeFromEnv(env, kit),
    slack: settings.SLACK_WEBHOOK_URL
      ? createSlackPoster(settings.SLACK_WEBHOOK_URL, { timeoutMs: config.HTTP_TIMEOUT_MS })
      : undefined,
    ...alertEmailFromEnv(env, kit),
    flows: parseAlertFlows(settings.ALERT_FLOWS),
    consoleUrl: settings.ALERT_CONSOLE_URL,
    log: kit.log,
  });
};
export const handler = lambdaHandler("notify-failure", build);
