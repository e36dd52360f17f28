import { enrichedKey, rawEventKey } from "@leadrelay/core";
import { describe, expect, it } from "vitest";
import type { FlowTarget } from "../src/console-flows";
import { ExecutionList, SCAN_LIMIT } from "../src/execution-list";
import { createHoldReader } from "../src/state-machine-holds";
import {
  type FakeExecution,
  FakeStepFunctions,
  HOLD_SECONDS,
  MemoryStore,
  rawWebhook,
  STATE_MACHINE_ARN,
  TRIAGE_ARN,
} from "./fake-step-functions";

const NOW = Date.parse("2026-11-20T15:00:00Z");

function setup(
  count: number,
  make: (index: number) => Partial<{ status: "RUNNING" | "SUCCEEDED" | "FAILED"; name: string }> = () => ({}),
) {
  const sfn = new FakeStepFunctions();
  const store = new MemoryStore();
  for (let index = 0; index < count; index++) {
    const { status = "SUCCEEDED", name = `Lead ${index}` } = make(index);
    const id = `lead_L${String(index).padStart(5, "0")}`;
    const startDate = NOW - (index + 1) * 60_000;
    store.objects.set(rawEventKey(id), rawWebhook(id, name));
    if (status === "SUCCEEDED") {
      store.objects.set(
        enrichedKey(id),
        JSON.stringify({ leadId: id, name, owner: `Owner ${index % 3}`, funnel: "Inbound" }),
      );
    }
    sfn.executions.push({
      name: id,
      status,
      startDate,
      stopDate: status === "RUNNING" ? undefined : startDate + 1000,
      error: status === "FAILED" ? "OwnerNeverAssigned" : undefined,
      events:
        status === "RUNNING"
          ? [
              { type: "ExecutionStarted", timestamp: startDate },
              {
                type: "WaitStateEntered",
                timestamp: startDate,
                stateEnteredEventDetails: { name: "HoldForOwner", input: "{}" },
              },
            ]
          : [],
    });
  }
  return { sfn, store, list: listOf(sfn, store) };
}

function listOf(sfn: FakeStepFunctions, store: MemoryStore, withTriage = false) {
  const flows: FlowTarget[] = [
    { id: "announce", title: "Announce", stateMachineArn: STATE_MACHINE_ARN, sfn: sfn.asClient() },
    ...(withTriage
      ? [{ id: "triage", title: "Triage", stateMachineArn: TRIAGE_ARN, sfn: sfn.asClient() }]
      : []),
  ];
  const readers = new Map(
    flows.map((flow) => [flow.id, createHoldReader(sfn.asClient(), flow.stateMachineArn)]),
  );
  return new ExecutionList({
    flows,
    store,
    holds: (flow) => (readers.get(flow) as () => ReturnType<ReturnType<typeof createHoldReader>>)(),
    clock: () => NOW,
    concurrency: 4,
  });
}

