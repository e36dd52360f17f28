import { readFileSync } from "node:fs";
import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import {
  type AslDefinition,
  type AslRetrier,
  catcherFor as catcherIn,
  failBehind,
  retrierFor as retrierIn,
  substituteArns,
  taskPlaceholders,
} from "@leadrelay/functions/state-machine";
import { describe, expect, it } from "vitest";
import { lambdaArns, validateAsl } from "../../../functions/test/asl-validation";
import { LinkedInRepliesFailures } from "../src/domain/errors";
import { linkedinRepliesFlow } from "../src/flow";

const text = readFileSync(new URL("../linkedin-replies.asl.json", import.meta.url), "utf8");
const asl = JSON.parse(text) as AslDefinition;
const tasks = Object.entries(asl.States).filter(([, state]) => state.Type === "Task");
const HUBSPOT_TASKS = ["UpsertContact", "EnsureDeal", "AddNote"];
/** Like Step Functions: the first retrier (catcher) that handles the error. */
const retrierFor = (state: string, error: string): AslRetrier | undefined => retrierIn(asl, state, error);
const catcherFor = (state: string, error: string) => catcherIn(asl, state, error);
/** The Fail a Catch ends in, through its cause guard. */
const failAfter = (state: string, error: string) => failBehind(asl, catcherFor(state, error)?.Next ?? "");

describe("linkedin-replies.asl.json", () => {
  it("is valid ASL once its ARNs are substituted, and plain JSONPath", () => {
    const arns = lambdaArns(linkedinRepliesFlow.id, Object.keys(linkedinRepliesFlow.tasks));
    expect(validateAsl(substituteArns(asl, arns))).toEqual({ isValid: true, errors: [] });
    expect(text).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments"|"Output"|\{%|lambda:invoke|Payload/);
  });

  it("plays exactly the flow's tasks; the degraded path is FetchConversation's own Lambda", () => {
    expect(taskPlaceholders(asl, Object.keys(linkedinRepliesFlow.tasks))).toEqual({
      FetchConversation: "FetchConversationFunctionArn",
      UseDeliveredReply: "FetchConversationFunctionArn",
      UpsertContact: "UpsertContactFunctionArn",
      EnsureDeal: "EnsureDealFunctionArn",
      AddNote: "AddNoteFunctionArn",
    });
  });

  it("gives every Task 30 s and retries every transient error and storage", () => {
    for (const [name, state] of tasks) {
      expect(state.TimeoutSeconds, name).toBe(30);
      for (const error of [...TRANSIENT_TASK_ERRORS, "StorageUnavailable"]) {
        expect(retrierFor(name, error)?.MaxAttempts ?? 0, `${name} ${error}`).toBeGreaterThan(0);
      }
    }
  });

  it("retries HubSpot's rate limit at or above its 10 s window, with backoff and a cap, never jittered below it", () => {
    for (const name of HUBSPOT_TASKS) {
      const retrier = retrierFor(name, "ServiceRateLimited");
      expect(retrier?.IntervalSeconds ?? 0, name).toBeGreaterThanOrEqual(10);
      expect(retrier?.BackoffRate ?? 1, name).toBeGreaterThan(1);
      expect(retrier?.MaxDelaySeconds, name).toBeDefined();
      expect(retrier?.JitterStrategy, name).toBe("NONE");
      expect(retrierFor(name, "ServiceUnavailable")?.MaxAttempts ?? 0, name).toBeGreaterThan(0);
    }
  });

  it("waits out an unconfirmed write longer than a claim takes to go stale (120 s for search)", () => {
    for (const name of HUBSPOT_TASKS) {
      const retrier = retrierFor(name, "HubSpotWritePending");
      let nominal = 0;
      for (let attempt = 0; attempt < (retrier?.MaxAttempts ?? 0); attempt++) {
        nominal += Math.min(
          (retrier?.IntervalSeconds ?? 1) * (retrier?.BackoffRate ?? 2) ** attempt,
          retrier?.MaxDelaySeconds ?? Infinity,
        );
      }
      expect(nominal, name).toBeGreaterThan(120);
      expect(
        retrier?.JitterStrategy,
        `${name}: jitter could end the wait before a claim is stale`,
      ).toBeUndefined();
    }
  });

  it("never retries a refusal or a used-up quota, and names each in a Fail with its cause", () => {
    for (const [name] of tasks) {
      for (const error of ["ServiceRejected", "ServiceQuotaExhausted"]) {
        expect(retrierFor(name, error), `${name} retries ${error}`).toBeUndefined();
      }
    }
    for (const name of HUBSPOT_TASKS) {
      expect(failAfter(name, "ServiceQuotaExhausted")).toBe("HubSpotQuotaExhausted");
      expect(failAfter(name, "ServiceRejected")).toBe("HubSpotRejected");
      expect(failAfter(name, "HubSpotWritePending")).toBe("HubSpotWriteUncertain");
    }
    for (const failure of LinkedInRepliesFailures) {
      expect(asl.States[failure]).toEqual({ Type: "Fail", Error: failure, CausePath: "$.error.Cause" });
    }
  });

  it("degrades to the delivery only when LGM stays unavailable or keeps rate limiting", () => {
    expect(catcherFor("FetchConversation", "ServiceUnavailable")?.Next).toBe("UseDeliveredReply");
    expect(catcherFor("FetchConversation", "ServiceRateLimited")?.Next).toBe("UseDeliveredReply");
    expect(failAfter("FetchConversation", "ReplyUnreadable")).toBe("ReplyUnreadable");
    expect(failAfter("FetchConversation", "StorageUnavailable")).toBe("LinkedInReplyFailed");
    expect(linkedinRepliesFlow.degradedStates).toEqual(["UseDeliveredReply"]);
  });

  it("grants each function only the prefixes it uses", () => {
    const grants = Object.fromEntries(
      Object.values(linkedinRepliesFlow.tasks).map((task) => [
        task.id,
        (task.storage ?? []).map((grant) => `${grant.actions.join("+")} ${grant.keys}`),
      ]),
    );
    expect(grants).toEqual({
      FetchConversation: ["s3:GetObject sources/lgm/*", "s3:PutObject flows/linkedin-replies/replies/*"],
      UpsertContact: ["s3:GetObject+s3:PutObject+s3:DeleteObject flows/linkedin-replies/contacts/*"],
      EnsureDeal: ["s3:GetObject+s3:PutObject+s3:DeleteObject flows/linkedin-replies/deals/*"],
      AddNote: [
        "s3:GetObject flows/linkedin-replies/replies/*",
        "s3:GetObject+s3:PutObject+s3:DeleteObject flows/linkedin-replies/notes/*",
      ],
    });
    expect(linkedinRepliesFlow.source.storage).toEqual(["sources/lgm/*"]);
  });
});
