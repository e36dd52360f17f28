import type { TaskKit } from "@leadrelay/functions";
import { NOTIFY_FAILURE_ENV } from "@leadrelay/functions/alerts/alert-function";
import { type AlertResult, build as buildNotifyFailure } from "@leadrelay/functions/alerts/notify-failure";
import {
  type ExecutionStatusChange,
  STATUS_CHANGE_DETAIL_TYPE,
  STATUS_CHANGE_SOURCE,
} from "@leadrelay/functions/alerts/status-change-event";
import type { ExecutionRecord } from "./execution-store";
import type { HistoryEvent } from "./history";
import type { LocalStepFunctions } from "./local-step-functions";

type Env = Record<string, string | undefined>;

/** The history events that end an execution badly, as the status EventBridge reports. */
const ENDINGS: Record<string, { status: string; details: string }> = {
  ExecutionFailed: { status: "FAILED", details: "executionFailedEventDetails" },
  ExecutionTimedOut: { status: "TIMED_OUT", details: "executionTimedOutEventDetails" },
  ExecutionAborted: { status: "ABORTED", details: "executionAbortedEventDetails" },
};
const ALERTED = Object.values(ENDINGS).map((ending) => ending.status);

/** Ends of executions older than this are not alerted when the runtime starts (an old data folder). */
const DEFAULT_SWEEP_HOURS = 24;

export interface FailureAlertsOptions {
  /** Flow id → its engine. */
  engines: Record<string, LocalStepFunctions>;
  /** The runtime's settings: ALERT_EMAIL_TO, the email vendor's. */
  settings: Env;
  /**
   * Where the alerts are posted: ALERT_SLACK_WEBHOOK_URL, else the runtime's Slack stand-in — never
   * the SLACK_WEBHOOK_URL a local trial points at a team's channel, whose messages stay the flows' own.
   */
  slackWebhookUrl: string;
  kit: TaskKit;
  /** The runtime's URL: the alert links to the execution's page in its console. */
  consoleUrl: string;
  region: string;
  print: (line: string) => void;
  sweepHours?: number;
  now?: () => number;
}

export interface FailureAlerts {
  /**
   * Alerts for the failed, timed-out and stopped executions of the last day: an end the previous run
   * had no time to alert is alerted now, and one it did alert is not again (the alert's markers).
   */
  sweep(): Promise<number>;
  /** Resolves once every alert begun so far has been sent or has failed. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

function statusChange(
  record: Pick<ExecutionRecord, "executionArn" | "stateMachineArn" | "name" | "redriveCount" | "startDate">,
  status: string,
  details: { error?: unknown; cause?: unknown },
  region: string,
  at: number,
): ExecutionStatusChange & Record<string, unknown> {
  return {
    version: "0",
    "detail-type": STATUS_CHANGE_DETAIL_TYPE,
    source: STATUS_CHANGE_SOURCE,
    time: new Date(at).toISOString(),
    region,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status,
      error: typeof details.error === "string" ? details.error : null,
      cause: typeof details.cause === "string" ? details.cause : null,
      redriveCount: record.redriveCount,
    },
  };
}

/**
 * The local side of the failure alerts: every engine's bad ends go to the same alert handler the
 * EventBridge rule invokes on AWS (packages/functions/src/alerts/notify-failure.ts), built with the
 * runtime's kit, so the Slack stand-in (or SLACK_WEBHOOK_URL) gets the same message, once.
 */
export function watchFailures(options: FailureAlertsOptions): FailureAlerts {
  const now = options.now ?? Date.now;
  const engines = Object.values(options.engines);
  const env: Env = Object.fromEntries(
    [...NOTIFY_FAILURE_ENV, "BUCKET_NAME", "BREVO_API_KEY"].map((name) => [name, options.settings[name]]),
  );
  env.SLACK_WEBHOOK_URL = options.slackWebhookUrl;
  env.ALERT_FLOWS = Object.entries(options.engines)
    .map(([flow, engine]) => `${flow}=${engine.stateMachineArn}`)
    .join(",");
  env.ALERT_CONSOLE_URL = options.consoleUrl;
  // Built now: a bad ALERT_EMAIL_TO stops the runtime at start, naming the variable, as on AWS.
  const alert = buildNotifyFailure(env, options.kit) as (event: unknown) => Promise<AlertResult>;
  const pending = new Set<Promise<void>>();

  const send = (event: ReturnType<typeof statusChange>) => {
    const delivery: Promise<void> = alert(event)
      .then(
        () => undefined,
        (error: unknown) => {
          const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          options.print(
            `alert for ${event.detail.name} ${event.detail.status} not delivered (${why}); it is sent again at the next start`,
          );
        },
      )
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  };

  const unsubscribe = engines.map((engine) =>
    engine.onEvent((record, event: HistoryEvent) => {
      const ending = ENDINGS[event.type];
      if (!ending) return;
      const details = (event[ending.details] ?? {}) as { error?: unknown; cause?: unknown };
      send(statusChange(record, ending.status, details, options.region, event.timestamp));
    }),
  );

  return {
    async sweep() {
      const since = now() - (options.sweepHours ?? DEFAULT_SWEEP_HOURS) * 3_600_000;
      let count = 0;
      for (const engine of engines) {
        for (const statusFilter of ALERTED) {
          let nextToken: string | undefined;
          do {
            const page = engine.listExecutions({
              stateMachineArn: engine.stateMachineArn,
              statusFilter,
              nextToken,
            });
            for (const item of page.executions) {
              if ((item.stopDate ?? 0) < since) continue;
              const execution = engine.describeExecution({ executionArn: item.executionArn });
              send(statusChange(execution, statusFilter, execution, options.region, item.stopDate ?? now()));
              count++;
            }
            nextToken = page.nextToken;
          } while (nextToken);
        }
      }
      return count;
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      for (const stop of unsubscribe) stop();
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
