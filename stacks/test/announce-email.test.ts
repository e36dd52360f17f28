import { describe, expect, it } from "vitest";
import { KnownErrorNames } from "../../packages/core/src/errors";
import {
  definitionWithWait,
  EMAIL_AFTER_SLACK_ERROR_STATE,
  EMAIL_STATE,
} from "../../packages/flows/announce/src/definition";
import { announceFlow } from "../../packages/flows/announce/src/flow";
import { configuredDefinition, TRANSIENT_TASK_ERRORS } from "../../packages/functions/src/flow-spec";
import { taskPlaceholders } from "../../packages/functions/src/state-machine";
import { TASK_TIMEOUT_SECONDS } from "../function-defaults";
import { catchProblems, taskProblems, unknownErrorNames } from "./asl-checks";

/**
 * Announce as a stage with ANNOUNCE_EMAIL_TO deploys it: the checks every flow's deployed
 * definition passes (flows.test.ts runs them on the test stage, where the email is off).
 */
const withEmail = configuredDefinition(announceFlow, { ANNOUNCE_EMAIL_TO: "sales@example.com" });

describe("announce with the email announcement", () => {
  it("ends every caught error in a named Fail with its cause: none can end in success", () => {
    expect(catchProblems(withEmail, announceFlow.degradedStates)).toEqual([]);
  });

  it("names only errors core, the flow, Step Functions or Lambda define", () => {
    const known = new Set([...KnownErrorNames, ...announceFlow.errorNames, ...TRANSIENT_TASK_ERRORS]);
    expect(unknownErrorNames(withEmail, known)).toEqual([]);
  });

  it("times out and retries the email Tasks like every Task", () => {
    const emailOnly = {
      ...withEmail,
      States: Object.fromEntries(
        [EMAIL_STATE, EMAIL_AFTER_SLACK_ERROR_STATE].map((name) => [
          name,
          withEmail.States[name] ?? { Type: "?" },
        ]),
      ),
    };
    expect(taskProblems(emailOnly, TRANSIENT_TASK_ERRORS, TASK_TIMEOUT_SECONDS)).toEqual([]);
  });

  it("plays both email Tasks with the EmailAnnouncement Lambda; without the email, that Lambda is idle", () => {
    const placeholders = Object.keys(announceFlow.tasks);
    expect(taskPlaceholders(withEmail, placeholders)).toMatchObject({
      [EMAIL_STATE]: "EmailAnnouncementFunctionArn",
      [EMAIL_AFTER_SLACK_ERROR_STATE]: "EmailAnnouncementFunctionArn",
    });
    expect(Object.values(taskPlaceholders(definitionWithWait(), placeholders))).not.toContain(
      "EmailAnnouncementFunctionArn",
    );
  });
});
