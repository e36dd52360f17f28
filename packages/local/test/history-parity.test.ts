import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTimeline } from "@leadrelay/core";
import type { AslBranch, AslDefinition, AslState } from "@leadrelay/functions/state-machine";
import { afterEach, describe, expect, it } from "vitest";
import type { HistoryEvent } from "../src/history";
import { LocalStepFunctions, type TaskHandler } from "../src/local-step-functions";

/**
 * The local engine's histories against what Step Functions records for the same shape.
 *
 * The AWS sequences below are written down from:
 * - "HistoryEvent", AWS Step Functions API Reference
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 *   event types and details (MapStateStarted `length`, MapIteration* `{name, index}`);
 *   `previousEventId` is "the id of the previous event".
 * - Histories recorded on AWS for LocalStack's parity suite (github.com/localstack/localstack,
 *   tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json, marked
 *   `aws.validated`): test_parallel_state (the first state links to 0; branches' first events link
 *   to ParallelStateStarted; ParallelStateExited links to the branches' last event),
 *   test_parallel_state_fail/_catch (ParallelStateFailed links to the failing branch's last event;
 *   then ExecutionFailed, or ParallelStateExited and the Catch's next state), test_parallel_state_retry
 *   (a retry is a new ParallelStateStarted linked to the failing branch, no ParallelStateFailed),
 *   test_map_state and test_map_state_catch (MapIterationStarted links to MapStateStarted, later ones
 *   to the previous iteration's last event; MapStateSucceeded/Exited link to the last
 *   MapIterationSucceeded; MapStateFailed to the failing iteration's last event); and
 *   v2/error_handling/test_task_lambda.snapshot.json and test_lambda_invoke_with_retry_base (a
 *   Lambda Task: Scheduled, Started, Failed, Scheduled again on a retry, TaskStateExited after a Catch).
 *
 * Branches run side by side, so the order of events across branches is free; what must match is
 * each event's type, what it links to, and that it comes after what it links to. Both histories
 * are compared as the tree the links make.
 */

type Expected = [id: number, previous: number, type: string, label?: string];

/** The tree `previousEventId` makes, children in a canonical order: equal for the same shape whatever the interleaving. */
function linkTree(
  events: ReadonlyArray<{ id: number; previousEventId: number; type: string; label?: string }>,
) {
  const children = new Map<number, typeof events>();
  for (const event of events) {
    children.set(event.previousEventId, [...(children.get(event.previousEventId) ?? []), event]);
  }
  const render = (id: number): string[] =>
    (children.get(id) ?? [])
      .map((event) =>
        [
          `${event.type}${event.label ? ` ${event.label}` : ""}`,
          ...render(event.id).map((line) => `  ${line}`),
        ].join("\n"),
      )
      .sort();
  return render(0).join("\n").split("\n");
}

const awsTree = (expected: Expected[]) =>
  linkTree(expected.map(([id, previousEventId, type, label]) => ({ id, previousEventId, type, label })));

/** A local event's label: the state's name, or the error of a failure. */
function labelled(event: HistoryEvent) {
  const details = Object.entries(event).find(([key]) => key.endsWith("EventDetails"))?.[1] as
    | { name?: string; error?: string; index?: number }
    | undefined;
  const label =
    event.type.endsWith("StateEntered") || event.type.endsWith("StateExited")
      ? details?.name
      : event.type.startsWith("MapIteration")
        ? String(details?.index)
        : event.type.endsWith("Failed")
          ? details?.error
          : undefined;
  return { id: event.id, previousEventId: event.previousEventId, type: event.type, label };
}

function expectParity(events: HistoryEvent[], expected: Expected[]) {
  expect(linkTree(events.map(labelled))).toEqual(awsTree(expected));
  for (const event of events) expect(event.previousEventId).toBeLessThan(event.id);
  expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
}

const SMS = "arn:aws:lambda:us-east-1:000000000000:function:send-sms";
const SLACK = "arn:aws:lambda:us-east-1:000000000000:function:post-slack";

