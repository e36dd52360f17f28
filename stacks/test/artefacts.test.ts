import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { type AslDefinition, substituteArns } from "../../packages/functions/src/state-machine";
import { lambdaArns, validateAsl } from "../../packages/functions/test/asl-validation";
import { synthesized } from "./synth";
import { AppTemplates, type CfnTemplate } from "./template-queries";

/**
 * The artefacts a deploy hands to AWS, checked by the tools AWS's own users check them with:
 * cfn-lint on every synthesized template, asl-validator on every flow's definition.
 */

const synth = await synthesized();
const templates: Array<{ file: string; template: CfnTemplate }> = [
  ...Object.entries(synth.test).map(([id, template]) => ({ file: `test-${id}.json`, template })),
  ...Object.entries(synth.retained).map(([id, template]) => ({ file: `retained-${id}.json`, template })),
];

// ── cfn-lint ────────────────────────────────────────────────────────────────

interface LintMatch {
  Filename: string;
  Level: "Error" | "Warning" | "Informational";
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> };
}

/**
 * Warnings accepted on purpose, each with why; any other warning, and every error, fails the test.
 */
const ACCEPTED_WARNINGS: Array<{ rule: string; applies: (match: LintMatch) => boolean; why: string }> = [
  {
    rule: "W3005",
    applies: () => true,
    why:
      "CDK writes DependsOn from each Lambda to its role (and the role's default policy) besides the " +
      "GetAtt of the role: redundant for CloudFormation, harmless, and CDK's to write, not ours",
  },
  {
    rule: "W1032",
    applies: (match) => match.Message.includes(":my-account:"),
    why:
      "the offline synth has no AWS account, so SST writes the account as 'my-account' in the SSM " +
      "parameter ARNs of bound secrets; a real deploy writes the 12-digit id, which the pattern accepts",
  },
  {
    rule: "W6001",
    applies: (match) => match.Location.Path.join("/") === "Outputs/BucketName/Value/Fn::ImportValue",
    why:
      "the Flows stack re-exports the bucket name (an import of the Storage stack's export) next to " +
      "StateMachineArn, where the console and the CLI have always read it (packages/console/src/stage-target.ts)",
  },
];

