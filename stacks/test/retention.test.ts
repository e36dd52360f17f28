import { App as CdkApp, Stack as CdkStack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { StackContext } from "sst/constructs";
import { describe, expect, it } from "vitest";
import { Storage } from "../Storage";

/**
 * Storage needs only the stage and a scope, so a plain CDK stack stands in for SST's here: a second
 * SST App would rebuild .sst/types while infra.test.ts synthesizes in another worker.
 */
function storageTemplate(stage: string): Template {
  const stack = new CdkStack(new CdkApp(), `${stage}-leadrelay-Storage`);
  const app = { stage, logicalPrefixedName: (name: string) => `${stage}-leadrelay-${name}` };
  Storage({ app, stack } as unknown as StackContext);
  return Template.fromStack(stack);
}

describe("the bucket's fate when a stage is removed", () => {
  it("is kept, with its objects, for prod", () => {
    const template = storageTemplate("prod");
    template.hasResource("AWS::S3::Bucket", { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    expect(Object.keys(template.findResources("Custom::S3AutoDeleteObjects"))).toEqual([]);
  });

  it("is emptied and deleted for any other stage", () => {
    const template = storageTemplate("dev");
    template.hasResource("AWS::S3::Bucket", { DeletionPolicy: "Delete" });
    expect(Object.keys(template.findResources("Custom::S3AutoDeleteObjects"))).toHaveLength(1);
  });
});
