import { describe, expect, it } from "vitest";
import { executionFilterOf, runningStatus, stoppedStatus } from "../src/row-status";

const holds = (state: string) => (state === "HoldForOwner" ? 600_000 : undefined);
const at = (seconds: number) => new Date(Date.UTC(2026, 10, 20, 14, 0, seconds));
const entered = (type: string, name: string, seconds: number) => ({
  type,
  timestamp: at(seconds),
  stateEnteredEventDetails: { name },
});
const failed = (seconds: number, error = "OwnerNotAssigned") => ({
  type: "LambdaFunctionFailed",
  timestamp: at(seconds),
  lambdaFunctionFailedEventDetails: { error, cause: "{}" },
});
const scheduled = (seconds: number) => ({ type: "LambdaFunctionScheduled", timestamp: at(seconds) });

describe("row status of a running execution, from its newest events", () => {
  it("is waiting until the Wait state's entry plus its hold", () => {
    const status = runningStatus(
      [entered("WaitStateEntered", "HoldForOwner", 5), { type: "ExecutionStarted" }],
      holds,
    );
    expect(status).toEqual({
      status: "waiting",
      state: "HoldForOwner",
      waitEndsAt: at(5).getTime() + 600_000,
    });
  });

  it("is retrying once a Lambda attempt of the current state failed, with that error", () => {
    const newestFirst = [scheduled(9), failed(8), scheduled(4), entered("TaskStateEntered", "FetchOwner", 4)];
    expect(runningStatus(newestFirst, holds)).toEqual({
      status: "retrying",
      state: "FetchOwner",
      error: "OwnerNotAssigned",
      failedAttempts: 1,
    });
  });

  it("is retrying when the window holds only retries (the state's entry is older)", () => {
    const newestFirst = [failed(9), scheduled(8), failed(7), scheduled(6), failed(5)];
    expect(runningStatus(newestFirst, holds)).toMatchObject({
      status: "retrying",
      error: "OwnerNotAssigned",
      failedAttempts: 3,
    });
  });

  it("is running once the failed state was left (the next state does not inherit the retries)", () => {
    const newestFirst = [
      scheduled(12),
      entered("TaskStateEntered", "MergeAndStore", 12),
      { type: "TaskStateExited", timestamp: at(12) },
      { type: "LambdaFunctionSucceeded", timestamp: at(12) },
      scheduled(11),
      failed(10),
    ];
    expect(runningStatus(newestFirst, holds)).toEqual({ status: "running", state: "MergeAndStore" });
  });

  describe("inside a Parallel (triage's AlertHumans: TextOnCall and PostUrgentSlack at once)", () => {
    /** Step Functions' events, newest first: each linked to the previous event of its own branch. */
    const history = (failing: boolean) => {
      const events = [
        {
          id: 10,
          previousEventId: 9,
          type: "ParallelStateEntered",
          stateEnteredEventDetails: { name: "AlertHumans" },
        },
        { id: 11, previousEventId: 10, type: "ParallelStateStarted" },
        {
          id: 12,
          previousEventId: 11,
          type: "TaskStateEntered",
          stateEnteredEventDetails: { name: "TextOnCall" },
        },
        {
          id: 13,
          previousEventId: 11,
          type: "TaskStateEntered",
          stateEnteredEventDetails: { name: "PostUrgentSlack" },
        },
        { id: 14, previousEventId: 12, type: "LambdaFunctionScheduled" },
        { id: 15, previousEventId: 13, type: "LambdaFunctionScheduled" },
        ...(failing
          ? [
              {
                id: 16,
                previousEventId: 14,
                type: "LambdaFunctionFailed",
                lambdaFunctionFailedEventDetails: { error: "ServiceUnavailable", cause: "{}" },
              },
              { id: 17, previousEventId: 15, type: "LambdaFunctionSucceeded" },
              {
                id: 18,
                previousEventId: 17,
                type: "TaskStateExited",
                stateExitedEventDetails: { name: "PostUrgentSlack" },
              },
              { id: 19, previousEventId: 16, type: "LambdaFunctionScheduled" },
              {
                id: 20,
                previousEventId: 18,
                type: "TaskStateEntered",
                stateEnteredEventDetails: { name: "SlackPosted" },
              },
            ]
          : []),
      ];
      return events.reverse();
    };

    it("names the state running in each branch, not only the one entered last", () => {
      expect(runningStatus(history(false), holds)).toEqual({
        status: "running",
        state: "TextOnCall + PostUrgentSlack",
      });
    });

    it("says which branch's state is retrying (the failure's own branch), not the one entered last", () => {
      expect(runningStatus(history(true), holds)).toEqual({
        status: "retrying",
        state: "TextOnCall",
        error: "ServiceUnavailable",
        failedAttempts: 1,
      });
    });
  });

  it("names the stopped statuses as sales-ops reads them", () => {
    expect(stoppedStatus("SUCCEEDED")).toEqual({ status: "notified" });
    expect(stoppedStatus("FAILED", "OwnerNeverAssigned", "no owner")).toEqual({
      status: "failed",
      error: "OwnerNeverAssigned",
      cause: "no owner",
    });
    expect(
      stoppedStatus(
        "FAILED",
        "OwnerNeverAssigned",
        '{"errorType":"OwnerNotAssigned","errorMessage":"No owner file"}',
      ),
    ).toMatchObject({
      cause: "No owner file",
    });
    expect(stoppedStatus("TIMED_OUT")).toMatchObject({ status: "timed-out", error: "States.Timeout" });
    expect(stoppedStatus("RUNNING")).toBeUndefined();
  });

  it("maps console filters to ListExecutions' statusFilter, deriving the running kinds", () => {
    expect(executionFilterOf("notified")).toEqual({ statusFilter: "SUCCEEDED", derived: false });
    expect(executionFilterOf("waiting")).toEqual({ statusFilter: "RUNNING", derived: true });
    expect(executionFilterOf(undefined)).toEqual({ derived: false });
  });
});
