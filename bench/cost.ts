import type { ScenarioName, ScenarioResult, TransitionsResult } from "./transitions";

/** us-east-1 list prices, no free tier. */
export const PRICES = {
  asOf: "2026-11 — us-east-1 list prices, no free tiers (Step Functions figure checked against aws.amazon.com/step-functions/pricing)",
  stepFunctionsStandardPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecondArm64: 0.0000133334,
  lambdaMemoryGB: 256 / 1024,
  s3PutPerRequest: 0.005 / 1000,
  s3GetPerRequest: 0.0004 / 1000,
  apiGatewayHttpPerRequest: 1.0 / 1e6,
  sqsPerRequest: 0.4 / 1e6,
};

export interface Usage {
  apiGatewayRequests: number;
  lambdaRequests: number;
  /** Sum over invocations of the billed duration (each rounded up to 1 ms). */
  lambdaBilledMs: number;
  s3Put: number;
  s3Get: number;
  transitions: number;
  sqsRequests: number;
}

export interface CostLine {
  usage: Usage;
  /** USD per one million leads, by service. */
  perMillion: Record<
    "apiGateway" | "lambdaRequests" | "lambdaCompute" | "s3" | "stepFunctions" | "sqs" | "total",
    number
  >;
}

const billed = (ms: number) => Math.max(1, Math.ceil(ms));
const cents = (usd: number) => Math.round(usd * 100) / 100;

export function price(usage: Usage): CostLine {
  const m = 1e6;
  const parts = {
    apiGateway: usage.apiGatewayRequests * PRICES.apiGatewayHttpPerRequest * m,
    lambdaRequests: usage.lambdaRequests * PRICES.lambdaPerRequest * m,
    lambdaCompute: (usage.lambdaBilledMs / 1000) * PRICES.lambdaMemoryGB * PRICES.lambdaPerGbSecondArm64 * m,
    s3: (usage.s3Put * PRICES.s3PutPerRequest + usage.s3Get * PRICES.s3GetPerRequest) * m,
    stepFunctions: usage.transitions * PRICES.stepFunctionsStandardPerTransition * m,
    sqs: usage.sqsRequests * PRICES.sqsPerRequest * m,
  };
  const total = Object.values(parts).reduce((sum, v) => sum + v, 0);
  return {
    usage,
    perMillion: {
      apiGateway: cents(parts.apiGateway),
      lambdaRequests: cents(parts.lambdaRequests),
      lambdaCompute: cents(parts.lambdaCompute),
      s3: cents(parts.s3),
      stepFunctions: cents(parts.stepFunctions),
      sqs: cents(parts.sqs),
      total: cents(total),
    },
  };
}

/** S3 request classes: PUT/COPY/POST/LIST at the PUT rate, GET/HEAD/other at the GET rate, DELETE free. */
function s3Classes(requests: Record<string, number>) {
  let put = 0;
  let get = 0;
  for (const [kind, count] of Object.entries(requests)) {
    if (/^(PutObject|CopyObject|ListObjects)/.test(kind)) put += count;
    else if (!/^DeleteObject/.test(kind)) get += count;
  }
  return { put, get };
}

/** leadrelay: API GW → ingest Lambda → S3 + StartExecution; the state machine's Lambdas; measured from the histories. */
export function leadrelayUsage(scenario: ScenarioResult, lambdaMsOverride?: number): Usage {
  const ms = (measured: number) => lambdaMsOverride ?? measured;
  const { put, get } = s3Classes(scenario.s3Requests);
  return {
    apiGatewayRequests: 1,
    lambdaRequests: 1 + scenario.lambdaInvocations,
    lambdaBilledMs:
      billed(ms(scenario.ingestMs)) + scenario.attempts.reduce((sum, a) => sum + billed(ms(a.ms)), 0),
    s3Put: put,
    s3Get: get,
    transitions: scenario.transitions,
    sqsRequests: 0,
  };
}

/**
 * The classic design: API GW → ingest Lambda (verify, S3 PUT raw, SQS SendMessage DelaySeconds=600) →
 * Lambda event source mapping → one consumer Lambda that reads the raw event once, fetches the owner,
 * stores the enriched record and posts to Slack with the same at-most-once marker. A failed attempt
 * (owner not assigned yet, Slack 429) throws after a ChangeMessageVisibility for the backoff, and SQS
 * delivers the message again. Same step durations as leadrelay's measured Task durations.
 * Not per lead: the event source mapping's idle long polling (~0.65 M ReceiveMessage/month ≈ $0.26/month).
 */
export function classicUsage(scenario: ScenarioResult, lambdaMsOverride?: number): Usage {
  const stepMs = (state: string, outcome: "succeeded" | "failed") =>
    lambdaMsOverride ?? scenario.attempts.find((a) => a.state === state && a.outcome === outcome)?.ms ?? 0;
  const steps = ["FetchRaw", "FetchOwner", "MergeAndStore", "NotifySlack"];
  const failed = scenario.attempts.filter((a) => a.outcome === "failed");
  // One consumer invocation per delivery: the successful one runs all four steps, a failed one stops at its step.
  const deliveries = [
    ...failed.map((f) => ({
      ms:
        steps.slice(0, steps.indexOf(f.state)).reduce((sum, s) => sum + stepMs(s, "succeeded"), 0) +
        stepMs(f.state, "failed"),
      // GET raw; a Slack failure also wrote the enriched record, read and created the marker (its DELETE is free).
      s3: f.state === "NotifySlack" ? { put: 2, get: 2 } : { put: 0, get: 1 },
    })),
    // GET raw, PUT enriched, GET marker, PUT "sending", PUT "sent".
    { ms: steps.reduce((sum, s) => sum + stepMs(s, "succeeded"), 0), s3: { put: 3, get: 2 } },
  ];
  return {
    apiGatewayRequests: 1,
    lambdaRequests: 1 + deliveries.length,
    lambdaBilledMs:
      billed(lambdaMsOverride ?? scenario.ingestMs) + deliveries.reduce((sum, d) => sum + billed(d.ms), 0),
    // The ingest PUTs the raw event.
    s3Put: 1 + deliveries.reduce((sum, d) => sum + d.s3.put, 0),
    s3Get: deliveries.reduce((sum, d) => sum + d.s3.get, 0),
    transitions: 0,
    // SendMessage; ReceiveMessage per delivery; ChangeMessageVisibility per failed delivery; DeleteMessage.
    sqsRequests: 1 + deliveries.length + failed.length + 1,
  };
}

export function costTable(transitions: TransitionsResult, lambdaMsOverride?: number) {
  const out = {} as Record<ScenarioName, { leadrelay: CostLine; classicSqs: CostLine }>;
  for (const [name, scenario] of Object.entries(transitions.scenarios) as Array<
    [ScenarioName, ScenarioResult]
  >) {
    out[name] = {
      leadrelay: price(leadrelayUsage(scenario, lambdaMsOverride)),
      classicSqs: price(classicUsage(scenario, lambdaMsOverride)),
    };
  }
  return out;
}
