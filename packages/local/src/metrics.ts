import type { IncomingMessage, ServerResponse } from "node:http";
import { observeOutboundCalls } from "@leadrelay/functions";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { HistoryEvent } from "./history";
import type { LocalStepFunctions } from "./local-step-functions";

/**
 * `GET /metrics` of the local runtime, in Prometheus' text format: webhooks by source and answer,
 * executions by flow and how they began or ended, the executions running now, and every vendor
 * call by service and outcome. One registry per runtime (tests start several in one process), never
 * prom-client's global one.
 */

/** History events counted as an execution's start or end, by the status label they get. */
const EXECUTION_STATUSES: Record<string, string> = {
  ExecutionStarted: "started",
  ExecutionRedriven: "redriven",
  ExecutionSucceeded: "succeeded",
  ExecutionFailed: "failed",
  ExecutionAborted: "aborted",
  ExecutionTimedOut: "timed_out",
};

/** Vendor calls take milliseconds to seconds; the HTTP client gives up at 8 s by default. */
const CALL_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface RuntimeMetrics {
  readonly registry: Registry;
  /** A webhook answered by a source's ingest. */
  webhook(source: string, status: number): void;
  /** Answers `GET /metrics`. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stop(): void;
}

export function createRuntimeMetrics(engines: Record<string, LocalStepFunctions>): RuntimeMetrics {
  const registry = new Registry();
  const webhooks = new Counter({
    name: "leadrelay_webhooks_total",
    help: "Webhook deliveries answered, by source and HTTP status of the answer.",
    labelNames: ["source", "status"] as const,
    registers: [registry],
  });
  const executions = new Counter({
    name: "leadrelay_executions_total",
    help: "Executions started, redriven and ended, by flow and status.",
    labelNames: ["flow", "status"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "leadrelay_executions_waiting",
    help: "Executions running now (holding, retrying or in a Task), by flow.",
    labelNames: ["flow"] as const,
    registers: [registry],
    // Read when scraped: always the engines' own count, nothing to keep in step.
    collect() {
      for (const [flow, engine] of Object.entries(engines)) this.set({ flow }, engine.runningCount());
    },
  });
  const calls = new Counter({
    name: "leadrelay_outbound_calls_total",
    help: "Calls to outbound services (vendors and stand-ins), by service and outcome.",
    labelNames: ["service", "outcome"] as const,
    registers: [registry],
  });
  const callSeconds = new Histogram({
    name: "leadrelay_outbound_call_duration_seconds",
    help: "Duration of calls to outbound services, by service.",
    labelNames: ["service"] as const,
    buckets: CALL_SECONDS_BUCKETS,
    registers: [registry],
  });

  // Known label values start at zero, so a rate over a fresh runtime is 0 rather than absent.
  for (const flow of Object.keys(engines)) {
    for (const status of Object.values(EXECUTION_STATUSES)) executions.inc({ flow, status }, 0);
  }
  const unsubscribe = Object.entries(engines).map(([flow, engine]) =>
    engine.onEvent((_record, event: HistoryEvent) => {
      const status = EXECUTION_STATUSES[event.type];
      if (status) executions.inc({ flow, status });
    }),
  );
  // The HTTP client's hook is process-wide: a process with two runtimes counts their calls in both.
  const stopObserving = observeOutboundCalls((call) => {
    calls.inc({ service: call.service, outcome: call.outcome });
    callSeconds.observe({ service: call.service }, call.ms / 1000);
  });

  return {
    registry,
    webhook(source, status) {
      webhooks.inc({ source, status: String(status) });
    },
    async handle(req, res) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET" }).end();
        return;
      }
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    },
    stop() {
      for (const stop of unsubscribe) stop();
      stopObserving();
    },
  };
}