function notify(options: { catchTo?: string } = {}): AslDefinition {
  return {
    StartAt: "Notify",
    States: {
      Notify: {
        Type: "Parallel",
        Branches: [
          {
            StartAt: "SendSms",
            States: {
              SendSms: {
                Type: "Task",
                Resource: SMS,
                Retry: [{ ErrorEquals: ["ServiceUnavailable"], IntervalSeconds: 1, MaxAttempts: 1 }],
                End: true,
              },
            },
          },
          {
            StartAt: "PostSlack",
            States: {
              PostSlack: { Type: "Task", Resource: SLACK, Next: "Posted" },
              Posted: { Type: "Pass", End: true },
            },
          },
        ],
        ...(options.catchTo
          ? { Catch: [{ ErrorEquals: ["States.ALL"], Next: options.catchTo }], Next: "Done" }
          : { End: true }),
      },
      ...(options.catchTo
        ? {
            [options.catchTo]: { Type: "Pass", End: true },
            Done: { Type: "Pass", End: true },
          }
        : {}),
    },
  };
}

/** A Map over `$.items` with `processor` as its item processor, `map` its other fields, then `after`. */
function mapOver(
  processor: AslBranch,
  map: Partial<AslState>,
  after: Record<string, AslState>,
): AslDefinition {
  return {
    StartAt: "MapState",
    States: {
      MapState: {
        Type: "Map",
        ItemsPath: "$.items",
        ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, ...processor },
        ...map,
      },
      ...after,
    },
  };
}

