import { describe, expect, it } from "vitest";
import { planBulkReplay, runBulkReplay } from "../src/bulk-replay";
import { FakeStepFunctions, STATE_MACHINE_ARN } from "./fake-step-functions";

const NOW = Date.parse("2026-11-20T15:00:00Z");
const SINCE = NOW - 2 * 3_600_000;

function outage() {
  const sfn = new FakeStepFunctions();
  const add = (name: string, status: "FAILED" | "SUCCEEDED" | "RUNNING", minutesAgo: number) =>
    sfn.executions.push({
      name,
      status,
      startDate: NOW - minutesAgo * 60_000,
      input: JSON.stringify({ leadId: name.split("-replay-")[0], rawKey: `crm_event_${name}.json` }),
      events: [],
    });
  add("lead_Old1", "FAILED", 300); // before the outage window
  add("lead_A1", "FAILED", 100);
  add("lead_B1", "FAILED", 90);
  add("lead_C1", "SUCCEEDED", 80);
  add("lead_D1", "FAILED", 70);
  add("lead_D1-replay-abc", "SUCCEEDED", 20); // replayed by hand already
  add("lead_E1", "FAILED", 60);
  add("lead_E1-replay-abd", "FAILED", 10); // replayed by hand and failed again: its replay is what counts
  return { sfn, target: { sfn: sfn.asClient(), stateMachineArn: STATE_MACHINE_ARN } };
}

describe("bulk replay after an outage", () => {
  it("plans one replay per key whose newest execution since the time failed, oldest first", async () => {
    const { target, sfn } = outage();
    const plan = await planBulkReplay(target, { status: "FAILED", since: SINCE });
    expect(plan.scanned).toBe(7);
    expect(plan.items.map((item) => [item.name, item.action, item.replayName ?? item.reason])).toEqual([
      ["lead_A1", "replay", `lead_A1-replay-${SINCE.toString(36)}`],
      ["lead_B1", "replay", `lead_B1-replay-${SINCE.toString(36)}`],
      ["lead_D1", "skip", "newer execution lead_D1-replay-abc is SUCCEEDED"],
      ["lead_E1", "skip", "newer execution lead_E1-replay-abd is FAILED"],
      ["lead_E1-replay-abd", "replay", `lead_E1-replay-${SINCE.toString(36)}`],
    ]);
    // Planning starts nothing.
    expect(sfn.count("StartExecution")).toBe(0);
  });

  it("replays with each execution's own input, and a second run of the batch starts nothing", async () => {
    const { target, sfn } = outage();
    const first = await runBulkReplay(
      target,
      await planBulkReplay(target, { status: "FAILED", since: SINCE }),
    );
    expect(first.map((outcome) => outcome.outcome)).toEqual(["replayed", "replayed", "replayed"]);
    const replayOfE = sfn.executions.find(
      (execution) => execution.name === `lead_E1-replay-${SINCE.toString(36)}`,
    );
    expect(JSON.parse(replayOfE?.input ?? "{}")).toEqual({
      leadId: "lead_E1",
      rawKey: "crm_event_lead_E1-replay-abd.json",
      replayOf: "lead_E1-replay-abd",
    });
    const again = await planBulkReplay(target, { status: "FAILED", since: SINCE });
    expect(again.items.filter((item) => item.action === "replay")).toEqual([]);
    expect(await runBulkReplay(target, again)).toEqual([]);
    expect(sfn.count("StartExecution")).toBe(3);
  });

  it("reports a batch name that already exists instead of starting a second one, and honours --limit", async () => {
    const { target, sfn } = outage();
    const plan = await planBulkReplay(target, { status: "FAILED", since: SINCE, limit: 1 });
    expect(plan.items.filter((item) => item.action === "replay").map((item) => item.name)).toEqual([
      "lead_A1",
    ]);
    // The same name started in between (another operator running the same batch).
    sfn.executions.push({
      name: `lead_A1-replay-${SINCE.toString(36)}`,
      status: "RUNNING",
      startDate: NOW,
      events: [],
    });
    const outcomes = await runBulkReplay(target, plan);
    expect(outcomes).toMatchObject([{ outcome: "exists" }]);
    expect(sfn.executions.filter((execution) => execution.name.startsWith("lead_A1-replay-"))).toHaveLength(
      1,
    );
  });
});
