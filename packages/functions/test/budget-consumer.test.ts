import { ServiceRateLimited, ServiceRejected } from "@leadrelay/core";
import { describe, expect, it } from "vitest";
import { classifyHubSpotError } from "../src/adapters/hubspot";
import {
  type BudgetRecord,
  type BudgetStore,
  consumeBudgetMessages,
  recordVerdict,
  reserveOn,
} from "../src/budget-consumer";
import { createHttpClient } from "../src/http-client";
import { createLogger } from "../src/log";
import type { BudgetName, Rate } from "../src/vendor-budget";

/**
 * The AWS consumer of a budgeted Task's queue, against local fakes of Step Functions, SQS and the
 * budget table (the same record arithmetic the DynamoDB store writes): it answers the token as a
 * Lambda Task would, waits in the queue (a delayed re-send) instead of in Lambda, holds the vendor
 * on a 429, and never calls the vendor for a token no longer waited for.
 */

function memoryStore(): BudgetStore & { records: Map<BudgetName, BudgetRecord> } {
  const records = new Map<BudgetName, BudgetRecord>();
  const get = (name: BudgetName) => records.get(name) ?? { starts: [], hold: {} };
  return {
    records,
    async reserve(name, n, rate, now) {
      const { at, record } = reserveOn(get(name), n, rate, now);
      records.set(name, record);
      return at;
    },
    async record(name, verdict, now) {
      const { record, stopped } = recordVerdict(get(name), verdict, now, now + 86_400_000);
      records.set(name, record);
      return stopped;
    },
    async stopped(name, now) {
      const record = get(name);
      return record.stoppedUntil !== undefined && record.stoppedUntil > now ? record.stopReason : undefined;
    },
  };
}

function harness(options: {
  rate?: Rate;
  handler?: (input: unknown) => Promise<unknown>;
  now?: () => number;
  lateTokens?: Set<string>;
}) {
  const answers: Array<{ kind: string; token: string; detail?: unknown }> = [];
  const requeued: Array<{ body: Record<string, unknown>; delaySeconds: number }> = [];
  const calls: unknown[] = [];
  const store = memoryStore();
  const late = (token: string) => {
    if (options.lateTokens?.has(token)) {
      const error = new Error("Task Timed Out");
      error.name = "TaskTimedOut";
      throw error;
    }
  };
  const consume = (bodies: unknown[]) =>
    consumeBudgetMessages(
      { Records: bodies.map((body, i) => ({ messageId: `m${i}`, body: JSON.stringify(body) })) },
      {
        calls: { close: 1 },
        rates: new Map(options.rate ? [["close", options.rate]] : []),
        store,
        log: createLogger("test", { level: "silent" }),
        now: options.now,
        handler:
          options.handler ??
          (async (input) => {
            calls.push(input);
            return { done: input };
          }),
        callbacks: {
          heartbeat: async (token) => late(token),
          succeed: async (token, output) => {
            late(token);
            answers.push({ kind: "success", token, detail: JSON.parse(output) });
          },
          fail: async (token, error, cause) => {
            answers.push({ kind: "failure", token, detail: { error, cause: JSON.parse(cause) } });
          },
          requeue: async (body, delaySeconds) => {
            requeued.push({ body: JSON.parse(body), delaySeconds });
          },
        },
      },
    );
  return { consume, answers, requeued, calls, store };
}

/** HubSpot answering every call with its daily-limit 429 (in process: no socket). */
const hubspot = createHttpClient({
  service: "hubspot",
  baseUrl: "https://api.hubapi.com",
  classify: classifyHubSpotError,
  fetch: async () =>
    new Response(
      JSON.stringify({
        status: "error",
        message: "You have reached your daily limit.",
        errorType: "RATE_LIMIT",
        policyName: "DAILY",
      }),
      { status: 429, headers: { "content-type": "application/json" } },
    ),
});

