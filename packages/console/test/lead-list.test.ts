import { enrichedKey, rawEventKey } from "@leadrelay/core";
import { describe, expect, it } from "vitest";
import { LeadList, SCAN_LIMIT } from "../src/lead-list";
import { createHoldReader } from "../src/state-machine-holds";
import {
  FakeStepFunctions,
  HOLD_SECONDS,
  MemoryStore,
  rawWebhook,
  STATE_MACHINE_ARN,
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
  const list = new LeadList({
    target: { sfn: sfn.asClient(), stateMachineArn: STATE_MACHINE_ARN },
    store,
    holds: createHoldReader(sfn.asClient(), STATE_MACHINE_ARN),
    clock: () => NOW,
    concurrency: 4,
  });
  return { sfn, store, list };
}

describe("lead list", () => {
  it("pages with ListExecutions' own paging, newest first, rows completed from the enriched record", async () => {
    const { list, sfn } = setup(120);
    const first = await list.page({ pageSize: 50 });
    expect(first.rows.map((row) => row.name)).toEqual(
      Array.from({ length: 50 }, (_, i) => `lead_L${String(i).padStart(5, "0")}`),
    );
    expect(first.rows[1]).toMatchObject({
      status: "notified",
      lead: { name: "Lead 1", owner: "Owner 1", funnel: "Inbound", from: "enriched" },
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
    expect(page.rows[0]?.lead).toMatchObject({ name: "Lead 0", owner: null, from: "raw" });
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
    expect(first.rows.map((row) => row.lead.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Acme ${i * 10}`),
    );
    const second = await list.page({ pageSize: 10, q: "ACME", cursor: first.cursor });
    expect(second.rows.map((row) => row.lead.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `Acme ${(i + 10) * 10}`),
    );
    const third = await list.page({ pageSize: 10, q: "acme", cursor: second.cursor });
    expect(third.rows.map((row) => row.lead.name)).toEqual([
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
    expect(further.rows.map((row) => row.lead.name)).toEqual(["Needle Ltd"]);
    expect(further.scanLimitReached).toBe(false);
  });

  it("looks a lead id up directly instead of searching", async () => {
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
