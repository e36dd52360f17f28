import type { IncomingMessage, ServerResponse } from "node:http";
import { buildTimeline } from "@leadrelay/core";
import { observeOutboundCalls } from "@leadrelay/functions";
import { describeExecution } from "@leadrelay/functions/flow-outcome";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ExecutionRecord } from "./execution-store";
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

/** An execution's last event and the status it gives (the listener runs before the record is updated). */
const ENDS: Record<string, string> = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionAborted: "ABORTED",
  ExecutionTimedOut: "TIMED_OUT",
};

const parse = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** A local execution record as a flow's view reads it (its output, else the last state's input). */
function factsOfRecord(record: ExecutionRecord, end: HistoryEvent, status: string) {
  const events = record.events as Parameters<typeof buildTimeline>[0];
  const output = (end as { executionSucceededEventDetails?: { output?: string } })
    .executionSucceededEventDetails?.output;
  let state = status === "SUCCEEDED" ? parse(output ?? record.output) : undefined;
  for (let index = record.events.length - 1; state === undefined && index >= 0; index--) {
    const event = record.events[index] as {
      stateEnteredEventDetails?: { input?: string };
      stateExitedEventDetails?: { output?: string };
    };
    state = parse(event.stateEnteredEventDetails?.input ?? event.stateExitedEventDetails?.output);
  }
  return {
    name: record.name,
    status,
    input: parse(record.input),
    state,
    steps: buildTimeline(events).steps.map((step) => ({
      state: step.state,
      status: step.status,
      error: step.attempts.at(-1)?.error,
      cause: step.attempts.at(-1)?.cause,
    })),
  };
}

/** Vendor calls take milliseconds to seconds; the HTTP client gives up at 8 s by default. */
const CALL_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface RuntimeMetrics {
  readonly registry: Registry;
  /** A webhook answered by a source's ingest, and what became of it (accepted, rejected, duplicate…). */
  webhook(source: string, status: number, outcome?: string): void;
  /** Answers `GET /metrics`. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stop(): void;
}

export function createRuntimeMetrics(
  engines: Record<string, LocalStepFunctions>,
  flows: readonly Pick<FlowSpec, "id" | "actions" | "view">[] = [],
): RuntimeMetrics {
  const registry = new Registry();
  const webhooks = new Counter({
    name: "leadrelay_webhooks_total",
    help: "Webhook deliveries answered, by source, HTTP status and outcome (accepted, duplicate, ignored, rejected and kept, refused, unavailable).",
    labelNames: ["source", "status", "outcome"] as const,
    registers: [registry],
  });
  const actions = new Counter({
    name: "leadrelay_actions_total",
    help: "Each flow's actions in executions that ended, by flow, action and outcome (done, skipped, failed, uncertain).",
    labelNames: ["flow", "action", "outcome"] as const,
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
  const specs = new Map(flows.map((flow) => [flow.id, flow]));
  for (const flow of flows) {
    for (const action of flow.actions)
      actions.inc({ flow: flow.id, action: action.id, outcome: "skipped" }, 0);
  }
  const unsubscribe = Object.entries(engines).map(([flow, engine]) =>
    engine.onEvent((record, event: HistoryEvent) => {
      const status = EXECUTION_STATUSES[event.type];
      if (status) executions.inc({ flow, status });
      const spec = specs.get(flow);
      const ended = ENDS[event.type];
      if (!spec || !ended) return;
      // What each action came to, read from the execution by the flow's own declaration.
      for (const action of describeExecution(spec, factsOfRecord(record, event, ended)).actions) {
        if (action.status !== "running") actions.inc({ flow, action: action.id, outcome: action.status });
      }
    }),
  );
  // The HTTP client's hook is process-wide: a process with two runtimes counts their calls in both.
  const stopObserving = observeOutboundCalls((call) => {
    calls.inc({ service: call.service, outcome: call.outcome });
    callSeconds.observe({ service: call.service }, call.ms / 1000);
  });

  return {
    registry,
    webhook(source, status, outcome = "answered") {
      webhooks.inc({ source, status: String(status), outcome });
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
