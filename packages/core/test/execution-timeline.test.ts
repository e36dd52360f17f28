import { describe, expect, it } from "vitest";
import {
  branchLabel,
  buildTimeline,
  formatTimeline,
  type HistoryEventLike,
  type TimelineStep,
} from "../src/execution-timeline";
import type { AslShape } from "../src/state-branches";

/**
 * The one reader of execution histories, on histories shaped as Step Functions records them
 * ("HistoryEvent", AWS Step Functions API Reference; the Parallel and Map histories recorded on
 * AWS in LocalStack's parity suite, tests/aws/services/stepfunctions/v2/scenarios/
 * test_base_scenarios.snapshot.json): each event links to the previous event of its own branch.
 */

type Row = [id: number, previous: number, type: string, details?: Record<string, unknown>];

const T0 = Date.parse("2026-12-07T10:00:00Z");
/** Events one second apart, in the order given. */
const history = (rows: Row[]): HistoryEventLike[] =>
  rows.map(([id, previousEventId, type, details], index) => ({
    id,
    previousEventId,
    type,
    timestamp: new Date(T0 + index * 1000),
    ...details,
  }));

const entered = (name: string, input = "{}") => ({ stateEnteredEventDetails: { name, input } });
const exited = (name: string, output = "{}") => ({ stateExitedEventDetails: { name, output } });
const lambdaFailed = (error: string, message: string) => ({
  lambdaFunctionFailedEventDetails: {
    error,
    cause: JSON.stringify({ errorType: error, errorMessage: message }),
  },
});
const succeeded = (output: string) => ({ lambdaFunctionSucceededEventDetails: { output } });

const stepOf = (steps: TimelineStep[], state: string) => {
  const step = steps.find((candidate) => candidate.state === state);
  if (!step) throw new Error(`no step ${state}`);
  return step;
};

/**
 * Triage's AlertHumans with Twilio refusing the SMS: TextOnCall fails (caught into SmsNotSent),
 * PostUrgentSlack succeeds, the branches' events interleaved as they happen.
 */
const ALERT_HUMANS: Row[] = [
  [1, 0, "ExecutionStarted", { executionStartedEventDetails: { input: "{}" } }],
  [2, 0, "ParallelStateEntered", entered("AlertHumans")],
  [3, 2, "ParallelStateStarted"],
  [4, 3, "TaskStateEntered", entered("TextOnCall")],
  [5, 3, "TaskStateEntered", entered("PostUrgentSlack")],
  [6, 4, "LambdaFunctionScheduled"],
  [7, 5, "LambdaFunctionScheduled"],
  [8, 6, "LambdaFunctionStarted"],
  [9, 7, "LambdaFunctionStarted"],
  [10, 8, "LambdaFunctionFailed", lambdaFailed("ServiceRejected", "twilio answered 400")],
  [11, 10, "TaskStateExited", exited("TextOnCall", '{"error":"ServiceRejected"}')],
  [12, 11, "PassStateEntered", entered("SmsNotSent")],
  [13, 9, "LambdaFunctionSucceeded", succeeded('{"ok":true}')],
  [14, 12, "PassStateExited", exited("SmsNotSent")],
  [15, 13, "TaskStateExited", exited("PostUrgentSlack", '{"posted":true}')],
  [16, 15, "ParallelStateSucceeded"],
  [17, 15, "ParallelStateExited", exited("AlertHumans", "[{},{}]")],
  [18, 17, "FailStateEntered", entered("TriageActionFailed")],
  [
    19,
    18,
    "ExecutionFailed",
    { executionFailedEventDetails: { error: "TriageActionFailed", cause: "SMS not sent" } },
  ],
];

