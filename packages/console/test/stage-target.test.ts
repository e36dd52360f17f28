import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executionConsoleUrl } from "../src/aws-console-links";
import { resolveStageTarget, stageOutputs } from "../src/stage-target";

const ARN = "arn:aws:states:eu-central-1:123456789012:stateMachine:LeadPipeline-abc";

/** What SST v2 writes to `.sst/outputs.json`: stack id (`<stage>-<app>-<Stack>`) → outputs. */
function outputsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "leadrelay-outputs-")), "outputs.json");
  writeFileSync(
    file,
    JSON.stringify({
      "prod-leadrelay-Storage": { BucketName: "prod-leadrelay-storage-bucket" },
      "prod-leadrelay-Pipeline": { StateMachineArn: ARN, BucketName: "prod-leadrelay-storage-bucket" },
      "dev-leadrelay-Pipeline": { StateMachineArn: ARN.replace("abc", "dev"), BucketName: "dev-bucket" },
    }),
  );
  return file;
}

describe("which stage `pnpm console` looks at", () => {
  it("reads the stage's outputs from SST's outputs file, region from the ARN", () => {
    expect(resolveStageTarget({ stage: "prod", outputsFile: outputsFile(), app: "leadrelay" })).toMatchObject(
      {
        stateMachineArn: ARN,
        bucket: "prod-leadrelay-storage-bucket",
        region: "eu-central-1",
      },
    );
  });

  it("lets flags win over the outputs", () => {
    const target = resolveStageTarget({
      stage: "dev",
      bucket: "other",
      region: "us-east-1",
      outputsFile: outputsFile(),
      app: "leadrelay",
    });
    expect(target).toMatchObject({
      bucket: "other",
      region: "us-east-1",
      stateMachineArn: ARN.replace("abc", "dev"),
    });
  });

  it("says which flags are missing when the stage has no outputs", () => {
    expect(() => resolveStageTarget({ stage: "qa", outputsFile: outputsFile(), app: "leadrelay" })).toThrow(
      /pass --state-machine-arn and --bucket: no qa stage outputs/,
    );
    expect(() =>
      resolveStageTarget({ stage: "qa", outputsFile: "/nonexistent/outputs.json", app: "leadrelay" }),
    ).toThrow(/--state-machine-arn/);
  });

  it("only takes stacks of the named stage and app", () => {
    expect(stageOutputs({ "prod-other-Pipeline": { StateMachineArn: ARN } }, "prod", "leadrelay")).toEqual(
      {},
    );
  });

  it("refuses something that is not a state machine ARN", () => {
    expect(() =>
      resolveStageTarget({
        stateMachineArn: "arn:aws:s3:::bucket",
        bucket: "b",
        outputsFile: "x",
        app: "leadrelay",
      }),
    ).toThrow(/not a state machine ARN/);
  });

  it("links an execution to its page in the AWS console, and nothing that is not an execution ARN", () => {
    const execution = "arn:aws:states:eu-central-1:123456789012:execution:LeadPipeline-abc:lead_X1";
    expect(executionConsoleUrl(execution)).toBe(
      `https://eu-central-1.console.aws.amazon.com/states/home?region=eu-central-1#/v2/executions/details/${execution}`,
    );
    expect(
      executionConsoleUrl('arn:aws:states:eu-central-1:123456789012:execution:x:y"><script>'),
    ).toBeUndefined();
  });
});
