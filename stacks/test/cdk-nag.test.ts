import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack, aws_sns as sns } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { NagSuppressions } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { TEST_STAGE } from "../stage-policy";
import { type NagFinding, nagFindings, RETAINED_STAGE, synthesized } from "./synth";

/**
 * cdk-nag's AwsSolutions pack (the rules AWS engineers review CDK apps with) on every stage the
 * infra tests synthesize: no finding may be left open. A finding is fixed, or accepted next to its
 * construct with a written reason (stacks/nag.ts); what SST builds by itself is accepted by path.
 */
const synth = await synthesized();
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** `<rule>[<offending part>] <path>` of each finding left open. */
const open = (findings: NagFinding[]) =>
  findings
    .filter((finding) => !finding.suppressed)
    .map(
      (f) => `${f.ruleId}${f.findingId ? `[${f.findingId}]` : ""} ${f.path}${f.error ? ` (${f.error})` : ""}`,
    );

describe.each([TEST_STAGE, RETAINED_STAGE])("cdk-nag AwsSolutions on the %s stage", (stage) => {
  const findings = synth.nag[stage] ?? [];

  it("ran over the stage's stacks", () => {
    const stacks = new Set(findings.map((finding) => finding.path.split("/")[0]));
    expect([...stacks].sort()).toEqual(expect.arrayContaining(["Api", "Flows", "Operations", "Storage"]));
  });

  it("leaves no finding open and no rule unable to judge a resource", () => {
    expect(open(findings)).toEqual([]);
    expect(findings.filter((finding) => finding.error)).toEqual([]);
  });

  it("accepts each finding with a reason of its own", () => {
    for (const finding of findings) expect(finding.suppressed?.length ?? 0).toBeGreaterThan(40);
  });
});

/** Every file of the project's own sources (no dependencies, no generated output). */
function projectFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === "node_modules" || entry.startsWith(".") || entry === "test-results") return [];
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) return projectFiles(file);
    return /\.(ts|tsx|js|mjs|cjs|json)$/.test(entry) ? [file] : [];
  });
}

const STACK_WIDE = ["addStack", "Suppressions"].join("");
const usesStackWide = (source: string) => source.includes(STACK_WIDE);
const stackWideUses = (files: readonly string[]) =>
  files.filter((file) => usesStackWide(readFileSync(file, "utf8"))).map((file) => path.relative(ROOT, file));

describe("suppressions", () => {
  it(`are never stack-wide: no ${STACK_WIDE} anywhere in the project`, () => {
    const files = projectFiles(ROOT);
    expect(files.map((file) => path.relative(ROOT, file))).toEqual(
      expect.arrayContaining(["sst.config.ts", "stacks/nag.ts", "stacks/FlowMachine.ts"]),
    );
    expect(stackWideUses(files)).toEqual([]);
  });

  it("the checks find a stack-wide suppression, and a finding left open", async () => {
    const app = new App();
    const stack = new Stack(app, "Probe");
    new sns.Topic(stack, "PlainTopic");
    const accepted = new sns.Topic(stack, "AcceptedTopic");
    NagSuppressions.addResourceSuppressions(accepted, [
      { id: "AwsSolutions-SNS3", reason: "a probe of the test itself" },
    ]);
    const findings = await nagFindings(app);
    Template.fromStack(stack);
    expect(open(findings)).toEqual(["AwsSolutions-SNS3 Probe/PlainTopic/Resource"]);
    expect(findings.filter((finding) => finding.suppressed).map((finding) => finding.path)).toEqual([
      "Probe/AcceptedTopic/Resource",
    ]);

    expect(usesStackWide(`NagSuppressions.${STACK_WIDE}(stack, [{ id: "AwsSolutions-S1", reason }]);`)).toBe(
      true,
    );
    expect(usesStackWide("NagSuppressions.addResourceSuppressions(bucket, [])")).toBe(false);
  });
});