describe("a Parallel's events land on their own branch's state", () => {
  it("the failure on TextOnCall, the result on PostUrgentSlack, each with its branch", () => {
    const timeline = buildTimeline(history(ALERT_HUMANS));

    expect(timeline).toMatchObject({ status: "failed", error: "TriageActionFailed", retries: 0 });
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["AlertHumans", "done"],
      ["TextOnCall", "failed"],
      ["PostUrgentSlack", "done"],
      ["SmsNotSent", "done"],
      ["TriageActionFailed", "failed"],
    ]);
    const text = stepOf(timeline.steps, "TextOnCall");
    expect(text.branch).toEqual({ state: "AlertHumans", kind: "Parallel", index: 0 });
    expect(text.attempts).toEqual([
      expect.objectContaining({
        number: 1,
        outcome: "failed",
        error: "ServiceRejected",
        cause: "twilio answered 400",
      }),
    ]);
    const slack = stepOf(timeline.steps, "PostUrgentSlack");
    expect(slack.branch).toEqual({ state: "AlertHumans", kind: "Parallel", index: 1 });
    expect(slack.attempts).toEqual([expect.objectContaining({ number: 1, outcome: "succeeded" })]);
    expect(slack.output).toBe('{"posted":true}');
    expect(slack.durationMs).toBe(10_000);
    expect(stepOf(timeline.steps, "SmsNotSent").branch).toEqual(text.branch);
    expect(stepOf(timeline.steps, "AlertHumans").branch).toBeUndefined();
  });

  it("reads the same whatever order the branches' events came in", () => {
    // The Slack branch finishes first this time: its events before the SMS branch's failure.
    const slackFirst = [5, 7, 9, 13, 15];
    const order = [1, 2, 3, 4, ...slackFirst, 6, 8, 10, 11, 12, 14, 16, 17, 18, 19];
    const rows = order.map((id) => ALERT_HUMANS.find((row) => row[0] === id) as Row);
    const summary = (steps: TimelineStep[]) =>
      steps
        .map((step) => [step.state, step.status, step.branch?.index, step.attempts.map((a) => a.outcome)])
        .sort();

    const timeline = buildTimeline(history(rows), {
      definition: {
        States: {
          AlertHumans: {
            Type: "Parallel",
            Branches: [
              { States: { TextOnCall: { Type: "Task" }, SmsNotSent: { Type: "Pass" } } },
              { States: { PostUrgentSlack: { Type: "Task" } } },
            ],
          },
        },
      },
    });
    expect(summary(timeline.steps)).toEqual(summary(buildTimeline(history(ALERT_HUMANS)).steps));
  });

  it("numbers branches as the definition does when it is given, else in the order they appear", () => {
    // PostUrgentSlack is the first branch seen here.
    const slackFirst = history([
      [1, 0, "ExecutionStarted"],
      [2, 0, "ParallelStateEntered", entered("AlertHumans")],
      [3, 2, "ParallelStateStarted"],
      [4, 3, "TaskStateEntered", entered("PostUrgentSlack")],
      [5, 3, "TaskStateEntered", entered("TextOnCall")],
    ]);
    expect(stepOf(buildTimeline(slackFirst).steps, "PostUrgentSlack").branch?.index).toBe(0);
    const definition: AslShape = {
      States: {
        AlertHumans: {
          Type: "Parallel",
          Branches: [
            { States: { TextOnCall: { Type: "Task" } } },
            { States: { PostUrgentSlack: { Type: "Task" } } },
          ],
        },
      },
    };
    const declared = buildTimeline(slackFirst, { definition }).steps;
    expect(stepOf(declared, "PostUrgentSlack").branch?.index).toBe(1);
    expect(stepOf(declared, "TextOnCall").branch?.index).toBe(0);
  });

  it("an uncaught branch failure: the failing Task failed, its still-running sibling stopped, the Parallel failed", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "ParallelStateEntered", entered("CommittedActions")],
        [3, 2, "ParallelStateStarted"],
        [4, 3, "TaskStateEntered", entered("SendPurchase")],
        [5, 3, "TaskStateEntered", entered("SendPropertyEmail")],
        [6, 4, "LambdaFunctionScheduled"],
        [7, 5, "LambdaFunctionScheduled"],
        [8, 6, "LambdaFunctionStarted"],
        [9, 7, "LambdaFunctionStarted"],
        [10, 8, "LambdaFunctionFailed", lambdaFailed("ServiceRejected", "meta answered 400")],
        [11, 10, "ParallelStateFailed"],
        [12, 11, "ExecutionFailed", { executionFailedEventDetails: { error: "ServiceRejected" } }],
      ]),
    );
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["CommittedActions", "failed"],
      ["SendPurchase", "failed"],
      ["SendPropertyEmail", "aborted"],
    ]);
    expect(formatTimeline(timeline).join("\n")).toMatch(
      /⊘ SendPropertyEmail\s+Task\s+stopped\s+\(CommittedActions branch 1\)/,
    );
  });

  it("a Fail state ending a branch is the failed state, not a stopped one", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "ParallelStateEntered", entered("ParallelState")],
        [3, 2, "ParallelStateStarted"],
        [4, 3, "FailStateEntered", entered("Branch1")],
        [5, 4, "ParallelStateFailed"],
        [6, 5, "ExecutionFailed", { executionFailedEventDetails: { error: "FailureType" } }],
      ]),
    );
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["ParallelState", "failed"],
      ["Branch1", "failed"],
    ]);
  });

  it("nested Parallels: the inner branch knows the outer one", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "ParallelStateEntered", entered("Outer")],
        [3, 2, "ParallelStateStarted"],
        [4, 3, "ParallelStateEntered", entered("Inner")],
        [5, 4, "ParallelStateStarted"],
        [6, 5, "PassStateEntered", entered("Leaf")],
        [7, 6, "PassStateExited", exited("Leaf")],
        [8, 7, "ParallelStateSucceeded"],
        [9, 7, "ParallelStateExited", exited("Inner")],
        [10, 9, "ParallelStateSucceeded"],
        [11, 9, "ParallelStateExited", exited("Outer")],
        [12, 11, "ExecutionSucceeded"],
      ]),
    );
    const leaf = stepOf(timeline.steps, "Leaf");
    expect(leaf.branch).toEqual({
      state: "Inner",
      kind: "Parallel",
      index: 0,
      outer: { state: "Outer", kind: "Parallel", index: 0 },
    });
    expect(branchLabel(leaf.branch)).toBe("Outer branch 0 › Inner branch 0");
    expect(timeline.steps.every((step) => step.status === "done")).toBe(true);
  });

  it("a retried Parallel: the first try's branch states stay as they ended, the retry counts", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "ParallelStateEntered", entered("P")],
        [3, 2, "ParallelStateStarted"],
        [4, 3, "TaskStateEntered", entered("A")],
        [5, 3, "TaskStateEntered", entered("B")],
        [6, 4, "LambdaFunctionScheduled"],
        [7, 6, "LambdaFunctionStarted"],
        [8, 7, "LambdaFunctionFailed", lambdaFailed("Boom", "boom")],
        [9, 8, "ParallelStateStarted"],
        [10, 9, "TaskStateEntered", entered("A")],
        [11, 9, "TaskStateEntered", entered("B")],
        [12, 10, "LambdaFunctionScheduled"],
        [13, 12, "LambdaFunctionStarted"],
        [14, 13, "LambdaFunctionSucceeded", succeeded("{}")],
        [15, 14, "TaskStateExited", exited("A")],
        [16, 11, "LambdaFunctionScheduled"],
        [17, 16, "LambdaFunctionStarted"],
        [18, 17, "LambdaFunctionSucceeded", succeeded("{}")],
        [19, 18, "TaskStateExited", exited("B")],
        [20, 19, "ParallelStateSucceeded"],
        [21, 19, "ParallelStateExited", exited("P")],
        [22, 21, "ExecutionSucceeded"],
      ]),
    );
    expect(timeline.retries).toBe(1);
    expect(timeline.steps.map((step) => [step.state, step.status])).toEqual([
      ["P", "done"],
      ["A", "failed"],
      ["B", "aborted"],
      ["A", "done"],
      ["B", "done"],
    ]);
  });
});

