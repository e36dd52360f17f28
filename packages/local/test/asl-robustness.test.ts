import { configuredDefinition } from "@leadrelay/functions/flow-spec";
import { type AslBranch, type AslState, allStates } from "@leadrelay/functions/state-machine";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { describe, expect, it } from "vitest";
import { FLOWS } from "../../flows/registry";

/**
 * The ASL spec says an error output SHOULD have a `Cause`, not that it must (a Task that times out,
 * a branch whose Fail names no cause), and a Fail whose `CausePath` selects nothing is itself a
 * runtime error on Step Functions ("the reference path must select a field that contains a string
 * value", docs/state-fail) and on the local engine alike: the named failure would turn into
 * `States.Runtime`. Every path from a Catch or a Choice to a Fail is run here on the local engine
 * with an error output that has no Cause (and with none at all), and must still end in that Fail's
 * own error name.
 */

interface FailPath {
  flow: string;
  /** Where the path starts: a Catch's target or a Choice's Default. */
  from: string;
  start: string;
  scope: AslBranch;
  /** The Catch's ResultPath (where the error output lands), `$` when the Catch has none. */
  resultPath?: string;
}

function scopes(branch: AslBranch): AslBranch[] {
  return [branch, ...Object.values(branch.States).flatMap((state) => (state.Branches ?? []).flatMap(scopes))];
}

/** States reached from `start` without running a Task (a Task would need its Lambda). */
function reachesFailWithoutTask(scope: AslBranch, start: string): string[] {
  const fails: string[] = [];
  const seen = new Set<string>();
  const queue = [start];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const state: AslState | undefined = scope.States[name];
    if (!state || state.Type === "Task" || state.Type === "Parallel" || state.Type === "Wait") continue;
    if (state.Type === "Fail") fails.push(name);
    if (state.Next) queue.push(state.Next);
    const choices = (state.Choices as Array<{ Next: string }> | undefined) ?? [];
    queue.push(...choices.map((choice) => choice.Next));
    if (typeof state.Default === "string") queue.push(state.Default);
  }
  return fails;
}

/** Settings that change a definition's shape (announce's email adds states); the rest ignore them. */
const VARIANTS: ReadonlyArray<Record<string, string>> = [{}, { ANNOUNCE_EMAIL_TO: "ops@example.com" }];

const paths: FailPath[] = FLOWS.flatMap((flow) => {
  const seen = new Set<string>();
  return VARIANTS.flatMap((settings) =>
    scopes(configuredDefinition(flow, settings)).flatMap((scope) =>
      Object.entries(scope.States).flatMap(([name, state]): FailPath[] => [
        ...(state.Catch ?? [])
          .filter((catcher) => reachesFailWithoutTask(scope, catcher.Next).length > 0)
          .map((catcher) => ({
            flow: flow.id,
            from: `${name} Catch`,
            start: catcher.Next,
            scope,
            resultPath: catcher.ResultPath ?? "$",
          })),
        ...(state.Type === "Choice" &&
        typeof state.Default === "string" &&
        reachesFailWithoutTask(scope, state.Default).length > 0
          ? [{ flow: flow.id, from: `${name} Default`, start: state.Default, scope }]
          : []),
      ]),
    ),
  ).filter((path) => {
    const key = `${path.from} → ${path.start}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
});

/** An input with the error output at a Catch's ResultPath (`$.error` → `{error: output}`). */
function inputWith(resultPath: string | undefined, output: Record<string, unknown>): Record<string, unknown> {
  if (resultPath === undefined) return { leadId: "lead_1" };
  if (resultPath === "$") return output;
  const keys = resultPath.replace(/^\$\./, "").split(".");
  // An earlier Catch may have kept its error at `$.error` (announce's email after a Slack error).
  const input: Record<string, unknown> = { leadId: "lead_1", error: output };
  let node = input;
  for (const key of keys.slice(0, -1)) {
    node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = output;
  return input;
}

async function failureOf(path: FailPath, input: Record<string, unknown>) {
  const machine = new StateMachine(
    { StartAt: path.start, States: path.scope.States } as unknown as StateMachineDefinition,
    { validationOptions: { noValidate: true } },
  );
  try {
    await machine.run(input as Parameters<StateMachine["run"]>[0]).result;
  } catch (error) {
    const failed = error as { cause?: { name?: string; message?: string }; name?: string };
    return { error: failed.cause?.name ?? failed.name, cause: failed.cause?.message };
  }
  return { error: "succeeded", cause: undefined };
}

describe("a failure keeps its name when the error output has no Cause", () => {
  it("finds paths to check in every flow", () => {
    expect(new Set(paths.map((path) => path.flow))).toEqual(new Set(FLOWS.map((flow) => flow.id)));
  });

  it.each(paths.map((path) => [`${path.flow}: ${path.from} → ${path.start}`, path] as const))(
    "%s",
    async (_, path) => {
      const names = new Set(
        reachesFailWithoutTask(path.scope, path.start).map((fail) => path.scope.States[fail]?.Error),
      );
      const withCause = await failureOf(path, inputWith(path.resultPath, { Error: "Boom", Cause: "kaboom" }));
      expect(names).toContain(withCause.error);
      if (path.resultPath === "$.error") expect(withCause.cause).toContain("kaboom");
      const withoutCause = await failureOf(path, inputWith(path.resultPath, { Error: "Boom" }));
      expect(names).toContain(withoutCause.error);
      expect(withoutCause.cause).toEqual(expect.any(String));
    },
  );
});

/**
 * A ResultPath such as `$.actions.email` writes below `$.actions`: the local engine creates the
 * missing parent, and whether Step Functions does is nothing a flow should depend on. Every
 * ResultPath (states and Catches, nested ones too) names `$` or one top-level field, which always
 * exists once written.
 */
describe("every ResultPath writes a top-level field", () => {
  it.each(FLOWS.map((flow) => [flow.id, flow] as const))("%s", (_, flow) => {
    const deep = allStates(configuredDefinition(flow, {})).flatMap(({ name, state }) =>
      [
        ...(typeof state.ResultPath === "string" ? [[name, state.ResultPath]] : []),
        ...(state.Catch ?? []).flatMap((catcher) =>
          catcher.ResultPath ? [[`${name} Catch`, catcher.ResultPath]] : [],
        ),
      ]
        .filter(([, path]) => !/^\$(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(path as string))
        .map(([where, path]) => `${where}: ${path}`),
    );
    expect(deep).toEqual([]);
  });
});
