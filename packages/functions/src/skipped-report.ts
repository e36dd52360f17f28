import type { Env, TaskKit } from "./lambda";
import type { Logger } from "./log";
import {
  ACTIONS_ENV,
  FLOW_ENV,
  parseTaskActions,
  type SkippedAction,
  skippedActions,
  type TaskAction,
} from "./task-actions";

/**
 * What a Task does when its result says it skipped an action (a credential or setting missing): on
 * AWS one CloudWatch embedded-metric line (`ActionsSkipped`, per stage, flow and action) and, with
 * LEADRELAY_ALERT_ON_SKIPPED=true, one alert through the failure alerts' channels, at most once per
 * Task input (retries and redrives run the Task with the same input). Nothing here can fail the
 * Task: the execution's own work is done, a lost notice is logged.
 */

/** The metrics' CloudWatch namespace (stacks/operations-dashboard.ts reads it). */
export const METRICS_NAMESPACE = "leadrelay";
export const ACTIONS_SKIPPED_METRIC = "ActionsSkipped";

/**
 * One embedded metric format line (CloudWatch "Specification: Embedded metric format"): a JSON log
 * line whose `_aws` member tells CloudWatch Logs to extract `ActionsSkipped` = 1 under both
 * dimension sets, per action and per flow (what an alarm or a dashboard sums).
 */
export function actionsSkippedLine(
  fields: { stage: string; flow: string; action: string; reason: string },
  timestamp: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [
            ["Stage", "Flow", "Action"],
            ["Stage", "Flow"],
          ],
          Metrics: [{ Name: ACTIONS_SKIPPED_METRIC, Unit: "Count" }],
        },
      ],
    },
    Stage: fields.stage,
    Flow: fields.flow,
    Action: fields.action,
    [ACTIONS_SKIPPED_METRIC]: 1,
    message: "action skipped",
    reason: fields.reason,
  });
}

/** Sends the alert of one skipped action of one Task run; says what came of it. */
export type SkippedAlerter = (action: SkippedAction, taskInput: string) => Promise<string>;

export interface SkipReporting {
  flow: string;
  actions: readonly TaskAction[];
  log: Logger;
  /** Embedded metric lines (on AWS: stdout, which CloudWatch Logs reads); absent locally (/metrics counts). */
  metrics?: { stage: string; write(line: string): void; clock?: () => number };
  /** LEADRELAY_ALERT_ON_SKIPPED=true: the alert of each skipped action. */
  alert?: SkippedAlerter;
}

/** The handler, reporting each action its result says it skipped. */
export function withSkipReports<E, R>(
  handler: (event: E) => Promise<R>,
  reporting: SkipReporting | undefined,
): (event: E) => Promise<R> {
  if (!reporting || reporting.actions.length === 0) return handler;
  const { flow, log, metrics, alert } = reporting;
  return async (event: E) => {
    const result = await handler(event);
    for (const action of skippedActions(result, reporting.actions)) {
      try {
        metrics?.write(
          actionsSkippedLine(
            { stage: metrics.stage, flow, action: action.id, reason: action.reason },
            (metrics.clock ?? Date.now)(),
          ),
        );
        if (!alert) continue;
        const outcome = await alert(action, JSON.stringify(event) ?? "");
        log.info("skipped action alert", { flow, action: action.id, outcome });
      } catch (error) {
        log.error("skipped action alert not delivered (the Task's result stands)", {
          flow,
          action: action.id,
          reason: action.reason,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    }
    return result;
  };
}

/** LEADRELAY_ALERT_ON_SKIPPED: `true` alerts each skipped action (a deploy and `pnpm start` check the value). */
export const ALERT_ON_SKIPPED_ENV = "LEADRELAY_ALERT_ON_SKIPPED";

export function alertOnSkipped(env: Env): boolean {
  return env[ALERT_ON_SKIPPED_ENV]?.trim().toLowerCase() === "true";
}

/**
 * A Task Lambda's reporting, from what the stack put in its environment (LEADRELAY_FLOW,
 * LEADRELAY_ACTIONS; SST_STAGE by SST): undefined for a Lambda that performs no action. The alert's
 * code (S3, Slack, email clients) is loaded only when alerts are on.
 */
export async function skipReportingFromEnv(env: Env, kit: TaskKit): Promise<SkipReporting | undefined> {
  const flow = env[FLOW_ENV];
  const actions = parseTaskActions(env[ACTIONS_ENV]);
  if (!flow || actions.length === 0) return undefined;
  const alert = alertOnSkipped(env)
    ? (await import("./alerts/skipped-alert")).skippedAlerterFromEnv(env, kit, flow)
    : undefined;
  return {
    flow,
    actions,
    log: kit.log,
    metrics: { stage: env.SST_STAGE ?? "unknown", write: (line) => process.stdout.write(`${line}\n`) },
    ...(alert ? { alert } : {}),
  };
}
