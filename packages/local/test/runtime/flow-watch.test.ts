import { describe, expect, it } from "vitest";
import { endLine } from "../../src/runtime/flow-watch";

describe("the line printed when an execution ends", () => {
  const record = { name: "lead_x-1", startDate: 1_000 };

  it("names the flow, the execution, how it ended, why, and after how long", () => {
    expect(endLine("triage", record, { type: "ExecutionSucceeded", timestamp: 4_250 })).toBe(
      "triage lead_x-1 SUCCEEDED after 3.3 s",
    );
    expect(
      endLine(
        "announce",
        { ...record, error: "OwnerNotAssigned" },
        { type: "ExecutionFailed", timestamp: 601_000 },
      ),
    ).toBe("announce lead_x-1 FAILED OwnerNotAssigned after 600.0 s");
    expect(endLine("announce", record, { type: "ExecutionAborted", timestamp: 1_000 })).toBe(
      "announce lead_x-1 ABORTED after 0.0 s",
    );
  });

  it("says nothing for the events on the way", () => {
    for (const type of ["ExecutionStarted", "TaskStateEntered", "ExecutionRedriven", "WaitStateExited"])
      expect(endLine("announce", record, { type, timestamp: 2_000 })).toBeUndefined();
  });
});