describe("the budget queue consumer", () => {
  it("runs the Task's handler and answers its token with the result", async () => {
    const { consume, answers, calls } = harness({ rate: { count: 10, windowMs: 1000 } });
    const result = await consume([{ taskToken: "t1", input: { leadId: "lead_1" } }]);
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toEqual([{ leadId: "lead_1" }]);
    expect(answers).toEqual([{ kind: "success", token: "t1", detail: { done: { leadId: "lead_1" } } }]);
  });

  it("beyond the budget, the message waits in the queue (a delayed re-send with its reservation), not in Lambda", async () => {
    let clock = 1_000_000;
    const { consume, answers, requeued, calls } = harness({
      rate: { count: 2, windowMs: 1000 },
      now: () => clock,
    });
    await consume([
      { taskToken: "a", input: 1 },
      { taskToken: "b", input: 2 },
      { taskToken: "c", input: 3 },
    ]);
    expect(calls).toEqual([1, 2]);
    expect(requeued).toEqual([
      { body: { taskToken: "c", input: 3, reservedAt: 1_001_000 }, delaySeconds: 1 },
    ]);
    // When it comes back, its reservation is due: it runs without reserving again, and is sent once.
    clock = 1_001_000;
    await consume([requeued[0]?.body]);
    expect(calls).toEqual([1, 2, 3]);
    expect(answers.map((answer) => answer.token)).toEqual(["a", "b", "c"]);
  });

  it("answers a failure with the Lambda's error name and a Lambda-shaped cause (the ASL's Retry and Catch see the same)", async () => {
    const { consume, answers } = harness({
      handler: async () => {
        throw new ServiceRejected({ service: "close", status: 400, detail: "bad field" });
      },
    });
    await consume([{ taskToken: "t", input: {} }]);
    expect(answers).toEqual([
      {
        kind: "failure",
        token: "t",
        detail: {
          error: "ServiceRejected",
          cause: { errorType: "ServiceRejected", errorMessage: expect.stringContaining("bad field") },
        },
      },
    ]);
  });

  it("while a 429 holds the vendor, every other Task's message waits in the queue until the reset, unsent", async () => {
    const clock = 2_000_000;
    const { consume, answers, requeued, calls, store } = harness({ now: () => clock });
    // Another consumer's call got a 429 with Retry-After 3: what its HTTP client reported.
    await store.record("close", { pauseUntil: clock + 3000 }, clock);
    await consume([{ taskToken: "other", input: 7 }]);
    expect(calls).toEqual([]);
    expect(answers).toEqual([]);
    expect(requeued).toEqual([
      { body: { taskToken: "other", input: 7, reservedAt: clock + 3000 }, delaySeconds: 3 },
    ]);
  });

  it("a 429 from the handler puts the message back (not an execution failure), at most maxRequeues times", async () => {
    const clock = 3_000_000;
    const { consume, answers, requeued } = harness({
      now: () => clock,
      handler: async () => {
        throw new ServiceRateLimited({ service: "close", status: 429, detail: "slow down" }, 2);
      },
    });
    await consume([{ taskToken: "t", input: {} }]);
    expect(answers).toEqual([]);
    expect(requeued).toHaveLength(1);
    expect(requeued[0]?.body.requeues).toBe(1);
    // The tenth refusal goes to the Task's own Retry as the Lambda's error.
    await consume([{ taskToken: "t", input: {}, requeues: 10 }]);
    expect(answers.map((answer) => (answer.detail as { error: string }).error)).toEqual([
      "ServiceRateLimited",
    ]);
  });

  it("drops a message whose token is no longer waited for, without calling the vendor", async () => {
    const { consume, answers, calls, requeued } = harness({ lateTokens: new Set(["gone"]) });
    const result = await consume([{ taskToken: "gone", input: 1 }]);
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toEqual([]);
    expect(answers).toEqual([]);
    expect(requeued).toEqual([]);
  });

  it("fails the Task with ServiceQuotaExhausted while the vendor is stopped, without calling it", async () => {
    const { consume, answers, calls, store } = harness({});
    expect(await store.record("close", { quota: "daily limit" }, Date.now())).toBe(true);
    // A second quota answer does not stop (and alert) again.
    expect(await store.record("close", { quota: "daily limit" }, Date.now())).toBe(false);
    await consume([{ taskToken: "t", input: 1 }]);
    expect(calls).toEqual([]);
    expect(answers).toMatchObject([{ kind: "failure", detail: { error: "ServiceQuotaExhausted" } }]);
  });

  it("the consumer that stops a vendor for its quota logs it once as the VendorQuotaStopped metric (EMF, by stage and vendor)", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const options = {
      calls: { hubspot: 1 } as const,
      rates: new Map<BudgetName, Rate>([["hubspot", { count: 100, windowMs: 10_000 }]]),
      store: memoryStore(),
      stage: "prod",
      now: () => 1_700_000_000_000,
      log: createLogger("test", { level: "info", write: (line) => lines.push(JSON.parse(line)) }),
      // The Task's HubSpot call answers HubSpot's 429 with policy DAILY (the adapter's own classifier).
      handler: async () => hubspot.request({ path: "/crm/v3/objects/contacts", json: {} }),
      callbacks: {
        heartbeat: async () => {},
        succeed: async () => {},
        fail: async () => {},
        requeue: async () => {},
      },
    };
    await consumeBudgetMessages(
      { Records: [{ messageId: "m1", body: JSON.stringify({ taskToken: "t1", input: 1 }) }] },
      options,
    );
    // The next Task is refused by the stop itself: no second metric line.
    await consumeBudgetMessages(
      { Records: [{ messageId: "m2", body: JSON.stringify({ taskToken: "t2", input: 2 }) }] },
      options,
    );
    const metrics = lines.filter((line) => "_aws" in line);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      level: "error",
      alert: "VendorQuotaExhausted",
      Stage: "prod",
      Vendor: "hubspot",
      VendorQuotaStopped: 1,
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: "leadrelay",
            Dimensions: [["Stage", "Vendor"]],
            Metrics: [{ Name: "VendorQuotaStopped", Unit: "Count" }],
          },
        ],
      },
    });
  });

  it("reports the message for redelivery when Step Functions or SQS fail (partial batch response)", async () => {
    const result = await consumeBudgetMessages(
      { Records: [{ messageId: "m1", body: JSON.stringify({ taskToken: "t", input: 1 }) }] },
      {
        calls: { close: 1 },
        rates: new Map(),
        store: memoryStore(),
        log: createLogger("test", { level: "silent" }),
        handler: async () => "ok",
        callbacks: {
          heartbeat: async () => {
            throw Object.assign(new Error("down"), { name: "ServiceUnavailable" });
          },
          succeed: async () => {},
          fail: async () => {},
          requeue: async () => {},
        },
      },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
  });
});

describe("reserveOn (the shared window's arithmetic)", () => {
  it("reservations are in time order and never more than count in any window", () => {
    let record: BudgetRecord = { starts: [], hold: {} };
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const reserved = reserveOn(record, 1, { count: 10, windowMs: 1000 }, 5_000);
      record = reserved.record;
      times.push(reserved.at - 5_000);
    }
    expect(times.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(times.slice(10, 20)).toEqual(Array(10).fill(1000));
    expect(times.slice(20)).toEqual(Array(5).fill(2000));
  });
});