const engines: LocalStepFunctions[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

function engineFor(
  definition: AslDefinition,
  handlers: Record<string, TaskHandler>,
  executionsDir = mkdtempSync(join(tmpdir(), "leadrelay-parity-")),
) {
  const engine = new LocalStepFunctions({
    definition,
    stateMachineName: "parity",
    handlers,
    resources: { SendSms: SMS, PostSlack: SLACK },
    retryIntervalMs: 5,
    executionsDir,
  });
  engines.push(engine);
  return engine;
}

async function run(engine: LocalStepFunctions, input: unknown = {}) {
  await engine.startExecution({
    stateMachineArn: engine.stateMachineArn,
    name: "e1",
    input: JSON.stringify(input),
  });
  const record = await engine.settled("e1");
  if (!record) throw new Error("no execution");
  return record;
}

const named = (error: string) => Object.assign(new Error(error), { name: error });

/**
 * Runs `definition` with handlers that may wait for `slackDone`: the Slack branch ended (its Pass
 * state exited), so the sibling is never cut short and the shape is the same on every run.
 */
async function runGated(
  definition: AslDefinition,
  handlers: (slackDone: Promise<void>) => Record<string, TaskHandler>,
) {
  let ended: () => void = () => {};
  const slackDone = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const engine = engineFor(definition, handlers(slackDone));
  engine.onEvent((_record, event) => {
    if (event.type === "PassStateExited") ended();
  });
  return run(engine);
}

function smsFailsTwice(gate: Promise<void>): Record<string, TaskHandler> {
  let calls = 0;
  return {
    SendSms: async () => {
      calls++;
      if (calls === 1) throw named("ServiceUnavailable");
      await gate;
      throw named("ServiceRejected");
    },
    PostSlack: async () => ({ ok: true }),
  };
}

/** Notify starts its two branches: each one's Task entered and its Lambda started. */
const BOTH_BRANCHES_STARTED: Expected[] = [
  [1, 0, "ExecutionStarted"],
  [2, 0, "ParallelStateEntered", "Notify"],
  [3, 2, "ParallelStateStarted"],
  [4, 3, "TaskStateEntered", "SendSms"],
  [5, 3, "TaskStateEntered", "PostSlack"],
  [6, 4, "LambdaFunctionScheduled"],
  [7, 6, "LambdaFunctionStarted"],
  [8, 5, "LambdaFunctionScheduled"],
  [9, 8, "LambdaFunctionStarted"],
];

/** The first 17 events of both Notify shapes: one branch retried and failing, the other succeeding. */
const ONE_FAILS_ONE_SUCCEEDS: Expected[] = [
  ...BOTH_BRANCHES_STARTED,
  [10, 7, "LambdaFunctionFailed", "ServiceUnavailable"],
  [11, 9, "LambdaFunctionSucceeded"],
  [12, 11, "TaskStateExited", "PostSlack"],
  [13, 12, "PassStateEntered", "Posted"],
  [14, 13, "PassStateExited", "Posted"],
  [15, 10, "LambdaFunctionScheduled"],
  [16, 15, "LambdaFunctionStarted"],
  [17, 16, "LambdaFunctionFailed", "ServiceRejected"],
];

describe("a Parallel with one failing and one succeeding branch has the history Step Functions records", () => {
  it("uncaught: ParallelStateFailed after the failing branch, then ExecutionFailed", async () => {
    const record = await runGated(notify(), smsFailsTwice);

    expect(record.status).toBe("FAILED");
    expectParity(record.events, [
      ...ONE_FAILS_ONE_SUCCEEDS,
      [18, 17, "ParallelStateFailed"],
      [19, 18, "ExecutionFailed", "ServiceRejected"],
    ]);
  });

  it("caught: ParallelStateFailed, ParallelStateExited, then the Catch's state", async () => {
    const record = await runGated(notify({ catchTo: "Recovered" }), smsFailsTwice);

    expect(record.status).toBe("SUCCEEDED");
    expectParity(record.events, [
      ...ONE_FAILS_ONE_SUCCEEDS,
      [18, 17, "ParallelStateFailed"],
      [19, 18, "ParallelStateExited", "Notify"],
      [20, 19, "PassStateEntered", "Recovered"],
      [21, 20, "PassStateExited", "Recovered"],
      [22, 21, "ExecutionSucceeded"],
    ]);
  });

  it("and the reader puts each attempt, failure and result on its own branch's state", async () => {
    const record = await runGated(notify(), smsFailsTwice);
    const timeline = buildTimeline(record.events);

    const step = (state: string) => timeline.steps.find((candidate) => candidate.state === state);
    expect(timeline.status).toBe("failed");
    expect(timeline.retries).toBe(1);
    expect(step("Notify")).toMatchObject({ kind: "Parallel", status: "failed" });
    expect(step("Notify")?.branch).toBeUndefined();
    expect(step("SendSms")).toMatchObject({
      status: "failed",
      branch: { state: "Notify", kind: "Parallel", index: 0 },
      attempts: [
        { number: 1, outcome: "failed", error: "ServiceUnavailable" },
        { number: 2, outcome: "failed", error: "ServiceRejected", waitBeforeMs: expect.any(Number) },
      ],
    });
    expect(step("PostSlack")).toMatchObject({
      status: "done",
      output: JSON.stringify({ ok: true }),
      branch: { state: "Notify", kind: "Parallel", index: 1 },
      attempts: [{ number: 1, outcome: "succeeded" }],
    });
    expect(step("Posted")).toMatchObject({ status: "done", branch: { state: "Notify", index: 1 } });
  });
});

describe("other Parallel and Map shapes", () => {
  it("both branches succeed: ParallelStateSucceeded and ParallelStateExited link to the branch that ended last", async () => {
    const record = await runGated(notify(), (slackDone) => ({
      SendSms: async () => {
        await slackDone;
        return { sid: "SM1" };
      },
      PostSlack: async () => ({ ok: true }),
    }));

    expectParity(record.events, [
      ...BOTH_BRANCHES_STARTED,
      [10, 9, "LambdaFunctionSucceeded"],
      [11, 10, "TaskStateExited", "PostSlack"],
      [12, 11, "PassStateEntered", "Posted"],
      [13, 12, "PassStateExited", "Posted"],
      [14, 7, "LambdaFunctionSucceeded"],
      [15, 14, "TaskStateExited", "SendSms"],
      [16, 15, "ParallelStateSucceeded"],
      [17, 15, "ParallelStateExited", "Notify"],
      [18, 17, "ExecutionSucceeded"],
    ]);
    expect(buildTimeline(record.events).steps.map((step) => [step.state, step.status])).toEqual([
      ["Notify", "done"],
      ["SendSms", "done"],
      ["PostSlack", "done"],
      ["Posted", "done"],
    ]);
  });

  it("a retried Parallel starts again from its failing branch, with no ParallelStateFailed", async () => {
    const definition = notify();
    const notifyState = definition.States.Notify as { Retry?: unknown };
    notifyState.Retry = [{ ErrorEquals: ["ServiceRejected"], IntervalSeconds: 1, MaxAttempts: 1 }];
    let smsCalls = 0;
    const engine = engineFor(definition, {
      SendSms: async () => {
        smsCalls++;
        if (smsCalls === 1) throw named("ServiceRejected");
        return { sid: "SM2" };
      },
      PostSlack: async () => ({ ok: true }),
    });
    const record = await run(engine);

    expect(record.status).toBe("SUCCEEDED");
    const types = record.events.map((event) => event.type);
    expect(types.filter((type) => type === "ParallelStateStarted")).toHaveLength(2);
    expect(types).not.toContain("ParallelStateFailed");
    const failure = record.events.find((event) => event.type === "LambdaFunctionFailed");
    const restart = record.events.filter((event) => event.type === "ParallelStateStarted")[1];
    expect(restart?.previousEventId).toBe(failure?.id);
    const timeline = buildTimeline(record.events);
    expect(timeline.retries).toBe(1);
    expect(timeline.steps.filter((step) => step.state === "SendSms").map((step) => step.status)).toEqual([
      "failed",
      "done",
    ]);
  });

  it("Map: iteration events with {name, index}, each iteration linked on its own, as on AWS", async () => {
    const definition = mapOver(
      { StartAt: "HandleItem", States: { HandleItem: { Type: "Pass", End: true } } },
      { MaxConcurrency: 1, Next: "Final" },
      { Final: { Type: "Pass", End: true } },
    );
    const record = await run(engineFor(definition, {}), { items: [1, 2, 3] });

    expectParity(record.events, [
      [1, 0, "ExecutionStarted"],
      [2, 0, "MapStateEntered", "MapState"],
      [3, 2, "MapStateStarted"],
      [4, 3, "MapIterationStarted", "0"],
      [5, 4, "PassStateEntered", "HandleItem"],
      [6, 5, "PassStateExited", "HandleItem"],
      [7, 6, "MapIterationSucceeded", "0"],
      [8, 6, "MapIterationStarted", "1"],
      [9, 8, "PassStateEntered", "HandleItem"],
      [10, 9, "PassStateExited", "HandleItem"],
      [11, 10, "MapIterationSucceeded", "1"],
      [12, 10, "MapIterationStarted", "2"],
      [13, 12, "PassStateEntered", "HandleItem"],
      [14, 13, "PassStateExited", "HandleItem"],
      [15, 14, "MapIterationSucceeded", "2"],
      [16, 15, "MapStateSucceeded"],
      [17, 15, "MapStateExited", "MapState"],
      [18, 17, "PassStateEntered", "Final"],
      [19, 18, "PassStateExited", "Final"],
      [20, 19, "ExecutionSucceeded"],
    ]);
    const started = record.events.find((event) => event.type === "MapStateStarted");
    expect(started?.mapStateStartedEventDetails).toEqual({ length: 3 });
    const iteration = record.events.find((event) => event.type === "MapIterationStarted");
    expect(iteration?.mapIterationStartedEventDetails).toEqual({ name: "MapState", index: 0 });

    const handled = buildTimeline(record.events).steps.filter((step) => step.state === "HandleItem");
    expect(handled.map((step) => step.branch)).toEqual(
      [0, 1, 2].map((index) => ({ state: "MapState", kind: "Map", index })),
    );
  });

  it("Map: a failing iteration caught by the Map's Catch", async () => {
    const definition = mapOver(
      {
        StartAt: "HandleItemFail",
        States: { HandleItemFail: { Type: "Fail", Error: "HandleItemFailError", Cause: "bad item" } },
      },
      { Catch: [{ ErrorEquals: ["States.ALL"], Next: "FinalCaught" }], End: true },
      { FinalCaught: { Type: "Pass", End: true } },
    );
    const record = await run(engineFor(definition, {}), { items: [1] });

    expectParity(record.events, [
      [1, 0, "ExecutionStarted"],
      [2, 0, "MapStateEntered", "MapState"],
      [3, 2, "MapStateStarted"],
      [4, 3, "MapIterationStarted", "0"],
      [5, 4, "FailStateEntered", "HandleItemFail"],
      [6, 5, "MapIterationFailed", "0"],
      [7, 5, "MapStateFailed"],
      [8, 7, "MapStateExited", "MapState"],
      [9, 8, "PassStateEntered", "FinalCaught"],
      [10, 9, "PassStateExited", "FinalCaught"],
      [11, 10, "ExecutionSucceeded"],
    ]);
    const timeline = buildTimeline(record.events);
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["MapState", "failed"],
      ["HandleItemFail", "failed"],
      ["FinalCaught", "done"],
    ]);
  });
});

