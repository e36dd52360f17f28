import { App as CdkApp, Stack as CdkStack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { StackContext } from "sst/constructs";
import { describe, expect, it } from "vitest";
import { FLOW_IDS } from "../../packages/flows/registry";
import { Storage } from "../Storage";
import { RETAINED_STAGE, synthesized } from "./synth";
import { type CfnTemplate, referencedId } from "./template-queries";

/**
 * What outlives `sst remove` on a data-retaining stage must not carry a fixed physical name: the next
 * deploy of the stage would create a resource of the same name and fail on "already exists"
 * (#14 finding 5: a retained log group named after the state machine).
 */

/** The property that holds each resource type's physical name. */
const PHYSICAL_NAME: Record<string, string | null> = {
  "AWS::Logs::LogGroup": "LogGroupName",
  "AWS::S3::Bucket": "BucketName",
  "AWS::StepFunctions::StateMachine": "StateMachineName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::IAM::Role": "RoleName",
  "AWS::Events::EventBus": "Name",
  "AWS::SSM::Parameter": "Name",
  "AWS::DynamoDB::Table": "TableName",
  "AWS::SQS::Queue": "QueueName",
  "AWS::SNS::Topic": "TopicName",
  // Resources without a physical name of their own.
  "AWS::S3::BucketPolicy": null,
  "Custom::S3AutoDeleteObjects": null,
};

/**
 * Whether a name can repeat from one deploy of the stage to the next: a literal, or built only
 * from the stage's parameters. A name that includes an id CloudFormation generates for this
 * deploy (a Ref or GetAtt of a resource of the stack, or the stack's id) is new every time.
 */
function isFixed(value: unknown, resources: Record<string, unknown>): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every((item) => isFixed(item, resources));
  const { Ref: ref, "Fn::GetAtt": getAtt } = value as { Ref?: unknown; "Fn::GetAtt"?: unknown };
  if (typeof ref === "string") return !(ref in resources || ref === "AWS::StackId");
  if (Array.isArray(getAtt)) return !(String(getAtt[0]) in resources);
  return Object.values(value).every((item) => isFixed(item, resources));
}

/** Retained resources that have a fixed physical name, or of a type this check does not know. */
function retainedNamingProblems(templates: Record<string, CfnTemplate>): string[] {
  const problems: string[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    const resources = template.Resources ?? {};
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.DeletionPolicy !== "Retain" && resource.DeletionPolicy !== "RetainExceptOnCreate")
        continue;
      const property = PHYSICAL_NAME[resource.Type];
      if (property === undefined) {
        problems.push(
          `${stack}/${id} (${resource.Type}) is retained: add its physical-name property to PHYSICAL_NAME`,
        );
        continue;
      }
      const name = property === null ? undefined : resource.Properties?.[property];
      if (name !== undefined && isFixed(name, resources)) {
        problems.push(`${stack}/${id} is retained with a fixed ${property} ${JSON.stringify(name)}`);
      }
    }
  }
  return problems;
}

const synth = await synthesized();
/** The log group the retained stage's API writes its access logs to. */
const accessLogGroup = () => {
  const stage = Object.values(synth.retained.Api.Resources ?? {}).find(
    (resource) => resource.Type === "AWS::ApiGatewayV2::Stage",
  );
  const settings = stage?.Properties?.AccessLogSettings as { DestinationArn?: unknown } | undefined;
  return `Api/${referencedId(settings?.DestinationArn)}`;
};
const retained = (templates: Record<string, CfnTemplate>) =>
  Object.entries(templates).flatMap(([stack, template]) =>
    Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.DeletionPolicy === "Retain")
      .map(([id]) => `${stack}/${id}`),
  );