const cfnLintVersion = (() => {
  const run = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : undefined;
})();
const dir = mkdtempSync(path.join(tmpdir(), "leadrelay-artefacts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One cfn-lint run over every template and a deliberately broken one (proof that errors are seen). */
const lint = (() => {
  let result: LintMatch[] | undefined;
  return () => {
    if (result) return result;
    for (const { file, template } of templates) writeFileSync(path.join(dir, file), JSON.stringify(template));
    const broken = structuredClone(synth.test.Flows);
    for (const resource of Object.values(broken.Resources ?? {})) {
      if (resource.Type === "AWS::Lambda::Function" && resource.Properties)
        resource.Properties.Runtime = "nodejs1.x";
    }
    writeFileSync(path.join(dir, "broken-Flows.json"), JSON.stringify(broken));
    const files = [...templates.map(({ file }) => file), "broken-Flows.json"].map((file) =>
      path.join(dir, file),
    );
    const run = spawnSync("cfn-lint", ["--format", "json", "--regions", "us-east-1", "--", ...files], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    // Exit status is a bit mask of the levels found (2 errors, 4 warnings, 8 informational); 1 is a crash.
    if (run.status === null || run.status === 1 || run.stdout.trim() === "") {
      throw new Error(`cfn-lint did not run (status ${run.status}): ${run.stderr || run.error?.message}`);
    }
    result = JSON.parse(run.stdout) as LintMatch[];
    return result;
  };
})();
const problem = (match: LintMatch) =>
  `${path.basename(match.Filename)} ${match.Rule.Id} ${match.Location.Path.join("/")}: ${match.Message}`;

describe("cfn-lint", () => {
  // CI installs it (.ci/run); a machine without it skips these, loudly, outside CI.
  const available = cfnLintVersion !== undefined || process.env.CI === "true";
  if (!available)
    console.warn("cfn-lint is not installed: pip install 'cfn-lint==1.51.*' to run the template checks");

  it.skipIf(!available)("is installed", () => {
    expect(cfnLintVersion, "cfn-lint is missing: pip install 'cfn-lint==1.51.*'").toMatch(
      /^cfn-lint \d+\.\d+/,
    );
    console.info(cfnLintVersion);
  });

  it.skipIf(!available)(
    "finds no error in any synthesized template, test and retained stage",
    () => {
      const errors = lint().filter((m) => m.Level === "Error" && !m.Filename.endsWith("broken-Flows.json"));
      expect(errors.map(problem)).toEqual([]);
    },
    150_000,
  );

  it.skipIf(!available)(
    "finds no warning but the accepted ones",
    () => {
      const warnings = lint().filter(
        (m) => m.Level === "Warning" && !m.Filename.endsWith("broken-Flows.json"),
      );
      const unexpected = warnings.filter(
        (match) =>
          !ACCEPTED_WARNINGS.some((accepted) => accepted.rule === match.Rule.Id && accepted.applies(match)),
      );
      expect(unexpected.map(problem)).toEqual([]);
      const accepted = [...new Set(warnings.map((match) => match.Rule.Id))].sort();
      console.info(`cfn-lint warnings accepted: ${accepted.join(", ") || "none"}`);
    },
    150_000,
  );

  it.skipIf(!available)(
    "does report an error in a broken template",
    () => {
      const errors = lint().filter((m) => m.Level === "Error" && m.Filename.endsWith("broken-Flows.json"));
      expect(errors.map((match) => match.Location.Path.at(-1))).toContain("Runtime");
    },
    150_000,
  );
});

// ── asl-validator ───────────────────────────────────────────────────────────

describe("asl-validator", () => {
  const app = new AppTemplates(synth.test);

  describe.each(FLOWS)("flow $id", (flow) => {
    it("accepts its ASL file, Lambda ARNs in place of the placeholders", () => {
      expect(validateAsl(substituteArns(flow.asl, lambdaArns(flow.id, Object.keys(flow.tasks))))).toEqual({
        isValid: true,
        errors: [],
      });
    });

    it("accepts the definition the test stage deploys", () => {
      const machine = app
        .resources("AWS::StepFunctions::StateMachine")
        .find(({ resource }) => resource.Properties?.StateMachineName === `test-leadrelay-${flow.id}`);
      const deployed = JSON.parse(
        app.render(machine?.resource.Properties?.DefinitionString),
      ) as AslDefinition;
      expect(validateAsl(substituteArns(deployed, lambdaArns(flow.id, Object.keys(flow.tasks))))).toEqual({
        isValid: true,
        errors: [],
      });
    });
  });

  it("rejects a definition whose transition names no state", () => {
    const [flow] = FLOWS;
    if (!flow) throw new Error("The registry has no flow");
    const definition = substituteArns(flow.asl, lambdaArns(flow.id, Object.keys(flow.tasks)));
    const [first] = Object.values(definition.States);
    if (first) {
      delete first.End;
      first.Next = "NoSuchState";
    }
    const { isValid, errors } = validateAsl(definition);
    expect(isValid).toBe(false);
    expect(errors.join("\n")).toContain("NoSuchState");
  });
});

// ── limits ──────────────────────────────────────────────────────────────────

/** CloudFormation quotas ("AWS CloudFormation quotas") and Step Functions' definition limit. */
const MAX_TEMPLATE_BYTES = 1_000_000;
const MAX_RESOURCES = 500;
const MAX_OUTPUTS = 200;
const MAX_DEFINITION_BYTES = 1_048_576;

describe("sizes", () => {
  it("keep every template within CloudFormation's quotas, with room for more flows", () => {
    const sizes = templates.map(({ file, template }) => ({
      file,
      bytes: Buffer.byteLength(JSON.stringify(template)),
      resources: Object.keys(template.Resources ?? {}).length,
      outputs: Object.keys(template.Outputs ?? {}).length,
    }));
    console.info(
      `templates: ${sizes.map((s) => `${s.file} ${(s.bytes / 1024).toFixed(1)} KiB, ${s.resources} resources, ${s.outputs} outputs`).join("; ")}`,
    );
    for (const size of sizes) {
      expect(size.bytes, size.file).toBeLessThan(MAX_TEMPLATE_BYTES);
      expect(size.resources, size.file).toBeLessThan(MAX_RESOURCES);
      expect(size.outputs, size.file).toBeLessThan(MAX_OUTPUTS);
    }
  });

  it("keep every state machine definition within Step Functions' limit", () => {
    const app = new AppTemplates(synth.test);
    for (const { resource } of app.resources("AWS::StepFunctions::StateMachine")) {
      expect(Buffer.byteLength(app.render(resource.Properties?.DefinitionString))).toBeLessThan(
        MAX_DEFINITION_BYTES,
      );
    }
  });
});