describe("Map iterations", () => {
  it("each state knows its iteration", () => {
    const iteration = (index: number) => ({ mapIterationStartedEventDetails: { name: "MapState", index } });
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "MapStateEntered", entered("MapState", '{"items":[1,2]}')],
        [3, 2, "MapStateStarted", { mapStateStartedEventDetails: { length: 2 } }],
        [4, 3, "MapIterationStarted", iteration(0)],
        [5, 4, "PassStateEntered", entered("HandleItem", "1")],
        [6, 5, "PassStateExited", exited("HandleItem", "1")],
        [
          7,
          6,
          "MapIterationSucceeded",
          { mapIterationSucceededEventDetails: { name: "MapState", index: 0 } },
        ],
        [8, 6, "MapIterationStarted", iteration(1)],
        [9, 8, "PassStateEntered", entered("HandleItem", "2")],
        [10, 9, "PassStateExited", exited("HandleItem", "2")],
        [
          11,
          10,
          "MapIterationSucceeded",
          { mapIterationSucceededEventDetails: { name: "MapState", index: 1 } },
        ],
        [12, 11, "MapStateSucceeded"],
        [13, 11, "MapStateExited", exited("MapState", "[1,2]")],
        [14, 13, "ExecutionSucceeded"],
      ]),
    );
    expect(timeline.steps.map((step) => [step.state, step.status, branchLabel(step.branch)])).toEqual([
      ["MapState", "done", ""],
      ["HandleItem", "done", "MapState item 0"],
      ["HandleItem", "done", "MapState item 1"],
    ]);
    expect(stepOf(timeline.steps, "MapState").output).toBe("[1,2]");
  });
});