describe(`the retained stage (${RETAINED_STAGE}, every flow)`, () => {
  it("retains data only (the bucket and log groups): the bucket, each flow's and the API's logs among them", () => {
    const kept = retained(synth.retained);
    const typeOf = (entry: string) => {
      const [stack = "", id = ""] = entry.split("/");
      return synth.retained[stack]?.Resources?.[id]?.Type;
    };
    expect([...new Set(kept.map(typeOf))].sort()).toEqual(["AWS::Logs::LogGroup", "AWS::S3::Bucket"]);
    const machines = Object.values(synth.retained.Flows.Resources ?? {}).filter(
      (resource) => resource.Type === "AWS::StepFunctions::StateMachine",
    );
    expect(machines).toHaveLength(FLOW_IDS.length);
    const flowLogGroups = machines.map((machine) => {
      const logging = machine.Properties?.LoggingConfiguration as {
        Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }>;
      };
      return `Flows/${referencedId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn)}`;
    });
    const bucket = Object.entries(synth.retained.Storage.Resources ?? {}).find(
      ([, resource]) => resource.Type === "AWS::S3::Bucket",
    )?.[0];
    expect(kept).toEqual(expect.arrayContaining([`Storage/${bucket}`, accessLogGroup(), ...flowLogGroups]));
  });

  it("gives nothing it retains a name the next deploy would collide with", () => {
    expect(retainedNamingProblems(synth.retained)).toEqual([]);
  });

  it("rejects a retained log group or bucket with a fixed name (#14 finding 5)", () => {
    const mutated = structuredClone(synth.retained);
    const [groupId, group] =
      Object.entries(mutated.Flows.Resources ?? {}).find(([, r]) => r.Type === "AWS::Logs::LogGroup") ?? [];
    if (!group?.Properties) throw new Error("The retained stage has no flow log group");
    group.Properties.LogGroupName = `/aws/vendedlogs/states/${RETAINED_STAGE}-leadrelay-announce`;
    const [bucketId, bucket] =
      Object.entries(mutated.Storage.Resources ?? {}).find(([, r]) => r.Type === "AWS::S3::Bucket") ?? [];
    if (!bucket?.Properties) throw new Error("The retained stage has no bucket");
    bucket.Properties.BucketName = { "Fn::Join": ["-", [{ Ref: "AWS::StackName" }, "leads"]] };
    expect(retainedNamingProblems(mutated)).toEqual([
      `Storage/${bucketId} is retained with a fixed BucketName {"Fn::Join":["-",[{"Ref":"AWS::StackName"},"leads"]]}`,
      `Flows/${groupId} is retained with a fixed LogGroupName "/aws/vendedlogs/states/${RETAINED_STAGE}-leadrelay-announce"`,
    ]);
  });

  it("accepts a name made unique by an id of this deploy, and names a retained type it does not know", () => {
    // The API's access log group is named after the API's generated id (SST does that).
    const [, id] = accessLogGroup().split("/");
    const name = synth.retained.Api.Resources?.[id ?? ""]?.Properties?.LogGroupName;
    expect(JSON.stringify(name)).toContain('"Ref"');
    expect(retainedNamingProblems({ Api: synth.retained.Api })).toEqual([]);
    const mutated = structuredClone(synth.retained);
    mutated.Storage.Resources = {
      ...mutated.Storage.Resources,
      Archive: { Type: "AWS::Kinesis::Stream", DeletionPolicy: "Retain", Properties: { Name: "archive" } },
    };
    expect(retainedNamingProblems(mutated)).toEqual([
      "Storage/Archive (AWS::Kinesis::Stream) is retained: add its physical-name property to PHYSICAL_NAME",
    ]);
  });
});

describe("the test stage", () => {
  it("retains nothing: `sst remove` leaves no trace", () => {
    expect(retained(synth.test)).toEqual([]);
  });
});

/**
 * Storage needs only the stage and a scope, so a plain CDK stack stands in for SST's here: the
 * bucket's fate for a stage that is neither the test stage nor a retained one.
 */
function storageTemplate(stage: string): Template {
  const stack = new CdkStack(new CdkApp(), `${stage}-leadrelay-Storage`);
  const app = { stage, logicalPrefixedName: (name: string) => `${stage}-leadrelay-${name}` };
  Storage({ app, stack } as unknown as StackContext);
  return Template.fromStack(stack);
}

describe("the bucket's fate when a stage is removed", () => {
  it(`is kept, with its objects, for ${RETAINED_STAGE}`, () => {
    const bucket = Object.values(synth.retained.Storage.Resources ?? {}).find(
      (r) => r.Type === "AWS::S3::Bucket",
    );
    expect(bucket).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    expect(
      Object.values(synth.retained.Storage.Resources ?? {}).filter(
        (r) => r.Type === "Custom::S3AutoDeleteObjects",
      ),
    ).toEqual([]);
  });

  it("is emptied and deleted for any other stage", () => {
    const template = storageTemplate("dev");
    template.hasResource("AWS::S3::Bucket", { DeletionPolicy: "Delete" });
    expect(Object.keys(template.findResources("Custom::S3AutoDeleteObjects"))).toHaveLength(1);
  });
});

describe("what one event left behind in the bucket expires with its history", () => {
  it("expires every per-event prefix after 90 days, never a flow's retained state", async () => {
    const synth = await synthesized();
    const [, bucket] =
      Object.entries(synth.test.Storage.Resources ?? {}).find(([, r]) => r.Type === "AWS::S3::Bucket") ?? [];
    const rules = (
      (bucket?.Properties ?? {}) as { LifecycleConfiguration?: { Rules?: Array<Record<string, unknown>> } }
    ).LifecycleConfiguration?.Rules;
    const expiring = Object.fromEntries(
      (rules ?? [])
        .filter((rule) => rule.Prefix !== undefined)
        .map((rule) => [rule.Prefix as string, rule.ExpirationInDays]),
    );
    for (const prefix of [
      "crm_event_",
      "enriched/crm_event_",
      "notified/",
      "alerts/",
      "flows/triage/",
      "sources/lgm/",
      "sources/meta/",
      "flows/linkedin-replies/replies/",
      "flows/linkedin-replies/notes/",
    ])
      expect(expiring[prefix], prefix).toBe(90);
    // "At most one deal per contact and campaign" holds for as long as the contact exists.
    for (const prefix of Object.keys(expiring)) {
      expect("flows/linkedin-replies/contacts/x.json".startsWith(prefix), prefix).toBe(false);
      expect("flows/linkedin-replies/deals/c/x.json".startsWith(prefix), prefix).toBe(false);
    }
  });
});
