import { ServiceQuotaExhausted, ServiceRateLimited } from "@leadrelay/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TaskSlots } from "../src/task-slots";
import { VendorGates } from "../src/vendor-gate";

/**
 * The local vendor gate: one sliding window per vendor shared by every caller (every flow), a 429
 * holding every caller of that vendor, a used-up quota stopping it and alerting once, and a Task
 * waiting for budget holding no task slot.
 */

afterEach(() => vi.useRealTimers());

const rate = (count: number, windowMs: number) => ({ count, windowMs });

/** What the HTTP client reports as each declared call is sent: the budget counts it then. */
function send(gates: VendorGates, calls: Parameters<VendorGates["admit"]>[0]) {
  for (const [service, count] of Object.entries(calls)) {
    for (let i = 0; i < (count ?? 0); i++) gates.callStarted({ service, method: "GET", path: "/api" });
  }
}

/** Starts `n` admissions at once and records when each one's work started (sending its calls). */
async function burst(gates: VendorGates, calls: Parameters<VendorGates["admit"]>[0], n: number) {
  const started: number[] = [];
  await Promise.all(
    Array.from({ length: n }, () =>
      gates.admit(calls, async () => {
        started.push(Date.now());
        send(gates, calls);
      }),
    ),
  );
  return started;
}

/** The most starts inside any window of `windowMs`. */
function busiestWindow(starts: number[], windowMs: number) {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] as number;
    most = Math.max(most, sorted.filter((at) => at >= start && at < start + windowMs).length);
  }
  return most;
}

