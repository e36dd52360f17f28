import { readFileSync } from "node:fs";
import { enrichedKey, KnownErrorNames, rawEventKey } from "@leadrelay/core";
import { createHttpOwnerDirectory } from "@leadrelay/functions/adapters/owner-directory";
import { createSlackPoster } from "@leadrelay/functions/adapters/slack-poster";
import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import { createLogger } from "@leadrelay/functions/log";
import { type AslDefinition, substituteArns, taskPlaceholders } from "@leadrelay/functions/state-machine";
import {
  ExecutionError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from "aws-local-stepfunctions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeFixture, LEAD_IDS, ownerFixture } from "../../../core/test/fixture-files";
import {
  clock,
  closeIngest,
  FakeOwnerServer,
  FakeSlack,
  MemoryStore,
  RecordingStarter,
  SECRET,
  signedEvent,
} from "../../../functions/test/fakes";
import { DEFAULT_WAIT_SECONDS, definitionWithWait, WAIT_STATE } from "../src/definition";
import { createFetchOwner } from "../src/fetch-owner";
import { createFetchRaw } from "../src/fetch-raw";
import { announceFlow } from "../src/flow";
import { createMergeAndStore } from "../src/merge-and-store";
import { createNotifySlack } from "../src/notify-slack";

type Overrides = NonNullable<RunOptions["overrides"]>;
type LocalHandlers = NonNullable<Overrides["taskResourceLocalHandlers"]>;
type JsonInput = Parameters<LocalHandlers[string]>[0];
type LogEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

type TaskFunction = "fetch-raw" | "fetch-owner" | "merge-and-store" | "notify-slack";
/** ARN placeholder → the Lambda's handler module (its file name). */
const TASK_FUNCTIONS = Object.fromEntries(
  Object.entries(announceFlow.tasks).map(([placeholder, task]) => [
    placeholder,
    /\/([^/]+)\.handler$/.exec(task.handler)?.[1] as TaskFunction,
  ]),
) as Record<string, TaskFunction>;
const PLACEHOLDERS = Object.keys(TASK_FUNCTIONS);
/** Task state name → the Lambda, read from the placeholders of the file itself. */
const taskStateFunctions = (asl: AslDefinition = definitionWithWait()) =>
  Object.fromEntries(
    Object.entries(taskPlaceholders(asl, PLACEHOLDERS)).map(([state, placeholder]) => [
      state,
      TASK_FUNCTIONS[placeholder] as TaskFunction,
    ]),
  );
const readDefinitionText = () => readFileSync(new URL("../announce.asl.json", import.meta.url), "utf8");

/** Lambda-shaped ARNs: with them the definition passes the engine's full validation, ARN checks included. */
const FAKE_ARNS = Object.fromEntries(
  Object.entries(TASK_FUNCTIONS).map(([name, fn]) => [
    name,
    `arn:aws:lambda:us-east-1:123456789012:function:leadrelay-test-${fn}`,
  ]),
);

const LEAD_ID = LEAD_IDS["lead-created.json"];

let owners: FakeOwnerServer;
let slack: FakeSlack;
let store: MemoryStore;

beforeAll(async () => {
  owners = await new FakeOwnerServer().start();
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await owners.close();
  await slack.close();
});
beforeEach(() => {
  owners.reset();
  slack.reset();
  store = new MemoryStore();
});

const silent = createLogger("test", { level: "silent" });

/** The real handlers over the fakes, keyed by the Lambda each Task state's placeholder names. */
function handlersByFunction(
  options: { notifyUnassigned?: boolean } = {},
): Record<TaskFunction, (event: unknown) => Promise<unknown>> {
  return {
    "fetch-raw": createFetchRaw({ store }),
    "fetch-owner": createFetchOwner({ owners: createHttpOwnerDirectory(owners.url, { timeoutMs: 2_000 }) }),
    "merge-and-store": createMergeAndStore({ store }),
    "notify-slack": createNotifySlack({
      store,
      slack: createSlackPoster(slack.url, { timeoutMs: 2_000 }),
      notifyUnassigned: options.notifyUnassigned ?? true,
      clock,
      log: silent,
    }),
  };
}

function definition(): AslDefinition {
  return substituteArns(definitionWithWait(DEFAULT_WAIT_SECONDS), FAKE_ARNS);
}

/** Ingests the sample webhook the way Close would deliver it and returns the execution input it started. */
async function ingestLead(): Promise<Record<string, unknown>> {
  const starter = new RecordingStarter();
  const ingest = closeIngest({ store, executions: starter, secretHex: SECRET, clock, log: silent });
  const response = await ingest(signedEvent(closeFixture("lead-created.json")));
  expect(response.statusCode).toBe(202);
  const [execution] = starter.started;
  if (!execution) throw new Error("ingest started nothing");
  expect(execution.name).toBe(LEAD_ID);
  return execution.input;
}

interface Run {
  events: LogEvent[];
  output: unknown;
  error: unknown;
}

/** Runs THE ASL file with the real handlers, no waiting and no retry intervals; collects the event log. */
async function runPipeline(
  options: {
    notifyUnassigned?: boolean;
    afterIngest?: (input: Record<string, unknown>) => Promise<void>;
  } = {},
): Promise<Run> {
  const asl = definition();
  const byFunction = handlersByFunction(options);
  // State name → Lambda, read from the placeholders of the file (ReportUnassigned is notify-slack too).
  const handlers: LocalHandlers = Object.fromEntries(
    Object.entries(taskStateFunctions()).map(([state, fn]) => [
      state,
      async (input: JsonInput) => (await byFunction[fn](input)) as Awaited<ReturnType<LocalHandlers[string]>>,
    ]),
  );
  const noRetryWait = Object.fromEntries(
    Object.entries(asl.States)
      .filter(([, state]) => state.Retry)
      .map(([name]) => [name, 0]),
  );
  const machine = new StateMachine(asl as unknown as StateMachineDefinition);
  const input = await ingestLead();
  await options.afterIngest?.(input);
  const execution = machine.run(input as JsonInput, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: { [WAIT_STATE]: 0 },
      retryIntervalOverrides: noRetryWait,
    },
  });
  const events: LogEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event as LogEvent);
  })();
  let output: unknown;
  let error: unknown;
  try {
    output = await execution.result;
  } catch (caught) {
    error = caught;
  }
  await collecting;
  return { events, output, error };
}

