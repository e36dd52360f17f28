import type { LocalStepFunctions } from "../../packages/local/src/local-step-functions";
import type { Runtime } from "../../packages/local/src/runtime";
import { type CostLine, price } from "../cost";

/**
 * What one business event costs on its branch, read from its execution history on the local
 * engine, the way bench/transitions.ts counts announce: Standard transitions are billed per state
 * entered, retries included (every *StateEntered, nested ones too, + every Lambda retry + 1 for
 * the start); Lambda billed duration from each invocation's start to its end; S3 requests as the
 * embedded S3 served them.
 */
export interface BranchResult {
  status: string;
  path: string[];
  statesEntered: number;
  retries: number;
  transitions: number;
  lambdaInvocations: number;
  lambdaBilledMs: number;
  ingestMs: number;
  s3Requests: { put: number; get: number; delete: number };
  cost: CostLine;
  /** USD per event (the cost line is per million). */
  usdPerEvent: number;
}

export const COUNTING_RULE =
  "Standard transitions billed per state entered, retries included (aws.amazon.com/step-functions/pricing): " +
  "every *StateEntered in the history (Parallel and Map branches' states, Choices, Pass, Succeed/Fail) + " +
  "every Lambda retry + 1 for the start. Cost: bench/cost.ts prices (Step Functions Standard $0.025 per " +
  "1,000 transitions, Lambda requests and GB-s at 256 MB arm64, API Gateway HTTP, S3 PUT/GET) with the " +
  "measured local Lambda durations.";

export type S3Counts = { put: number; get: number; delete: number };

/** Counts the S3 requests that reach the embedded S3 (ingest and the Tasks alike). */
export function countS3(runtime: Runtime): S3Counts {
  const counts = { put: 0, get: 0, delete: 0 };
  const handle = runtime.s3.handle.bind(runtime.s3);
  runtime.s3.handle = (req, res) => {
    if (req.method === "PUT") counts.put++;
    else if (req.method === "DELETE") counts.delete++;
    else counts.get++;
    return handle(req, res);
  };
  return counts;
}

/** Posts one event (returns the answer's status), waits for its execution, and prices what it did. */
export async function measureBranch(options: {
  engine: LocalStepFunctions;
  s3: S3Counts;
  name: string;
  send: () => Promise<number>;
  expectStatus?: number;
}): Promise<BranchResult> {
  const { engine, s3, name } = options;
  const before = { ...s3 };
  const t0 = performance.now();
  const status = await options.send();
  const ingestMs = performance.now() - t0;
  if (status !== (options.expectStatus ?? 202)) throw new Error(`${name}: ingest answered ${status}`);
  const record = await engine.settled(name);
  const { events } = engine.getExecutionHistory({ executionArn: engine.arnOf(name) });
  const entered = events.filter((event) => event.type.endsWith("StateEntered"));
  const path = entered.map((event) => (event.stateEnteredEventDetails as { name: string }).name);
  const scheduled = events.filter((event) => event.type === "LambdaFunctionScheduled").length;
  const tasksEntered = entered.filter((event) => event.type === "TaskStateEntered").length;
  // Parallel branches interleave: pair starts and ends first-in first-out (the sum is the same either way).
  const starts: number[] = [];
  let lambdaBilledMs = 0;
  for (const event of events) {
    if (event.type === "LambdaFunctionStarted") starts.push(event.timestamp);
    if (/^LambdaFunction(Succeeded|Failed|TimedOut)$/.test(event.type)) {
      lambdaBilledMs += Math.max(1, Math.ceil(event.timestamp - (starts.shift() ?? event.timestamp)));
    }
  }
  const s3Requests = {
    put: s3.put - before.put,
    get: s3.get - before.get,
    delete: s3.delete - before.delete,
  };
  const retries = scheduled - tasksEntered;
  const transitions = entered.length + retries + 1;
  const cost = price({
    apiGatewayRequests: 1,
    lambdaRequests: 1 + scheduled,
    lambdaBilledMs: Math.max(1, Math.ceil(ingestMs)) + lambdaBilledMs,
    s3Put: s3Requests.put,
    s3Get: s3Requests.get,
    transitions,
    sqsRequests: 0,
  });
  return {
    status: record?.status ?? "UNKNOWN",
    path,
    statesEntered: entered.length,
    retries,
    transitions,
    lambdaInvocations: scheduled,
    lambdaBilledMs,
    ingestMs: Math.round(ingestMs * 100) / 100,
    s3Requests,
    cost,
    usdPerEvent: cost.perMillion.total / 1e6,
  };
}
