import { readFileSync } from "node:fs";
import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import {
  type AslDefinition,
  type AslRetrier,
  failBehind,
  retrierFor as retrierIn,
  substituteArns,
  taskPlaceholders,
} from "@leadrelay/functions/state-machine";
import { describe, expect, it } from "vitest";
import { lambdaArns, validateAsl } from "../../../functions/test/asl-validation";
import { metaLeadsFlow } from "../src/flow";

const text = readFileSync(new URL("../meta-leads.asl.json", import.meta.url), "utf8");
const asl = JSON.parse(text) as AslDefinition;
const tasks = Object.entries(asl.States).filter(([, state]) => state.Type === "Task");
/** Like Step Functions: the first retrier (catcher) that handles the error. */
const retrierFor = (state: string, error: string): AslRetrier | undefined => retrierIn(asl, state, error);

const BUILT_IN = /^(States\.|Lambda\.|Sandbox\.Timedout$|TimeoutError$)/;

describe("meta-leads.asl.json", () => {
  it("is valid ASL once its ARNs are substituted (the file the local engine and AWS run)", () => {
    const arns = lambdaArns(metaLeadsFlow.id, Object.keys(metaLeadsFlow.tasks));
    expect(validateAsl(substituteArns(asl, arns))).toEqual({ isValid: true, errors: [] });
  });

  it("is plain JSONPath: no JSONata, no Assign, no lambda:invoke wrapping", () => {
    expect(text).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments"|"Output"|\{%|lambda:invoke|Payload/);
  });

  it("plays exactly the flow's tasks, each from a …FunctionArn placeholder", () => {
    const placeholders = taskPlaceholders(asl, Object.keys(metaLeadsFlow.tasks));
    expect(placeholders).toEqual({
      FetchLead: "FetchLeadFunctionArn",
      Categorize: "CategorizeFunctionArn",
      Publish: "PublishFunctionArn",
    });
    for (const [, state] of tasks) expect(state.Resource).toMatch(/^\$\{\w+FunctionArn\}$/);
  });

  it("every Task has a timeout and retries every transient Lambda error, storage and its vendor's errors", () => {
    for (const [name, state] of tasks) {
      expect(state.TimeoutSeconds, name).toBe(30);
      for (const error of [
        ...TRANSIENT_TASK_ERRORS,
        "StorageUnavailable",
        "ServiceRateLimited",
        "ServiceUnavailable",
      ]) {
        const retrier = retrierFor(name, error);
        expect(retrier, `${name} retries ${error}`).toBeDefined();
        // A rate limit is waited out at least its interval (Meta's reset); everything else jitters.
        expect(retrier?.JitterStrategy, `${name} ${error}`).toBe(
          error === "ServiceRateLimited" ? "NONE" : "FULL",
        );
        expect(retrier?.MaxDelaySeconds, `${name} ${error}`).toBeGreaterThan(0);
        expect(retrier?.BackoffRate ?? 2, `${name} ${error}`).toBeGreaterThan(1);
      }
    }
  });

  it("never retries a refusal or a used-up quota, and catches both", () => {
    for (const [name] of tasks) {
      for (const error of [
        "ServiceRejected",
        "ServiceQuotaExhausted",
        "GraphLeadInvalid",
        "MetaChangeInvalid",
      ]) {
        expect(retrierFor(name, error), `${name} must not retry ${error}`).toBeUndefined();
      }
      expect(asl.States[name]?.Catch?.some((catcher) => catcher.ErrorEquals.includes("States.ALL"))).toBe(
        true,
      );
    }
  });

  it("waits at least a minute before asking Graph again after a throttle (Meta sends no Retry-After)", () => {
    expect(retrierFor("FetchLead", "ServiceRateLimited")?.IntervalSeconds).toBeGreaterThanOrEqual(60);
  });

  it("every Catch ends in a named Fail with the cause", () => {
    for (const [name, state] of tasks) {
      for (const catcher of state.Catch ?? []) {
        const end = asl.States[failBehind(asl, catcher.Next)];
        expect(end?.Type, `${name} → ${catcher.Next}`).toBe("Fail");
        expect(end?.CausePath).toBe("$.error.Cause");
        expect(catcher.ResultPath).toBe("$.error");
      }
    }
  });

  it("names only errors the flow declares (or Step Functions' own, or the transient task errors)", () => {
    const used = Object.values(asl.States).flatMap((state) => [
      ...(state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals),
      ...(state.Catch ?? []).flatMap((catcher) => catcher.ErrorEquals),
      ...(state.Type === "Fail" && state.Error ? [state.Error] : []),
    ]);
    const unknown = [...new Set(used)].filter(
      (name) =>
        !BUILT_IN.test(name) &&
        !(TRANSIENT_TASK_ERRORS as readonly string[]).includes(name) &&
        !metaLeadsFlow.errorNames.includes(name),
    );
    expect(unknown).toEqual([]);
  });

  it("the happy path is FetchLead → LeadFetched → Categorize → Publish → Done", () => {
    const path: string[] = [];
    for (let name: string | undefined = asl.StartAt; name; ) {
      path.push(name);
      const state: AslDefinition["States"][string] | undefined = asl.States[name];
      name = state?.Type === "Choice" ? (state.Choices as Array<{ Next: string }>)[0]?.Next : state?.Next;
    }
    expect(path).toEqual(["FetchLead", "LeadFetched", "Categorize", "Publish", "Done"]);
  });

  it("grants each function only its own keys, and only Publish the bus", () => {
    const { FetchLeadFunctionArn, CategorizeFunctionArn, PublishFunctionArn } = metaLeadsFlow.tasks;
    const keys = (task: typeof FetchLeadFunctionArn) => (task?.storage ?? []).map((grant) => grant.keys);
    for (const key of [
      ...keys(FetchLeadFunctionArn),
      ...keys(CategorizeFunctionArn),
      ...keys(PublishFunctionArn),
    ]) {
      expect(key).toMatch(
        /^(sources\/meta\/\*|flows\/meta-leads\/\*\/(change|lead|category|published)\.json)$/,
      );
    }
    expect(FetchLeadFunctionArn?.publishesEvents).toBeFalsy();
    expect(CategorizeFunctionArn?.publishesEvents).toBeFalsy();
    expect(PublishFunctionArn?.publishesEvents).toBe(true);
    expect(metaLeadsFlow.source.storage).toEqual(["sources/meta/*"]);
  });
});
