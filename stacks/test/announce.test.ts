import { describe, expect, it } from "vitest";
import { KnownErrorNames } from "../../packages/core/src/errors";
import {
  DEFAULT_WAIT_SECONDS,
  definitionWithWait,
  WAIT_STATE,
} from "../../packages/flows/announce/src/definition";
import { announceFlow } from "../../packages/flows/announce/src/flow";
import { LAMBDA_TIMEOUT_SECONDS, TRANSIENT_TASK_ERRORS } from "../../packages/functions/src/flow-spec";
import type { AslDefinition, AslState } from "../../packages/functions/src/state-machine";
import {
  catchProblems,
  nominalRetrySeconds,
  retrierFor,
  retryGaps,
  timeoutProblems,
  unknownErrorNames,
} from "./asl-checks";
import { synthesized } from "./synth";
import { AppTemplates } from "./template-queries";

/** What announce promises beyond what every flow does (flows.test.ts checks that). */

const FOUR_HOURS = 4 * 3600;
const TASKS_IN_ORDER = ["HoldForOwner", "FetchRaw", "FetchOwner", "MergeAndStore", "NotifySlack"];

/** The hold before FetchOwner must be exactly what was deployed for. */
function holdProblems(definition: AslDefinition, waitSeconds: number): string[] {
  const hold = definition.States[WAIT_STATE];
  if (hold?.Type !== "Wait") return [`${WAIT_STATE} is not a Wait state`];
  if (hold.Seconds !== waitSeconds)
    return [`${WAIT_STATE} waits ${String(hold.Seconds)} s, not ${waitSeconds} s`];
  return [];
}

/** The happy path: state names from StartAt following `Next` until a state without one. */
function mainPath(definition: AslDefinition): string[] {
  const path: string[] = [];
  for (let name: string | undefined = definition.StartAt; name !== undefined; ) {
    if (path.includes(name)) throw new Error(`Next loops back to ${name}`);
    const state: AslState | undefined = definition.States[name];
    if (!state) throw new Error(`Next names a missing state ${name}`);
    path.push(name);
    name = state.Next;
  }
  return path;
}

/** The order of the lead's story, ending in success (at the last Task, or in a Succeed state after it). */
function orderProblems(definition: AslDefinition): string[] {
  const path = mainPath(definition);
  const problems: string[] = [];
  if (path.slice(0, TASKS_IN_ORDER.length).join(" → ") !== TASKS_IN_ORDER.join(" → ")) {
    problems.push(`runs ${path.join(" → ")}, not ${TASKS_IN_ORDER.join(" → ")}`);
  }
  const rest = path.slice(TASKS_IN_ORDER.length);
  const last = definition.States[path.at(-1) ?? ""];
  if (
    rest.some((name) => definition.States[name]?.Type !== "Succeed") ||
    !(last?.End || last?.Type === "Succeed")
  ) {
    problems.push(`does not end in success after ${TASKS_IN_ORDER.at(-1)}`);
  }
  return problems;
}

/** The retries the flow's behaviour depends on; each missing one is a problem. */
function retryProblems(definition: AslDefinition): string[] {
  const problems: string[] = [];
  const owner = retrierFor(definition, "FetchOwner", "OwnerNotAssigned");
  if (!owner) problems.push("FetchOwner does not retry OwnerNotAssigned");
  else {
    if (!((owner.BackoffRate ?? 2) > 1)) problems.push("FetchOwner OwnerNotAssigned retries do not back off");
    if (owner.JitterStrategy !== "FULL")
      problems.push("FetchOwner OwnerNotAssigned retries have no FULL jitter");
    const nominal = nominalRetrySeconds(owner);
    // FULL jitter waits a uniform random share of each delay: on average half of the nominal total.
    if (nominal < FOUR_HOURS) {
      problems.push(
        `FetchOwner waits for an owner ${nominal} s nominal (${nominal / 2} s expected), under 4 h (2 h)`,
      );
    }
  }
  const required: Array<[string, string]> = [
    ["FetchOwner", "OwnerLookupUnavailable"],
    ["NotifySlack", "SlackRateLimited"],
    ["NotifySlack", "SlackUnavailable"],
  ];
  for (const [state, error] of required) {
    const retrier = retrierFor(definition, state, error);
    if (!retrier || (retrier.MaxAttempts ?? 3) < 1) problems.push(`${state} does not retry ${error}`);
  }
  return problems;
}

const synth = await synthesized();
const app = new AppTemplates(synth.test);
const machine = app
  .resources("AWS::StepFunctions::StateMachine")
  .find(({ resource }) => resource.Properties?.StateMachineName === "test-leadrelay-announce");
