import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executionConsoleUrl } from "../src/aws-console-links";
import { flowArnOfFlag, flowArnsOfOutputs, resolveStageTarget, stageOutputs } from "../src/stage-target";

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

  it("reads every flow's state machine from a stage with several flows, announce first", () => {
    const file = join(mkdtempSync(join(tmpdir(), "leadrelay-outputs-")), "outputs.json");
    const arn = (name: string) =>
      `arn:aws:states:eu-central-1:123456789012:stateMachine:prod-leadrelay-${name}`;
    writeFileSync(
      file,
      JSON.stringify({
        "prod-leadrelay-Storage": { BucketName: "prod-bucket" },
        "prod-leadrelay-Flows": {
          BucketName: "prod-bucket",
          StateMachineArnTriage: arn("triage"),
          StateMachineArnAnnounce: arn("announce"),
          StateMachineArnDealStage: arn("deal-stage"),
          StateMachineArn: arn("announce"),
          StateMachineConsoleUrl: "https://example.invalid",
        },
      }),
    );
    const target = resolveStageTarget({ stage: "prod", outputsFile: file, app: "leadrelay" });
    expect(target.flows).toEqual([
      { id: "announce", stateMachineArn: arn("announce") },
      { id: "triage", stateMachineArn: arn("triage") },
      { id: "deal-stage", stateMachineArn: arn("deal-stage") },
    ]);
    expect(target).toMatchObject({
      stateMachineArn: arn("announce"),
      bucket: "prod-bucket",
      region: "eu-central-1",
    });
    // A stage deployed before flows has only the bare output: announce's.
    expect(flowArnsOfOutputs({ StateMachineArn: ARN })).toEqual([{ id: "announce", stateMachineArn: ARN }]);
  });

  it("takes --state-machine-arn per flow, as flow=ARN or an ARN whose name ends with a flow id", () => {
    const triage = "arn:aws:states:eu-central-1:123456789012:stateMachine:prod-leadrelay-triage";
    const replies = "arn:aws:states:eu-central-1:123456789012:stateMachine:prod-leadrelay-linkedin-replies";
    expect(flowArnOfFlag(triage, false)).toEqual({ id: "triage", stateMachineArn: triage });
    expect(flowArnOfFlag(replies, false)).toEqual({ id: "linkedin-replies", stateMachineArn: replies });
    expect(flowArnOfFlag(`announce=${ARN}`, false)).toEqual({ id: "announce", stateMachineArn: ARN });
    expect(flowArnOfFlag(ARN, true)).toEqual({ id: "announce", stateMachineArn: ARN });
    expect(() => flowArnOfFlag(ARN, false)).toThrow(/pass it as <flow>=ARN/);
    const target = resolveStageTarget({
      stateMachineArn: [triage, `announce=${ARN}`],
      outputsFile: "x",
      app: "leadrelay",
      needsBucket: false,
    });
    expect(target.flows.map((flow) => flow.id)).toEqual(["announce", "triage"]);
    expect(target.bucket).toBe("");
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