describe("VendorGates", () => {
  it("shares one budget between two flows calling the same vendor: never more than count in any window", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const gates = new VendorGates(new Map([["close", rate(10, 1000)]]));
    // Two flows: triage's FetchLead (1 Close call) and RecordOutcome (2), all at once.
    const done = Promise.all([burst(gates, { close: 1 }, 20), burst(gates, { close: 2 }, 10)]);
    await vi.runAllTimersAsync();
    const [fetches, records] = await done;
    // Each start of a 2-call Task counts twice.
    const starts = [...fetches, ...records, ...records];
    expect(starts).toHaveLength(40);
    expect(busiestWindow(starts, 1000)).toBeLessThanOrEqual(10);
    // 40 calls at 10 per second: the last ones start in the 4th second, not later.
    expect(Math.max(...starts) - 1_000_000).toBeGreaterThanOrEqual(3000);
    expect(Math.max(...starts) - 1_000_000).toBeLessThan(4000);
  });

  it("does not wait at all for a vendor without a budget, and serves callers first come first served", async () => {
    const gates = new VendorGates(new Map());
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => gates.admit({ twilio: 1 }, async () => order.push(i))));
    expect(order).toEqual([1, 2, 3]);
  });

  it("a 429 pauses every other execution's calls to that vendor until its reset, and requeues the refused Task", async () => {
    vi.useFakeTimers({ now: 2_000_000 });
    const requeued: string[] = [];
    const gates = new VendorGates(new Map([["hubspot", rate(100, 10_000)]]), {
      onRequeue: (name) => requeued.push(name),
    });
    let refused = false;
    const starts: Array<{ who: string; at: number }> = [];
    const first = gates.admit({ hubspot: 1 }, async () => {
      starts.push({ who: "first", at: Date.now() });
      if (!refused) {
        refused = true;
        const error = new ServiceRateLimited(
          { service: "hubspot", status: 429, detail: "ten_secondly_rolling" },
          3,
        );
        // What the HTTP client reports of that answer: the hold for every caller.
        gates.observe({
          service: "hubspot",
          method: "POST",
          status: 429,
          outcome: "rate-limited",
          ms: 5,
          path: "/crm/v3/objects/notes",
          error,
        });
        throw error;
      }
      return "done";
    });
    await vi.advanceTimersByTimeAsync(0);
    // Another execution's call to HubSpot, right after the 429: it waits for the reset too.
    const other = gates.admit({ hubspot: 1 }, async () => {
      starts.push({ who: "other", at: Date.now() });
    });
    // A different vendor is not held.
    await gates.admit({ close: 1 }, async () => starts.push({ who: "close", at: Date.now() }));
    await vi.advanceTimersByTimeAsync(3100);
    await expect(first).resolves.toBe("done");
    await other;
    expect(requeued).toEqual(["hubspot"]);
    expect(starts.map(({ who, at }) => [who, at - 2_000_000])).toEqual([
      ["first", 0],
      ["close", 0],
      ["first", 3000],
      ["other", 3000],
    ]);
  });

  it("without a budget the 429 goes to the Task's own Retry (a Lambda Task on AWS too), and still holds the vendor", async () => {
    vi.useFakeTimers({ now: 2_500_000 });
    const gates = new VendorGates(new Map());
    const error = new ServiceRateLimited({ service: "twilio", status: 429, code: "20429", detail: "busy" });
    const refused = gates.admit({ twilio: 1 }, async () => {
      gates.observe({
        service: "twilio",
        method: "POST",
        status: 429,
        outcome: "rate-limited",
        ms: 2,
        error,
      });
      throw error;
    });
    await expect(refused).rejects.toBe(error);
    // Twilio gives no Retry-After: its calls wait 1 s.
    let startedAt = 0;
    const retried = gates.admit({ twilio: 1 }, async () => {
      startedAt = Date.now() - 2_500_000;
    });
    await vi.runAllTimersAsync();
    await retried;
    expect(startedAt).toBe(1000);
  });

  it("a vendor's rate-limit headers lower its budget (also with none configured), never raise it", async () => {
    vi.useFakeTimers({ now: 3_000_000 });
    const gates = new VendorGates(new Map([["close", rate(100, 1000)]]));
    // Close says 2 calls are left for the next 0.5 s.
    gates.observe({
      service: "close",
      method: "GET",
      status: 200,
      outcome: "ok",
      ms: 3,
      path: "/api/v1/lead/x/",
      headers: new Headers({ ratelimit: "limit=10, remaining=2, reset=0.5" }),
    });
    const done = burst(gates, { close: 1 }, 3);
    await vi.runAllTimersAsync();
    expect((await done).map((at) => at - 3_000_000)).toEqual([0, 0, 500]);

    // Headers that allow more than the budget do not raise it.
    const tight = new VendorGates(new Map([["close", rate(1, 1000)]]));
    tight.observe({
      service: "close",
      method: "GET",
      status: 200,
      outcome: "ok",
      ms: 3,
      headers: new Headers({ ratelimit: "limit=100, remaining=99, reset=1" }),
    });
    const later = burst(tight, { close: 1 }, 2);
    await vi.runAllTimersAsync();
    const [a, b] = await later;
    expect((b as number) - (a as number)).toBe(1000);
  });

  it("a used-up daily quota stops the vendor's calls and alerts once; other vendors go on", async () => {
    const alerts: string[] = [];
    // A budgeted vendor: its Tasks wait in the gate (callback Tasks on AWS), so the gate stops them.
    const gates = new VendorGates(new Map([["hubspot", rate(100, 10_000)]]), {
      onQuota: (name, reason) => alerts.push(`${name}: ${reason}`),
    });
    const quota = new ServiceQuotaExhausted({
      service: "hubspot",
      status: 429,
      code: "DAILY",
      detail: "daily limit",
    });
    for (let i = 0; i < 3; i++) {
      gates.observe({
        service: "hubspot",
        method: "POST",
        status: 429,
        outcome: "quota",
        ms: 4,
        error: quota,
      });
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^hubspot: .*daily limit/);
    let called = false;
    await expect(
      gates.admit({ hubspot: 1 }, async () => {
        called = true;
      }),
    ).rejects.toMatchObject({ name: "ServiceQuotaExhausted", service: "hubspot" });
    expect(called).toBe(false);
    await expect(gates.admit({ close: 1 }, async () => "ok")).resolves.toBe("ok");
  });

  it("a Task waiting for its vendor's budget holds no task slot: other flows' Tasks run meanwhile", async () => {
    vi.useFakeTimers({ now: 4_000_000 });
    const gates = new VendorGates(new Map([["close", rate(1, 1000)]]));
    const slots = new TaskSlots(1);
    const ran: Array<[string, number]> = [];
    const closeTask = (who: string) =>
      gates.admit(
        { close: 1 },
        async () => {
          ran.push([who, Date.now() - 4_000_000]);
          send(gates, { close: 1 });
        },
        (work) => slots.run(work),
      );
    const a = closeTask("close-1");
    const b = closeTask("close-2");
    // An announce Task with no vendor budget gets the one slot while close-2 waits a second.
    await vi.advanceTimersByTimeAsync(10);
    await slots.run(async () => {
      ran.push(["slack", Date.now() - 4_000_000]);
    });
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(ran).toEqual([
      ["close-1", 0],
      ["slack", 10],
      ["close-2", 1000],
    ]);
  });
});
