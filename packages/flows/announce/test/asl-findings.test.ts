import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import { type AslDefinition, failBehind } from "@leadrelay/functions/state-machine";
import { describe, expect, it } from "vitest";
import asl from "../announce.asl.json";

/** #14 findings 4, 8 and 9 as they show in announce's ASL file. */
const definition = asl as unknown as AslDefinition;
const notify = definition.States.NotifySlack;
/** The Fail a NotifySlack Catch ends in (through its cause guard). */
const catchTarget = (error: string) =>
  failBehind(definition, notify?.Catch?.find((entry) => entry.ErrorEquals.includes(error))?.Next ?? "");

describe("announce's failure names say what failed", () => {
  it("NotifySlack's catch-all is PipelineFailed: storage exhaustion, bad input and timeouts are not 'Slack unavailable'", () => {
    expect(catchTarget("States.ALL")).toBe("PipelineFailed");
    expect(catchTarget("SlackUnavailable")).toBe("SlackUnavailable");
    expect(catchTarget("SlackRateLimited")).toBe("SlackUnavailable");
    expect(catchTarget("SlackRejected")).toBe("SlackRejected");
  });

  it("a dangling notification marker fails the execution as NotificationUncertain, with its cause", () => {
    expect(catchTarget("NotificationUncertain")).toBe("NotificationUncertain");
    expect(definition.States.NotificationUncertain).toMatchObject({
      Type: "Fail",
      Error: "NotificationUncertain",
      CausePath: "$.error.Cause",
    });
  });

  it("ReportUnassigned retries storage and the Lambda runtime's errors, not only Slack's", () => {
    const retried = new Set(
      (definition.States.ReportUnassigned?.Retry ?? []).flatMap((entry) => entry.ErrorEquals),
    );
    for (const error of [
      "SlackRateLimited",
      "SlackUnavailable",
      "StorageUnavailable",
      ...TRANSIENT_TASK_ERRORS,
    ]) {
      expect(retried.has(error), error).toBe(true);
    }
  });

  it("ends on its last Task (End: true), no Succeed state: 6 transitions on the happy path", () => {
    expect(notify?.End).toBe(true);
    expect(Object.values(definition.States).filter((state) => state.Type === "Succeed")).toEqual([]);
  });
});