describe("Task attempts", () => {
  it("an SQS .waitForTaskToken Task: TaskScheduled, TaskStarted, TaskSubmitted, then its callback's TaskSucceeded", () => {
    const task = (type: string, details?: Record<string, unknown>) => [type, details] as const;
    const rows: Row[] = [
      [1, 0, "ExecutionStarted"],
      [2, 0, "TaskStateEntered", entered("AwaitBudget")],
      ...[
        task("TaskScheduled", {
          taskScheduledEventDetails: { resourceType: "sqs", resource: "sendMessage.waitForTaskToken" },
        }),
        task("TaskStarted"),
        task("TaskSubmitted"),
        task("TaskTimedOut", { taskTimedOutEventDetails: { error: "States.Timeout", cause: "no callback" } }),
        task("TaskScheduled"),
        task("TaskStarted"),
        task("TaskSubmitted"),
        task("TaskFailed", { taskFailedEventDetails: { error: "BudgetRefused", cause: "over budget" } }),
        task("TaskScheduled"),
        task("TaskStarted"),
        task("TaskSubmitted"),
        task("TaskSucceeded", { taskSucceededEventDetails: { output: '{"approved":true}' } }),
      ].map(([type, details], index): Row => [index + 3, index + 2, type, details]),
      [15, 14, "TaskStateExited", exited("AwaitBudget", '{"approved":true}')],
      [16, 15, "ExecutionSucceeded"],
    ];
    const timeline = buildTimeline(history(rows));
    const step = stepOf(timeline.steps, "AwaitBudget");
    expect(step.status).toBe("done");
    expect(step.attempts.map((attempt) => [attempt.number, attempt.outcome, attempt.error])).toEqual([
      [1, "timed-out", "States.Timeout"],
      [2, "failed", "BudgetRefused"],
      [3, "succeeded", undefined],
    ]);
    expect(step.attempts[1]?.waitBeforeMs).toBe(1000);
    expect(timeline.retries).toBe(2);
  });

  it("a Lambda that failed and waits for its Retry counts as a retry: never 'retrying' next to 0 retries", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "TaskStateEntered", entered("FetchOwner")],
        [3, 2, "LambdaFunctionScheduled"],
        [4, 3, "LambdaFunctionStarted"],
        [5, 4, "LambdaFunctionFailed", lambdaFailed("OwnerNotAssigned", "no owner yet")],
      ]),
    );
    expect(timeline.status).toBe("running");
    expect(timeline.retries).toBe(1);
    expect(stepOf(timeline.steps, "FetchOwner").retryPending).toBe(true);
    const lines = formatTimeline(timeline);
    expect(lines[0]).toBe("RUNNING, 1 retry");
    expect(lines).toContain("      attempt 2 waiting for its Retry");
  });

  it("once the retry is scheduled it is counted once", () => {
    const timeline = buildTimeline(
      history([
        [1, 0, "ExecutionStarted"],
        [2, 0, "TaskStateEntered", entered("FetchOwner")],
        [3, 2, "LambdaFunctionScheduled"],
        [4, 3, "LambdaFunctionStarted"],
        [5, 4, "LambdaFunctionFailed", lambdaFailed("OwnerNotAssigned", "no owner yet")],
        [6, 5, "LambdaFunctionScheduled"],
        [7, 6, "LambdaFunctionStarted"],
      ]),
    );
    expect(timeline.retries).toBe(1);
    const step = stepOf(timeline.steps, "FetchOwner");
    expect(step.status).toBe("running");
    expect(step.retryPending).toBeUndefined();
  });
});

describe("histories without links between branches (recorded before branches were linked)", () => {
  it("are read in order, as before", () => {
    const rows: Row[] = [
      [1, 0, "ExecutionStarted"],
      [2, 1, "WaitStateEntered", entered("Hold")],
      [3, 2, "WaitStateExited", exited("Hold")],
      [4, 3, "TaskStateEntered", entered("FetchOwner")],
      [5, 4, "LambdaFunctionScheduled"],
      [6, 5, "LambdaFunctionStarted"],
      [7, 6, "LambdaFunctionFailed", lambdaFailed("OwnerLookupUnavailable", "500")],
      [8, 7, "LambdaFunctionScheduled"],
      [9, 8, "LambdaFunctionStarted"],
      [10, 9, "LambdaFunctionSucceeded", succeeded("{}")],
      [11, 10, "TaskStateExited", exited("FetchOwner")],
      [12, 11, "ExecutionSucceeded"],
    ];
    const timeline = buildTimeline(history(rows));
    expect(timeline.steps.map((step) => [step.state, step.status, step.attempts.length])).toEqual([
      ["Hold", "done", 0],
      ["FetchOwner", "done", 2],
    ]);
    expect(timeline.retries).toBe(1);
    const unlinked = buildTimeline(history(rows).map(({ previousEventId: _, id: __, ...event }) => event));
    expect(unlinked.steps).toEqual(timeline.steps);
  });
});
