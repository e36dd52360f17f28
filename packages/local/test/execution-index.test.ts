import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LocalStepFunctions } from "../src/local-step-functions";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:work";

/** A Task that fails when its input says so, then a Wait that holds what should stay running. */
function engine(dir: string, clock: { now: number }) {
  return new LocalStepFunctions({
    definition: {
      StartAt: "Work",
      States: {
        Work: { Type: "Task", Resource: ARN, Next: "Hold" },
        Hold: {
          Type: "Choice",
          Choices: [{ Variable: "$.hold", BooleanEquals: true, Next: "Wait" }],
          Default: "Done",
        },
        Wait: { Type: "Wait", Seconds: 3600, Next: "Done" },
        Done: { Type: "Succeed" },
      },
    },
    stateMachineName: "index",
    handlers: {
      Work: async (input) => {
        if ((input as { fail?: boolean }).fail) {
          const error = new Error("asked to fail");
          error.name = "AskedToFail";
          throw error;
        }
        return input;
      },
    },
    resources: { Work: ARN },
    executionsDir: dir,
    now: () => clock.now,
  });
}

/** Every page of ListExecutions, names in order. */
function listAll(machine: LocalStepFunctions, statusFilter?: string, maxResults = 3) {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = machine.listExecutions({
      stateMachineArn: machine.stateMachineArn,
      statusFilter,
      maxResults,
      nextToken,
    });
    names.push(...page.executions.map((execution) => execution.name));
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}

describe("executions: listed through an index, finished ones read from storage", () => {
  it("pages newest first (names ascending within one start time) with and without a status filter, before and after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leadrelay-index-"));
    // Start dates near the real clock: a resumed Wait holds what is left of it by the history's timestamps.
    const base = Date.now();
    const clock = { now: base };
    const machine = engine(dir, clock);
    const started: Array<{ name: string; at: number; hold: boolean }> = [
      { name: "e-b", at: base, hold: true },
      { name: "e-a", at: base, hold: false },
      { name: "e-c", at: base + 500, hold: true },
      // A clock that steps back (NTP) still lands in order.
      { name: "e-d", at: base - 1000, hold: false },
      { name: "e-e", at: base + 2000, hold: false },
      { name: "e-f", at: base + 2000, hold: true },
      { name: "e-g", at: base + 3000, hold: false },
    ];
    for (const { name, at, hold } of started) {
      clock.now = at;
      await machine.startExecution({
        stateMachineArn: machine.stateMachineArn,
        name,
        input: JSON.stringify({ hold }),
      });
    }
    for (const { name, hold } of started)
      if (!hold) expect((await machine.settled(name))?.status).toBe("SUCCEEDED");
    const expected = ["e-g", "e-e", "e-f", "e-c", "e-a", "e-b", "e-d"];
    expect(listAll(machine)).toEqual(expected);
    expect(listAll(machine, undefined, 1000)).toEqual(expected);
    expect(listAll(machine, "RUNNING", 2)).toEqual(["e-f", "e-c", "e-b"]);
    expect(listAll(machine, "SUCCEEDED", 1)).toEqual(["e-g", "e-e", "e-a", "e-d"]);
    expect(listAll(machine, "FAILED")).toEqual([]);
    await machine.close();

    const again = engine(dir, clock);
    expect(again.resumeAll()).toEqual({ loaded: 7, resumed: 3 });
    expect(listAll(again)).toEqual(expected);
    expect(listAll(again, "RUNNING", 2)).toEqual(["e-f", "e-c", "e-b"]);
    await again.close();
  });

  it("a finished execution answers Describe, GetExecutionHistory and redrive from storage, exactly as before it finished", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leadrelay-index-"));
    const clock = { now: Date.now() };
    const machine = engine(dir, clock);
    const arn = machine.arnOf("e-fail");
    await machine.startExecution({
      stateMachineArn: machine.stateMachineArn,
      name: "e-fail",
      input: '{"fail":true}',
    });
    const settled = await machine.settled("e-fail");
    expect(settled?.status).toBe("FAILED");
    const history = machine.getExecutionHistory({ executionArn: arn });
    expect(history.events.map((event) => event.type)).toEqual(settled?.events.map((event) => event.type));
    expect(history.events.at(-1)?.type).toBe("ExecutionFailed");
    const described = machine.describeExecution({ executionArn: arn });
    expect(described).toMatchObject({ status: "FAILED", error: "AskedToFail", input: '{"fail":true}' });
    expect(
      machine.getExecutionHistory({ executionArn: arn, reverseOrder: true, maxResults: 1 }).events[0]?.type,
    ).toBe("ExecutionFailed");
    // Same name again is a conflict, as on AWS, whatever the input.
    await expect(
      machine.startExecution({
        stateMachineArn: machine.stateMachineArn,
        name: "e-fail",
        input: '{"fail":true}',
      }),
    ).rejects.toThrow(/Already Exists/);
    await machine.close();
  });
});