function entered(run: Run): string[] {
  return run.events.flatMap((event) => (event.type === "StateEntered" ? [event.state.name] : []));
}

function retriesOf(run: Run, state: string) {
  return run.events.flatMap((event) =>
    event.type === "StateRetried" && event.state.name === state ? [event.retry] : [],
  );
}

function failuresOf(run: Run, state: string) {
  return run.events.flatMap((event) =>
    event.type === "StateFailed" && event.state.name === state
      ? [{ Error: event.Error, Cause: event.Cause }]
      : [],
  );
}

function last(run: Run): LogEvent | undefined {
  return run.events.at(-1);
}

/** MaxAttempts of the retrier that handles `errorName` in `state`, read from the file itself. */
function maxAttempts(state: string, errorName: string): number {
  const retrier = definitionWithWait().States[state]?.Retry?.find((entry) =>
    entry.ErrorEquals.includes(errorName),
  );
  if (retrier?.MaxAttempts === undefined) throw new Error(`${state} has no retrier for ${errorName}`);
  return retrier.MaxAttempts;
}

describe("the ASL file", () => {
  it("is the one definition: Wait 600 s by default, every Task on a Lambda placeholder", () => {
    const asl = definitionWithWait();
    expect(asl.States[WAIT_STATE]).toMatchObject({ Type: "Wait", Seconds: DEFAULT_WAIT_SECONDS });
    expect(JSON.parse(readDefinitionText())).toEqual(asl);
    expect(taskStateFunctions(asl)).toEqual({
      FetchRaw: "fetch-raw",
      FetchOwner: "fetch-owner",
      MergeAndStore: "merge-and-store",
      NotifySlack: "notify-slack",
      ReportUnassigned: "notify-slack",
    });
    expect(definitionWithWait(5).States[WAIT_STATE]?.Seconds).toBe(5);
  });

  it("passes the engine's validation with Lambda ARNs; plain names need checkArn: false", () => {
    const build = (asl: AslDefinition, checkArn?: boolean) => () =>
      new StateMachine(asl as unknown as StateMachineDefinition, {
        validationOptions: checkArn === undefined ? {} : { checkArn },
      });
    expect(build(definition())).not.toThrow();
    expect(build(definition(), false)).not.toThrow();
    const plainNames = Object.fromEntries(Object.entries(TASK_FUNCTIONS));
    expect(build(substituteArns(definitionWithWait(), plainNames))).toThrow(/Resource is invalid/);
    expect(build(substituteArns(definitionWithWait(), plainNames), false)).not.toThrow();
    expect(() => substituteArns(definitionWithWait(), {})).toThrow(/FetchRawFunctionArn/);
  });

  it("names only errors that core defines (plus the States.* / Lambda.* built-ins and the Lambda runtime's timeouts)", () => {
    const names = new Set<string>();
    for (const state of Object.values(definitionWithWait().States)) {
      for (const entry of [...(state.Retry ?? []), ...(state.Catch ?? [])])
        for (const name of entry.ErrorEquals) names.add(name);
      if (state.Type === "Fail" && state.Error) names.add(state.Error);
    }
    const runtime: ReadonlySet<string> = new Set(TRANSIENT_TASK_ERRORS);
    const ours = [...names].filter((name) => !/^(States|Lambda)\./.test(name) && !runtime.has(name));
    expect(ours.length).toBeGreaterThan(5);
    for (const name of ours) expect(KnownErrorNames.has(name), name).toBe(true);
  });

  it("passes S3 keys and small records between states, never the raw body", () => {
    const asl = definitionWithWait();
    expect(asl.States.FetchRaw?.ResultPath).toBe("$.lead");
    expect(asl.States.FetchOwner?.ResultPath).toBe("$.owner");
    expect(asl.States.MergeAndStore?.ResultPath).toBe("$.merged");
  });
});