describe("a runtime restart inside a Parallel", () => {
  it("restarts the Parallel: a new ParallelStateStarted after what was recorded, new branches linked to it", async () => {
    const executionsDir = mkdtempSync(join(tmpdir(), "leadrelay-parity-resume-"));
    const first = engineFor(
      notify(),
      {
        SendSms: () => new Promise(() => {}),
        PostSlack: async () => ({ ok: true }),
      },
      executionsDir,
    );
    const posted = new Promise<void>((resolve) =>
      first.onEvent((_record, event) => {
        if (event.type === "PassStateExited") resolve();
      }),
    );
    await first.startExecution({ stateMachineArn: first.stateMachineArn, name: "e1", input: "{}" });
    await posted;
    await first.close();

    const second = engineFor(
      notify(),
      {
        SendSms: async () => ({ sid: "SM3" }),
        PostSlack: async () => ({ ok: true }),
      },
      executionsDir,
    );
    expect(second.resumeAll()).toEqual({ loaded: 1, resumed: 1 });
    const record = await second.settled("e1");
    const events = record?.events ?? [];

    expect(record?.status).toBe("SUCCEEDED");
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type === "ParallelStateEntered")).toHaveLength(1);
    const [, restart] = events.filter((event) => event.type === "ParallelStateStarted");
    // Linked to the last event recorded before the restart, as a retried Parallel links to its failing branch.
    expect(restart?.previousEventId).toBe((restart?.id ?? 0) - 1);
    const firstOfBranches = events.filter(
      (event) => event.type === "TaskStateEntered" && event.id > (restart?.id ?? 0),
    );
    expect(firstOfBranches.map((event) => event.previousEventId)).toEqual([restart?.id, restart?.id]);
    const timeline = buildTimeline(events);
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["Notify", "done"],
      ["SendSms", "aborted"],
      ["PostSlack", "done"],
      ["Posted", "done"],
      ["SendSms", "done"],
      ["PostSlack", "done"],
      ["Posted", "done"],
    ]);
  });
});

