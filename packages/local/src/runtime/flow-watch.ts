import type { FlowSpec, TaskKit } from "@leadrelay/functions";
import { type FailureAlerts, watchFailures } from "../failure-alerts";
import type { LocalStepFunctions } from "../local-step-functions";
import { createRuntimeMetrics, type RuntimeMetrics } from "../metrics";
import { LOCAL_REGION } from "./local-aws";
import type { Env, Print } from "./types";

export interface FlowWatch {
  metrics: RuntimeMetrics;
  alerts: FailureAlerts;
  /** In the background: ends the previous run had no time to alert (its markers keep the others from a second alert). */
  alertMissedEnds(): void;
  close(): Promise<void>;
}

/** The line printed when an execution ends: `triage lead_x-1 FAILED States.Timeout after 3.2 s`. */
export function endLine(
  flowId: string,
  record: { name: string; startDate: number; error?: string },
  event: { type: string; timestamp: number },
): string | undefined {
  if (!/^Execution(Succeeded|Failed|Aborted)$/.test(event.type)) return undefined;
  const seconds = ((event.timestamp - record.startDate) / 1000).toFixed(1);
  const why = record.error ? ` ${record.error}` : "";
  return `${flowId} ${record.name} ${event.type.replace("Execution", "").toUpperCase()}${why} after ${seconds} s`;
}

/**
 * What watches the running flows: `/metrics`, the failure alerts (the same handler as the
 * EventBridge rule's on AWS, posted to `alertWebhookUrl`) and one printed line per execution end.
 */
export function watchFlows(
  flows: readonly FlowSpec[],
  options: {
    engines: Record<string, LocalStepFunctions>;
    settings: Env;
    kit: TaskKit;
    url: string;
    alertWebhookUrl: string;
    print: Print;
  },
): FlowWatch {
  const { engines, print } = options;
  const metrics = createRuntimeMetrics(engines, flows);
  const alerts = watchFailures({
    engines,
    settings: options.settings,
    slackWebhookUrl: options.alertWebhookUrl,
    kit: options.kit,
    consoleUrl: options.url,
    region: LOCAL_REGION,
    print,
  });
  for (const [id, engine] of Object.entries(engines)) {
    engine.onEvent((record, event) => {
      const line = endLine(id, record, event);
      if (line) print(line);
    });
  }
  return {
    metrics,
    alerts,
    alertMissedEnds() {
      alerts.sweep().catch((error: unknown) => print(`leadrelay: failure alerts at start: ${String(error)}`));
    },
    async close() {
      metrics.stop();
      await alerts.stop();
    },
  };
}