if (!machine) throw new Error("The test stage has no announce state machine");
const deployed = JSON.parse(app.render(machine.resource.Properties?.DefinitionString)) as AslDefinition;

describe("announce as deployed", () => {
  it(`holds a new lead ${DEFAULT_WAIT_SECONDS} s by default, before anything else`, () => {
    expect(DEFAULT_WAIT_SECONDS).toBe(600);
    expect(synth.settings.announce?.LEAD_WAIT_SECONDS).toBe("600");
    expect(holdProblems(deployed, 600)).toEqual([]);
    expect(deployed).toEqual(definitionWithWait(600));
    expect(deployed.StartAt).toBe(WAIT_STATE);
  });

  it("runs HoldForOwner → FetchRaw → FetchOwner → MergeAndStore → NotifySlack, then succeeds", () => {
    expect(orderProblems(deployed)).toEqual([]);
  });

  it("waits for an owner with backoff and full jitter for ≥ 4 h nominal (≥ 2 h expected)", () => {
    const owner = retrierFor(deployed, "FetchOwner", "OwnerNotAssigned");
    expect(owner?.BackoffRate).toBeGreaterThan(1);
    expect(owner?.JitterStrategy).toBe("FULL");
    expect(owner && nominalRetrySeconds(owner)).toBeGreaterThanOrEqual(FOUR_HOURS);
    expect(owner && nominalRetrySeconds(owner) / 2).toBeGreaterThanOrEqual(FOUR_HOURS / 2);
  });

  it("retries an unavailable owner lookup, Slack rate limits and Slack outages", () => {
    expect(retryProblems(deployed)).toEqual([]);
  });
});