describe("a Task waiting for its vendor budget (sqs:sendMessage.waitForTaskToken) has the history Step Functions records", () => {
  const QUEUE = "https://sqs.us-east-1.amazonaws.com/000000000000/parity-Budgeted";
  /** What `withVendorBudgets` makes of a Lambda Task: the same Retry, its input and token in the message. */
  const budgeted = (catchTo?: string): AslDefinition => ({
    StartAt: "Budgeted",
    States: {
      Budgeted: {
        Type: "Task",
        Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        Parameters: { QueueUrl: QUEUE, MessageBody: { "taskToken.$": "$$.Task.Token", "input.$": "$" } },
        TimeoutSeconds: 3600,
        Retry: [{ ErrorEquals: ["ServiceUnavailable"], IntervalSeconds: 1, MaxAttempts: 1 }],
        ...(catchTo ? { Catch: [{ ErrorEquals: ["States.ALL"], Next: catchTo }] } : {}),
        End: true,
      },
      ...(catchTo ? { [catchTo]: { Type: "Pass", End: true } } : {}),
    },
  });
  const engineOf = (definition: AslDefinition, handler: TaskHandler) => {
    const engine = new LocalStepFunctions({
      definition,
      stateMachineName: "parity",
      region: "us-east-1",
      handlers: { Budgeted: handler },
      resources: { Budgeted: SMS },
      retryIntervalMs: 5,
      executionsDir: mkdtempSync(join(tmpdir(), "leadrelay-parity-callback-")),
    });
    engines.push(engine);
    return engine;
  };

  it("TaskScheduled {sqs, sendMessage.waitForTaskToken}, TaskStarted, TaskSubmitted, then TaskFailed or TaskSucceeded; a retry schedules again", async () => {
    let calls = 0;
    const messages: unknown[] = [];
    const record = await run(
      engineOf(budgeted(), async (message) => {
        messages.push(message);
        calls++;
        if (calls === 1) throw named("ServiceUnavailable");
        return { recorded: true };
      }),
      { leadId: "lead_1" },
    );

    expect(record.status).toBe("SUCCEEDED");
    expectParity(record.events, [
      [1, 0, "ExecutionStarted"],
      [2, 0, "TaskStateEntered", "Budgeted"],
      [3, 2, "TaskScheduled"],
      [4, 3, "TaskStarted"],
      [5, 4, "TaskSubmitted"],
      [6, 5, "TaskFailed", "ServiceUnavailable"],
      [7, 6, "TaskScheduled"],
      [8, 7, "TaskStarted"],
      [9, 8, "TaskSubmitted"],
      [10, 9, "TaskSucceeded"],
      [11, 10, "TaskStateExited", "Budgeted"],
      [12, 11, "ExecutionSucceeded"],
    ]);
    expect(record.events.map((event) => event.type)).not.toContain("LambdaFunctionScheduled");
    const event = (type: string) => record.events.find((candidate) => candidate.type === type);
    const scheduled = event("TaskScheduled")?.taskScheduledEventDetails as Record<string, unknown>;
    expect(scheduled).toMatchObject({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
      region: "us-east-1",
      timeoutInSeconds: 3600,
    });
    // The parameters are the message as sent: the queue, the task token and the Task's input.
    expect(JSON.parse(String(scheduled.parameters))).toEqual(messages[0]);
    expect(JSON.parse(String(scheduled.parameters))).toMatchObject({
      QueueUrl: QUEUE,
      MessageBody: { taskToken: expect.any(String), input: { leadId: "lead_1" } },
    });
    expect(event("TaskStarted")?.taskStartedEventDetails).toEqual({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
    });
    const submitted = event("TaskSubmitted")?.taskSubmittedEventDetails as Record<string, unknown>;
    expect(JSON.parse(String(submitted.output))).toMatchObject({
      MD5OfMessageBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      MessageId: expect.any(String),
    });
    expect(event("TaskFailed")?.taskFailedEventDetails).toMatchObject({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
      error: "ServiceUnavailable",
    });
    expect(event("TaskSucceeded")?.taskSucceededEventDetails).toEqual({
      resourceType: "sqs",
      resource: "sendMessage.waitForTaskToken",
      output: JSON.stringify({ recorded: true }),
    });
  });

  it("and the reader attributes its attempts, the retry and the failure to the state", async () => {
    const record = await run(
      engineOf(budgeted("Degraded"), async () => {
        throw named("ServiceUnavailable");
      }),
    );

    expect(record.status).toBe("SUCCEEDED");
    const timeline = buildTimeline(record.events);
    expect(timeline.retries).toBe(1);
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["Budgeted", "failed"],
      ["Degraded", "done"],
    ]);
    expect(timeline.steps[0]?.attempts).toMatchObject([
      { number: 1, outcome: "failed", error: "ServiceUnavailable" },
      { number: 2, outcome: "failed", error: "ServiceUnavailable", waitBeforeMs: expect.any(Number) },
    ]);
  });
});