describe("the pipeline, run locally with the real handlers", () => {
  it("happy path: hold, fetch, merge, notify once with the merged owner", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));

    const run = await runPipeline();

    expect(run.error).toBeUndefined();
    expect(entered(run)).toEqual(["HoldForOwner", "FetchRaw", "FetchOwner", "MergeAndStore", "NotifySlack"]);
    expect(run.events[0]?.type).toBe("ExecutionStarted");
    expect(last(run)?.type).toBe("ExecutionSucceeded");
    expect(run.events.filter((event) => event.type === "StateRetried")).toEqual([]);
    expect(run.events.filter((event) => event.type === "StateFailed")).toEqual([]);

    expect(slack.messages).toHaveLength(1);
    const message = JSON.stringify(slack.messages[0]);
    expect(message).toContain("Priya Raman");
    expect(message).toContain("Inbound Demo");
    expect(message).toContain("maya.okafor@harborpine.example");

    const enriched = JSON.parse(store.text(enrichedKey(LEAD_ID)) ?? "null");
    expect(enriched).toMatchObject({ leadId: LEAD_ID, owner: "Priya Raman", funnel: "Inbound Demo" });
    expect(run.output).toMatchObject({
      leadId: LEAD_ID,
      rawKey: rawEventKey(LEAD_ID),
      lead: { leadId: LEAD_ID, name: "Harbor & Pine Logistics" },
      owner: { lead_owner: "Priya Raman" },
      merged: { owner: "Priya Raman", enrichedKey: enrichedKey(LEAD_ID) },
      notification: { status: "sent" },
    });
    // The history carries S3 keys and small records, never the raw body.
    expect(JSON.stringify(run.output)).not.toContain("Inbound demo request from the pricing page");
  });

  it("owner appears on the 3rd try: two retries of FetchOwner, then success", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
    owners.scripts.set(LEAD_ID, [404, 403, 200]);

    const run = await runPipeline();

    expect(last(run)?.type).toBe("ExecutionSucceeded");
    const retries = retriesOf(run, "FetchOwner");
    expect(retries).toHaveLength(2);
    expect(retries.map((retry) => retry.attempt)).toEqual([1, 2]);
    for (const retry of retries) expect(retry.retrier.ErrorEquals).toContain("OwnerNotAssigned");
    expect(failuresOf(run, "FetchOwner").map((failure) => failure.Error)).toEqual([
      "OwnerNotAssigned",
      "OwnerNotAssigned",
    ]);
    expect(owners.requestsFor(LEAD_ID)).toHaveLength(retries.length + 1);
    expect(slack.messages).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0])).toContain("Priya Raman");
  });

  it("owner never appears: retries run out, the channel is told, the execution fails as OwnerNeverAssigned", async () => {
    owners.scripts.set(LEAD_ID, [404]);

    const run = await runPipeline();

    const allowed = maxAttempts("FetchOwner", "OwnerNotAssigned");
    const retries = retriesOf(run, "FetchOwner");
    expect(retries).toHaveLength(allowed);
    expect(retries.at(-1)?.attempt).toBe(allowed);
    expect(owners.requestsFor(LEAD_ID)).toHaveLength(allowed + 1);
    const caught = run.events.find(
      (event) => event.type === "StateCaught" && event.state.name === "FetchOwner",
    );
    expect(caught?.type === "StateCaught" && caught.catch.catcher.Next).toBe("ReportUnassigned");
    expect(entered(run)).toEqual([
      "HoldForOwner",
      "FetchRaw",
      "FetchOwner",
      "ReportUnassigned",
      "OwnerNeverAssignedHasCause",
      "OwnerNeverAssigned",
    ]);

    const failed = last(run);
    expect(failed?.type).toBe("ExecutionFailed");
    if (failed?.type !== "ExecutionFailed") return;
    expect(failed.Error).toBe("OwnerNeverAssigned");
    expect(String(failed.Cause)).toContain(LEAD_ID);
    expect(run.error).toBeInstanceOf(ExecutionError);

    // Nothing is lost: the raw event is still stored, and nothing was merged.
    expect(store.text(rawEventKey(LEAD_ID))).toBe(closeFixture("lead-created.json"));
    expect(store.text(enrichedKey(LEAD_ID))).toBeUndefined();
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toContain("still has no owner");
    expect(slack.messages[0]?.text).toContain(LEAD_ID);
  });

  it("owner never appears with notifyUnassigned=false: no notice, same verdict", async () => {
    owners.scripts.set(LEAD_ID, [404]);

    const run = await runPipeline({ notifyUnassigned: false });

    expect(entered(run)).toContain("ReportUnassigned");
    expect(last(run)).toMatchObject({ type: "ExecutionFailed", Error: "OwnerNeverAssigned" });
    expect(slack.requests).toHaveLength(0);
  });

  it("owner never appears and Slack is down for the notice: the verdict is still OwnerNeverAssigned", async () => {
    owners.scripts.set(LEAD_ID, [404]);
    const allowed = maxAttempts("ReportUnassigned", "SlackUnavailable");
    slack.script = Array.from({ length: allowed + 1 }, () => 503);

    const run = await runPipeline();

    expect(retriesOf(run, "ReportUnassigned")).toHaveLength(allowed);
    expect(slack.requests).toHaveLength(allowed + 1);
    const failed = last(run);
    expect(failed).toMatchObject({ type: "ExecutionFailed", Error: "OwnerNeverAssigned" });
    // The cause is still why the owner lookup gave up, not the Slack outage.
    expect(failed?.type === "ExecutionFailed" && String(failed.Cause)).toContain("No owner file");
  });

  it("Slack 429 then success: one retry, exactly one message", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
    slack.script = [429];

    const run = await runPipeline();

    expect(last(run)?.type).toBe("ExecutionSucceeded");
    const retries = retriesOf(run, "NotifySlack");
    expect(retries).toHaveLength(1);
    expect(retries[0]?.retrier.ErrorEquals).toContain("SlackRateLimited");
    expect(failuresOf(run, "NotifySlack").map((failure) => failure.Error)).toEqual(["SlackRateLimited"]);
    expect(slack.requests).toHaveLength(retries.length + 1);
    expect(slack.messages).toHaveLength(1);
  });

  it("Slack 410: no retry, the execution fails as SlackRejected with 410 in the cause", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
    slack.script = [410];

    const run = await runPipeline();

    expect(retriesOf(run, "NotifySlack")).toEqual([]);
    expect(failuresOf(run, "NotifySlack").map((failure) => failure.Error)).toEqual(["SlackRejected"]);
    expect(entered(run).slice(-3)).toEqual(["NotifySlack", "SlackRejectedHasCause", "SlackRejected"]);
    const failed = last(run);
    expect(failed?.type).toBe("ExecutionFailed");
    if (failed?.type !== "ExecutionFailed") return;
    expect(failed.Error).toBe("SlackRejected");
    expect(String(failed.Cause)).toContain("410");
    expect(slack.messages).toHaveLength(0);
    // The merged record was stored before the post was refused.
    expect(store.text(enrichedKey(LEAD_ID))).toBeDefined();
  });

  it("Slack down for good: retries run out, the execution fails as SlackUnavailable", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
    const allowed = maxAttempts("NotifySlack", "SlackUnavailable");
    slack.script = Array.from({ length: allowed + 1 }, () => 503);

    const run = await runPipeline();

    expect(retriesOf(run, "NotifySlack")).toHaveLength(allowed);
    expect(slack.requests).toHaveLength(allowed + 1);
    expect(last(run)).toMatchObject({ type: "ExecutionFailed", Error: "SlackUnavailable" });
    expect(slack.messages).toHaveLength(0);
  });

  it("owner server 500 three times, then OK: three retries on the short retrier, then success", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
    owners.scripts.set(LEAD_ID, [500, 500, 500, 200]);

    const run = await runPipeline();

    expect(last(run)?.type).toBe("ExecutionSucceeded");
    const retries = retriesOf(run, "FetchOwner");
    expect(retries).toHaveLength(3);
    for (const retry of retries) expect(retry.retrier.ErrorEquals).toContain("OwnerLookupUnavailable");
    expect(failuresOf(run, "FetchOwner").every((failure) => failure.Error === "OwnerLookupUnavailable")).toBe(
      true,
    );
    expect(owners.requestsFor(LEAD_ID)).toHaveLength(retries.length + 1);
    expect(slack.messages).toHaveLength(1);
  });

  it("owner file is not JSON: no retry, the execution fails as PipelineFailed", async () => {
    owners.scripts.set(LEAD_ID, ["bad-json"]);

    const run = await runPipeline();

    expect(retriesOf(run, "FetchOwner")).toEqual([]);
    expect(last(run)).toMatchObject({ type: "ExecutionFailed", Error: "PipelineFailed" });
    expect(slack.requests).toHaveLength(0);
  });

  it("raw event gone: FetchRaw is caught and the execution fails as RawEventMissing", async () => {
    owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));

    const run = await runPipeline({ afterIngest: (input) => store.delete(String(input.rawKey)) });

    expect(entered(run)).toEqual(["HoldForOwner", "FetchRaw", "RawEventMissingHasCause", "RawEventMissing"]);
    expect(last(run)).toMatchObject({ type: "ExecutionFailed", Error: "RawEventMissing" });
    expect(owners.requestsFor(LEAD_ID)).toHaveLength(0);
    expect(slack.requests).toHaveLength(0);
  });
});