describe("execution list, one flow (announce)", () => {
  it("pages with ListExecutions' own paging, newest first, rows titled from the stored lead", async () => {
    const { list, sfn } = setup(120);
    const first = await list.page({ pageSize: 50 });
    expect(first.rows.map((row) => row.name)).toEqual(
      Array.from({ length: 50 }, (_, i) => `lead_L${String(i).padStart(5, "0")}`),
    );
    expect(first.rows[1]).toMatchObject({
      status: "notified",
      pageKey: "lead_L00001",
      story: { title: "Lead 1" },
    });
    const second = await list.page({ pageSize: 50, cursor: first.cursor });
    const third = await list.page({ pageSize: 50, cursor: second.cursor });
    expect(second.rows[0]?.name).toBe("lead_L00050");
    expect(third.rows).toHaveLength(20);
    expect(third.cursor).toBeUndefined();
    // One API page per console page: no full scan.
    expect(sfn.count("ListExecutions")).toBe(3);
    expect(
      sfn.calls.filter((call) => call.operation === "ListExecutions").map((call) => call.input.maxResults),
    ).toEqual([50, 50, 50]);
  });

  it("shows a waiting lead's end of hold from the Wait state's entry, without asking again until it ends", async () => {
    const { list, sfn } = setup(3, () => ({ status: "RUNNING" }));
    const page = await list.page({ pageSize: 10 });
    expect(page.rows[0]).toMatchObject({
      status: "waiting",
      state: "HoldForOwner",
      waitEndsAt: NOW - 60_000 + HOLD_SECONDS * 1000,
    });
    expect(page.rows[0]?.story.title).toBe("Lead 0");
    const histories = sfn.count("GetExecutionHistory");
    await list.page({ pageSize: 10 });
    expect(sfn.count("GetExecutionHistory")).toBe(histories);
  });

  it("keeps what it learned about stopped executions (describe once for a failed one's error)", async () => {
    const { list, sfn, store } = setup(4, (index) => ({ status: index === 0 ? "FAILED" : "SUCCEEDED" }));
    const first = await list.page({ pageSize: 10 });
    expect(first.rows[0]).toMatchObject({ status: "failed", error: "OwnerNeverAssigned" });
    const gets = store.gets;
    const describes = sfn.count("DescribeExecution");
    await list.page({ pageSize: 10 });
    expect(store.gets).toBe(gets);
    expect(sfn.count("DescribeExecution")).toBe(describes);
  });

  it("searches names over the newest pages, continuing exactly where the page filled up", async () => {
    const { list } = setup(250, (index) => ({ name: index % 10 === 0 ? `Acme ${index}` : `Other ${index}` }));
    const first = await list.page({ pageSize: 10, q: "acme" });
    expect(first.rows.map((row) => row.story.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Acme ${i * 10}`),
    );
    const second = await list.page({ pageSize: 10, q: "ACME", cursor: first.cursor });
    expect(second.rows.map((row) => row.story.title)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Acme ${(i + 10) * 10}`),
    );
    const third = await list.page({ pageSize: 10, q: "acme", cursor: second.cursor });
    expect(third.rows.map((row) => row.story.title)).toEqual([
      "Acme 200",
      "Acme 210",
      "Acme 220",
      "Acme 230",
      "Acme 240",
    ]);
    expect(third.cursor).toBeUndefined();
  });

  it(`stops a search after ${SCAN_LIMIT} executions and says so, with a cursor to search further`, async () => {
    const { list } = setup(SCAN_LIMIT + 150, (index) => ({
      name: index === SCAN_LIMIT + 120 ? "Needle Ltd" : `Hay ${index}`,
    }));
    const first = await list.page({ pageSize: 10, q: "needle" });
    expect(first).toMatchObject({ rows: [], scanned: SCAN_LIMIT, scanLimitReached: true });
    const further = await list.page({ pageSize: 10, q: "needle", cursor: first.cursor });
    expect(further.rows.map((row) => row.story.title)).toEqual(["Needle Ltd"]);
    expect(further.scanLimitReached).toBe(false);
  });

  it("looks an execution name up directly instead of searching", async () => {
    const { list, sfn } = setup(300);
    const page = await list.page({ pageSize: 10, q: "lead_L00299" });
    expect(page).toMatchObject({ lookup: "direct", rows: [{ name: "lead_L00299" }] });
    expect(sfn.count("ListExecutions")).toBe(0);
  });

  it("filters waiting leads among running ones by their history, and notified ones with the API's own filter", async () => {
    const { list, sfn } = setup(6, (index) => ({ status: index % 2 === 0 ? "RUNNING" : "SUCCEEDED" }));
    const waiting = await list.page({ pageSize: 10, status: "waiting" });
    expect(waiting.rows.map((row) => row.name)).toEqual(["lead_L00000", "lead_L00002", "lead_L00004"]);
    const notified = await list.page({ pageSize: 10, status: "notified" });
    expect(notified.rows).toHaveLength(3);
    expect(
      sfn.calls.filter((call) => call.operation === "ListExecutions").map((call) => call.input.statusFilter),
    ).toEqual(["RUNNING", "SUCCEEDED"]);
  });

  it("refuses a cursor it did not hand out", async () => {
    const { list } = setup(1);
    await expect(list.page({ pageSize: 10, cursor: "not-a-cursor" })).rejects.toThrow(/cursor/);
  });
});