describe("the checks reject a broken definition", () => {
  const copy = () => definitionWithWait(600);
  const known = new Set([...KnownErrorNames, ...announceFlow.errorNames, ...TRANSIENT_TASK_ERRORS]);

  it("accepts the file as it is", () => {
    const definition = copy();
    expect([
      ...holdProblems(definition, 600),
      ...orderProblems(definition),
      ...retryProblems(definition),
      ...timeoutProblems(definition, LAMBDA_TIMEOUT_SECONDS),
      ...retryGaps(definition, TRANSIENT_TASK_ERRORS),
      ...unknownErrorNames(definition, known),
      ...catchProblems(definition, announceFlow.degradedStates),
    ]).toEqual([]);
  });

  it("rejects a 60 s hold", () => {
    const definition = copy();
    if (definition.States.HoldForOwner) definition.States.HoldForOwner.Seconds = 60;
    expect(definition).not.toEqual(definitionWithWait(600));
    expect(holdProblems(definition, 600)).toEqual(["HoldForOwner waits 60 s, not 600 s"]);
  });

  it("rejects a reordered flow", () => {
    const definition = copy();
    if (definition.States.FetchRaw) definition.States.FetchRaw.Next = "MergeAndStore";
    expect(orderProblems(definition).join("\n")).toContain("runs HoldForOwner → FetchRaw → MergeAndStore");
  });

  const retryMutations: Array<[string, (d: AslDefinition) => void, string]> = [
    [
      "the OwnerNotAssigned Retry removed",
      (d) => {
        const state = d.States.FetchOwner;
        if (state) state.Retry = state.Retry?.filter((r) => !r.ErrorEquals.includes("OwnerNotAssigned"));
      },
      "FetchOwner does not retry OwnerNotAssigned",
    ],
    [
      "the owner wait cut to 5 attempts",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) retrier.MaxAttempts = 5;
      },
      "under 4 h",
    ],
    [
      "no backoff for the owner",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) retrier.BackoffRate = 1;
      },
      "do not back off",
    ],
    [
      "no jitter for the owner",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) delete retrier.JitterStrategy;
      },
      "no FULL jitter",
    ],
    [
      "OwnerLookupUnavailable no longer retried",
      (d) => {
        for (const retrier of d.States.FetchOwner?.Retry ?? []) {
          retrier.ErrorEquals = retrier.ErrorEquals.filter((name) => name !== "OwnerLookupUnavailable");
        }
      },
      "FetchOwner does not retry OwnerLookupUnavailable",
    ],
    [
      "the SlackRateLimited Retry removed",
      (d) => {
        const state = d.States.NotifySlack;
        if (state) state.Retry = state.Retry?.filter((r) => !r.ErrorEquals.includes("SlackRateLimited"));
      },
      "NotifySlack does not retry SlackRateLimited",
    ],
    [
      "SlackUnavailable no longer retried",
      (d) => {
        for (const retrier of d.States.NotifySlack?.Retry ?? []) {
          retrier.ErrorEquals = retrier.ErrorEquals.filter((name) => name !== "SlackUnavailable");
        }
      },
      "NotifySlack does not retry SlackUnavailable",
    ],
  ];
  it.each(retryMutations)("rejects %s", (_, mutate, problem) => {
    const definition = copy();
    mutate(definition);
    expect(retryProblems(definition).join("\n")).toContain(problem);
  });

  it("rejects a Task without a timeout, or one that times out before its Lambda", () => {
    const definition = copy();
    if (definition.States.FetchRaw) delete definition.States.FetchRaw.TimeoutSeconds;
    if (definition.States.FetchOwner) definition.States.FetchOwner.TimeoutSeconds = LAMBDA_TIMEOUT_SECONDS;
    expect(timeoutProblems(definition, LAMBDA_TIMEOUT_SECONDS)).toEqual([
      "FetchRaw has no TimeoutSeconds",
      `FetchOwner times out after ${LAMBDA_TIMEOUT_SECONDS} s, not after its Lambda (${LAMBDA_TIMEOUT_SECONDS} s)`,
    ]);
  });

  it("rejects a Task that stops retrying a transient error", () => {
    const definition = copy();
    for (const retrier of definition.States.FetchRaw?.Retry ?? []) {
      retrier.ErrorEquals = retrier.ErrorEquals.filter((name) => name !== "States.Timeout");
    }
    expect(retryGaps(definition, TRANSIENT_TASK_ERRORS).join("\n")).toMatch(
      /^FetchRaw does not retry .*States\.Timeout/m,
    );
  });

  it("counts States.TaskFailed as a retry of everything but States.Timeout", () => {
    const definition = copy();
    const fetchRaw = definition.States.FetchRaw;
    if (fetchRaw) fetchRaw.Retry = [{ ErrorEquals: ["States.TaskFailed"], MaxAttempts: 2 }];
    const problems = retryGaps(definition, TRANSIENT_TASK_ERRORS);
    expect(problems.filter((problem) => problem.startsWith("FetchRaw"))).toEqual([
      "FetchRaw does not retry States.Timeout",
    ]);
  });

  it("rejects an error name nobody defines", () => {
    const definition = copy();
    const retrier = retrierFor(definition, "FetchOwner", "OwnerNotAssigned");
    if (retrier) retrier.ErrorEquals = ["OwnerNotAsigned"];
    expect(unknownErrorNames(definition, known)).toEqual(["OwnerNotAsigned"]);
  });

  it("rejects a Catch that ends in success, or in a Fail that drops the cause", () => {
    const definition = copy();
    definition.States.Done = { Type: "Succeed" };
    const catcher = definition.States.FetchOwner?.Catch?.find((c) =>
      c.ErrorEquals.includes("OwnerLookupUnavailable"),
    );
    if (catcher) catcher.Next = "Done";
    const rawMissing = definition.States.RawEventMissing;
    if (rawMissing) {
      delete rawMissing.CausePath;
      rawMissing.Cause = "gone";
    }
    const problems = catchProblems(definition).join("\n");
    expect(problems).toMatch(
      /FetchOwner Catch \[OwnerLookupUnavailable[^\]]*\] → Done is a Succeed, not a Fail/,
    );
    expect(problems).toContain(
      "FetchRaw Catch [RawEventMissing, RawEventInvalid] → RawEventMissing fails without a CausePath",
    );
    // Listed as a degraded outcome, the same path is accepted.
    expect(catchProblems(definition, ["Done"]).join("\n")).not.toContain("→ Done");
  });

  it("checks Tasks and Catches nested in Parallel branches too", () => {
    const definition = copy();
    const notify = definition.States.NotifySlack as AslState;
    definition.States.NotifySlack = {
      Type: "Parallel",
      Branches: [
        {
          StartAt: "NotifyInBranch",
          States: {
            NotifyInBranch: {
              ...notify,
              TimeoutSeconds: undefined,
              Catch: [{ ErrorEquals: ["States.ALL"], Next: "Skipped" }],
              Next: undefined,
              End: true,
            },
            Skipped: { Type: "Pass", End: true },
          },
        },
      ],
      End: true,
    };
    expect(timeoutProblems(definition, LAMBDA_TIMEOUT_SECONDS)).toEqual([
      "NotifyInBranch has no TimeoutSeconds",
    ]);
    expect(catchProblems(definition)).toEqual([
      "NotifyInBranch Catch [States.ALL] → Skipped is a Pass, not a Fail",
    ]);
    expect(catchProblems(definition, ["Skipped"])).toEqual([]);
  });
});
