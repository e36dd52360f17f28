import { describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { configuredDefinition } from "../../packages/functions/src/flow-spec";
import type { AslDefinition } from "../../packages/functions/src/state-machine";
import { taskActions } from "../../packages/functions/src/task-actions";

/** Every state name of a definition, Parallel branches included. */
function stateNames(definition: Pick<AslDefinition, "States">): Set<string> {
  const names = new Set<string>();
  for (const [name, state] of Object.entries(definition.States)) {
    names.add(name);
    for (const branch of (state as { Branches?: AslDefinition[] }).Branches ?? []) {
      for (const inner of stateNames(branch)) names.add(inner);
    }
  }
  return names;
}

describe("each flow's declared actions", () => {
  // Everything switched on: announce's email states exist only with ANNOUNCE_EMAIL_TO, triage's
  // HubSpot ones only with hubspot in TRIAGE_SOURCES.
  const settings = {
    ANNOUNCE_EMAIL_TO: "ops@example.com",
    LEAD_WAIT_SECONDS: "1",
    TRIAGE_SOURCES: "close,hubspot",
  };

  it.each(FLOWS.map((flow) => [flow.id, flow] as const))("%s: ids unique, states in its ASL", (_id, flow) => {
    expect(flow.actions.length).toBeGreaterThan(0);
    expect(new Set(flow.actions.map((action) => action.id)).size).toBe(flow.actions.length);
    const states = stateNames(configuredDefinition(flow, settings));
    for (const action of flow.actions) {
      expect(action.states.length, action.id).toBeGreaterThan(0);
      for (const state of action.states) expect(states, `${action.id} → ${state}`).toContain(state);
      expect(action.result).toMatch(/^\$\.[A-Za-z]/);
    }
  });

  it.each(FLOWS.map((flow) => [flow.id, flow] as const))(
    "%s: every variable an action requires reaches a Task",
    (_id, flow) => {
      const given = new Set(
        Object.values(flow.tasks).flatMap((task) => [
          ...(task.env ?? []),
          ...(task.secrets ?? []),
          ...(task.optionalSecrets ?? []),
        ]),
      );
      // Set by the stacks and the runtime for every Task that publishes events.
      given.add("EVENT_BUS_NAME");
      for (const action of flow.actions) {
        for (const name of [...action.requires, ...(action.enabledBy ? [action.enabledBy] : [])])
          expect(given, `${flow.id}/${action.id} requires ${name}`).toContain(name);
      }
    },
  );

  it.each(FLOWS.map((flow) => [flow.id, flow] as const))(
    "%s: every action is some Task's, found where its Lambda's result holds it (what the Task reports skipped)",
    (_id, flow) => {
      const definition = configuredDefinition(flow, settings);
      const found = Object.keys(flow.tasks).flatMap((placeholder) =>
        taskActions(flow, definition, placeholder).map((action) => `${action.id} ${action.at}`),
      );
      expect(new Set(found.map((entry) => entry.split(" ")[0]))).toEqual(
        new Set(flow.actions.map((action) => action.id)),
      );
      // Every Lambda's result is the action's own record, but triage's note Tasks' (`{…, crm}`).
      const nested = found.filter((entry) => !entry.endsWith(" $"));
      if (flow.id === "triage") {
        expect(nested.length).toBeGreaterThan(0);
        for (const entry of nested) expect(entry).toMatch(/ \$\.crm$/);
      } else expect(nested).toEqual([]);
    },
  );
});
