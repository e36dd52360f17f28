import type { Stack } from "aws-cdk-lib";
import { NagSuppressions } from "cdk-nag";
import type { IConstruct } from "constructs";

/**
 * The cdk-nag AwsSolutions findings this app accepts, each with its reason, applied next to the
 * construct it concerns (stacks/test/cdk-nag.test.ts runs the pack on every stage and fails on any
 * finding left; stack-wide suppressions are refused there).
 */

const BASIC_EXECUTION_ROLE =
  "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
/** `Resource::<Leads….Arn>/<key pattern>`: an object-key pattern of the stage's bucket. */
const BUCKET_KEY_PATTERN = { regex: "/^Resource::<Leads[0-9A-F]{8}\\.Arn>\\/.+$/g" };

const LAMBDA_FINDINGS = [
  {
    id: "AwsSolutions-IAM4",
    reason:
      "AWSLambdaBasicExecutionRole is AWS's managed policy for a function's own CloudWatch Logs writes (logs:CreateLogGroup, CreateLogStream, PutLogEvents) and nothing else; SST attaches it to every function.",
    appliesTo: [BASIC_EXECUTION_ROLE],
  },
  {
    id: "AwsSolutions-L1",
    reason:
      "nodejs22.x on purpose: the project and all its tests run on Node 22 (TOOLCHAIN.md, the node devDependency); a newer Lambda runtime would run code no test ran. Move both together.",
  },
];

/**
 * A function of ours (a flow's task, an ingest, the failure alert): the managed log-writing
 * policy, the Node 22 runtime, and `*` in its object grants, which only spans the varying part of
 * a key (one lead, one execution) under its own prefix of the stage's bucket (stacks/bucket-grants.ts).
 */
export function acceptFunctionFindings(fn: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    fn,
    [
      ...LAMBDA_FINDINGS,
      {
        id: "AwsSolutions-IAM5",
        reason:
          "Object grants name one key pattern of the stage's bucket each; '*' stands for the lead or execution id in the key, never for a prefix of another flow (flows.test.ts checks the patterns apart).",
        appliesTo: [BUCKET_KEY_PATTERN],
      },
    ],
    true,
  );
}

/** A flow's state machine: what it logs, that it is not traced, and the log-delivery actions on '*'. */
export function acceptStateMachineFindings(stateMachine: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    stateMachine,
    [
      {
        id: "AwsSolutions-SF1",
        reason:
          "Logs ERROR (failed states and executions) without execution data on purpose: the execution history already holds every event and its data for 90 days; ALL would copy lead data into CloudWatch Logs.",
      },
      {
        id: "AwsSolutions-SF2",
        reason:
          "No X-Ray by decision, like the functions (flows.test.ts): the execution history shows each step with its timing, and tracing would need xray:Put* on '*'.",
      },
      {
        id: "AwsSolutions-IAM5",
        reason:
          "CloudWatch Logs' vended log delivery actions (logs:CreateLogDelivery and the others) support no resource-level permission: AWS documents them on Resource '*' (Step Functions developer guide, IAM policies for logging to CloudWatch Logs).",
        appliesTo: ["Resource::*"],
      },
    ],
    true,
  );
}

/** The stage's bucket: no server access logs. */
export function acceptBucketFindings(bucket: IConstruct): void {
  NagSuppressions.addResourceSuppressions(bucket, [
    {
      id: "AwsSolutions-S1",
      reason:
        "No server access logs: only this app's own roles can reach the bucket (TLS only, public access blocked, bucket-owner enforced), each on its key patterns; access logs would need a second bucket per stage for requests CloudTrail data events can record instead.",
    },
  ]);
}

/** The webhook routes: no API Gateway authorizer. */
export function acceptWebhookRouteFindings(api: IConstruct): void {
  NagSuppressions.addResourceSuppressions(
    api,
    [
      {
        id: "AwsSolutions-APIG4",
        reason:
          "Webhooks called by vendors (Close, HubSpot, Meta, La Growth Machine) that cannot sign with IAM or carry a JWT: each ingest Lambda checks the vendor's own signature or secret and answers 401/404 otherwise.",
      },
    ],
    true,
  );
}

/**
 * What SST creates in every stack by itself, suppressed by path: its `CustomResourceHandler` Lambda
 * (stack metadata and secrets binding), built by SST with the managed log policy and Node 22.
 */
export function acceptPlatformFindings(stack: Stack): void {
  const handler = stack.node.tryFindChild("CustomResourceHandler");
  if (!handler) return;
  NagSuppressions.addResourceSuppressionsByPath(
    stack,
    `/${handler.node.path}`,
    [
      {
        id: "AwsSolutions-IAM4",
        reason:
          "SST's own CustomResourceHandler (sst/constructs Stack): AWS's managed AWSLambdaBasicExecutionRole, log writes only; SST builds it, not this app.",
        appliesTo: [BASIC_EXECUTION_ROLE],
      },
      {
        id: "AwsSolutions-L1",
        reason:
          "SST's own CustomResourceHandler runs on the runtime SST 2.49.8 sets (nodejs22.x); it is not this app's code to move.",
      },
    ],
    true,
  );
}
