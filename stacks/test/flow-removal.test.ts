import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { synthesizeStage, TEST_ENV } from "./synth";
import type { CfnTemplate } from "./template-queries";

/**
 * #22 finding 1: taking a flow out of LEADRELAY_FLOWS on a stage that exists. CloudFormation updates
 * Flows before the stacks that depend on it, and refuses to remove an export another stack still
 * imports ("You can't modify or remove an output value that is referenced by another stack"): so
 * every import of the stacks as they were must name an export the updated Flows (or any other
 * updated stack) still has.
 */
const STAGE = "staging";
const outDir = mkdtempSync(path.join(tmpdir(), "leadrelay-flow-removal-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

// SST's "remove" mode: the same resources without bundling a function (seconds, not a minute).
const before = await synthesizeStage(outDir, STAGE, "remove", {
  ...TEST_ENV,
  LEADRELAY_FLOWS: "announce,triage",
});
const after = await synthesizeStage(outDir, STAGE, "remove", { ...TEST_ENV, LEADRELAY_FLOWS: "announce" });

/** Every `Fn::ImportValue` name in a template. */
function importsOf(template: CfnTemplate): string[] {
  const found: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "Fn::ImportValue") found.push(JSON.stringify(inner));
        else visit(inner);
      }
    }
  };
  visit(template.Resources);
  visit(template.Outputs);
  return found;
}

const exportsOf = (templates: Record<string, CfnTemplate>) =>
  new Set(
    Object.values(templates).flatMap((template) =>
      Object.values(template.Outputs ?? {}).flatMap((output) =>
        output.Export ? [JSON.stringify(output.Export.Name)] : [],
      ),
    ),
  );

describe("taking a flow out of LEADRELAY_FLOWS (announce,triage → announce)", () => {
  it("synthesizes the flows asked for", () => {
    const machines = (templates: Record<string, CfnTemplate>) =>
      Object.values(templates.Flows?.Resources ?? {})
        .filter((resource) => resource.Type === "AWS::StepFunctions::StateMachine")
        .map((resource) => resource.Properties?.StateMachineName)
        .sort();
    expect(machines(before.templates)).toEqual([`${STAGE}-leadrelay-announce`, `${STAGE}-leadrelay-triage`]);
    expect(machines(after.templates)).toEqual([`${STAGE}-leadrelay-announce`]);
  });

  it.each(["Api", "Operations"])(
    "leaves every export %s imported before the change in place while Flows updates",
    (stack) => {
      const template = before.templates[stack];
      if (!template) throw new Error(`The stage has no ${stack} stack`);
      const remaining = exportsOf(after.templates);
      expect(importsOf(template).filter((name) => !remaining.has(name))).toEqual([]);
    },
  );

  it("keeps the exports the previous version's Api and Operations import, for the deploy that moves them off", () => {
    // CDK's automatic cross-stack exports: the Ref of each state machine and each task function.
    for (const { templates } of [before, after]) {
      const flows = templates.Flows ?? {};
      const exported = new Set(
        Object.values(flows.Outputs ?? {}).flatMap((output) =>
          output.Export ? [JSON.stringify(output.Value)] : [],
        ),
      );
      const ours = Object.entries(flows.Resources ?? {})
        .filter(
          ([, r]) => r.Type === "AWS::StepFunctions::StateMachine" || r.Type === "AWS::Lambda::Function",
        )
        .filter(([id]) => !id.startsWith("CustomResourceHandler"))
        // The stage's budget dead-letter Lambda came after the move: no earlier version imported it.
        .filter(([id]) => !id.startsWith("BudgetDeadLetters"))
        .map(([id]) => id);
      expect(ours.length).toBeGreaterThan(1);
      expect(ours.filter((id) => !exported.has(JSON.stringify({ Ref: id })))).toEqual([]);
    }
    // Under the very name the previous version's Api imported (seen in this test's failing run).
    const names = exportsOf({ Flows: before.templates.Flows ?? {} });
    expect(names).toContain(
      JSON.stringify(`${STAGE}-leadrelay-Flows:ExportsOutputRefAnnounceStateMachineDC5B8E737EE82F46`),
    );
    expect(names).toContain(
      JSON.stringify(`${STAGE}-leadrelay-Flows:ExportsOutputRefTriageTriageFetchLead4FD2BAF945D2C326`),
    );
  });

  it("and imports nothing from Flows at all: a flow's state machine ARN is built from its fixed name", () => {
    const flowsExports = exportsOf({ Flows: before.templates.Flows ?? {} });
    const imported = Object.values(before.templates).flatMap(importsOf);
    expect(imported.filter((name) => flowsExports.has(name))).toEqual([]);
  });
});