/** Announce and triage executions at interleaved times (both flows start on the same lead; triage has more). */
function twoFlows(announce: number, triage: number) {
  const sfn = new FakeStepFunctions();
  const store = new MemoryStore();
  const add = (
    flow: "announce" | "triage",
    index: number,
    startDate: number,
    extra: Partial<FakeExecution> = {},
  ) =>
    sfn.executions.push({
      stateMachineArn: flow === "announce" ? STATE_MACHINE_ARN : TRIAGE_ARN,
      name: `lead_${flow === "announce" ? "A" : "T"}${String(index).padStart(4, "0")}`,
      status: "SUCCEEDED",
      startDate,
      stopDate: startDate + 500,
      events: [
        { type: "ExecutionStarted", timestamp: startDate },
        {
          type: "TaskStateEntered",
          timestamp: startDate + 100,
          stateEnteredEventDetails: {
            name: flow === "announce" ? "NotifySlack" : "RecordOutcome",
            input: "{}",
          },
        },
        { type: "ExecutionSucceeded", timestamp: startDate + 500 },
      ],
      ...extra,
    });
  // Uneven and interleaved: every 3rd minute has both, some start at the very same millisecond.
  for (let index = 0; index < announce; index++) add("announce", index, NOW - index * 3 * 60_000);
  for (let index = 0; index < triage; index++) add("triage", index, NOW - index * 2 * 60_000);
  return { sfn, store, list: listOf(sfn, store, true), add };
}

describe("execution list, every flow", () => {
  it("merges the flows newest first and pages through every execution exactly once", async () => {
    const { list, sfn } = twoFlows(37, 61);
    const expected = sfn.executions
      .map((execution) => ({
        flow: execution.stateMachineArn === TRIAGE_ARN ? "triage" : "announce",
        ...execution,
      }))
      .sort((a, b) => b.startDate - a.startDate || (a.flow === "announce" ? -1 : 1))
      .map((execution) => `${execution.flow}/${execution.name}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const callsBefore = sfn.count("ListExecutions");
      const page = await list.page({ pageSize: 7, cursor });
      seen.push(...page.rows.map((row) => `${row.flow}/${row.name}`));
      // Each flow's next page is read only when the merge reaches it: a few calls per page, never a scan.
      expect(sfn.count("ListExecutions") - callsBefore).toBeLessThanOrEqual(4);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(98 / 7));
  });

  it("filters by flow, and refuses a cursor made for another choice of flows", async () => {
    const { list } = twoFlows(10, 10);
    const triage = await list.page({ flow: "triage", pageSize: 5 });
    expect(triage.rows.map((row) => row.flow)).toEqual(["triage", "triage", "triage", "triage", "triage"]);
    const all = await list.page({ pageSize: 5 });
    await expect(list.page({ flow: "triage", pageSize: 5, cursor: all.cursor })).rejects.toThrow(
      /another choice/,
    );
    await expect(list.page({ flow: "nope", pageSize: 5 })).rejects.toThrow(/no flow nope/);
  });

  it("shows other flows' rows as succeeded, or failed with the state they ended in", async () => {
    const { list, add, sfn } = twoFlows(1, 1);
    add("triage", 99, NOW + 1000, {
      status: "FAILED",
      error: "ServiceUnavailable",
      cause: "Twilio answered 503",
      events: [
        { type: "ExecutionStarted", timestamp: NOW + 1000 },
        {
          type: "TaskStateEntered",
          timestamp: NOW + 1100,
          stateEnteredEventDetails: { name: "SendSms", input: "{}" },
        },
        { type: "ExecutionFailed", timestamp: NOW + 1500 },
      ],
    });
    const page = await list.page({ pageSize: 10 });
    expect(page.rows.map((row) => [row.flow, row.status, row.state, row.error])).toEqual([
      ["triage", "failed", "SendSms", "ServiceUnavailable"],
      ["announce", "notified", undefined, undefined],
      // A success reads as its flow's outcome (none here: the fake has no output), not a state.
      ["triage", "succeeded", undefined, undefined],
    ]);
    // What was learned about stopped executions is kept.
    const histories = sfn.count("GetExecutionHistory");
    await list.page({ pageSize: 10 });
    expect(sfn.count("GetExecutionHistory")).toBe(histories);
    const succeeded = await list.page({ pageSize: 10, status: "succeeded" });
    expect(succeeded.rows.map((row) => row.flow)).toEqual(["announce", "triage"]);
  });

  it("looks a lead id up in every flow at once", async () => {
    const { list, add } = twoFlows(0, 0);
    add("announce", 7, NOW - 1000, { name: "lead_Both1" });
    add("triage", 7, NOW - 999, { name: "lead_Both1" });
    const page = await list.page({ pageSize: 10, q: "lead_Both1" });
    expect(page.lookup).toBe("direct");
    expect(page.rows.map((row) => `${row.flow}/${row.name}`).sort()).toEqual([
      "announce/lead_Both1",
      "triage/lead_Both1",
    ]);
  });
});
