import { ArnFormat, aws_iam as iam, aws_logs as logs, aws_stepfunctions as sfn } from "aws-cdk-lib";
import { Config, type FunctionProps, Function as SstFunction, type StackContext, use } from "sst/constructs";
import { type SubstitutionName, TASK_FUNCTIONS } from "../packages/functions/src/state-machine";
import { existenceChecks, KEY_PATTERNS, objectAccess } from "./bucket-grants";
import { readDeploySettings } from "./deploy-settings";
import { leadPipelineDefinition } from "./lead-pipeline-definition";
import { Storage } from "./Storage";
import { removalPolicyFor } from "./stage-policy";

/** The four task Lambdas and the Standard state machine built from the one ASL file. */
export function Pipeline({ app, stack }: StackContext) {
  const { bucket } = use(Storage);
  const settings = readDeploySettings(app.stage, app.mode, process.env);
  const slackWebhookUrl = new Config.Secret(stack, "SLACK_WEBHOOK_URL");
  const bucketName = { BUCKET_NAME: bucket.bucketName };

  // Keyed by the ASL's ARN placeholders, so a placeholder without a Lambda does not compile.
  const tasks: Record<SubstitutionName, { id: string; props: Omit<FunctionProps, "handler"> }> = {
    FetchRawFunctionArn: {
      id: "FetchRaw",
      props: {
        environment: bucketName,
        permissions: [objectAccess(bucket, ["s3:GetObject"], KEY_PATTERNS.raw), existenceChecks(bucket)],
      },
    },
    FetchOwnerFunctionArn: {
      id: "FetchOwner",
      props: { environment: { OWNER_BASE_URL: settings.ownerBaseUrl } },
    },
    MergeAndStoreFunctionArn: {
      id: "MergeAndStore",
      props: {
        environment: bucketName,
        permissions: [
          objectAccess(bucket, ["s3:GetObject"], KEY_PATTERNS.raw),
          objectAccess(bucket, ["s3:PutObject"], KEY_PATTERNS.enriched),
          existenceChecks(bucket),
        ],
      },
    },
    NotifySlackFunctionArn: {
      id: "NotifySlack",
      props: {
        environment: { ...bucketName, NOTIFY_UNASSIGNED: String(settings.notifyUnassigned) },
        bind: [slackWebhookUrl],
        permissions: [
          objectAccess(bucket, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], KEY_PATTERNS.notified),
          existenceChecks(bucket),
        ],
      },
    },
  };

  const functions = Object.fromEntries(
    Object.entries(tasks).map(([placeholder, { id, props }]) => [
      placeholder,
      new SstFunction(stack, id, {
        handler: `packages/functions/src/${TASK_FUNCTIONS[placeholder as SubstitutionName]}.handler`,
        ...props,
      }),
    ]),
  ) as Record<SubstitutionName, SstFunction>;

  const stateMachineName = app.logicalPrefixedName("lead-pipeline");
  const logGroup = new logs.LogGroup(stack, "LeadPipelineLogs", {
    // The vendedlogs prefix keeps CloudWatch's resource policy for Step Functions small.
    logGroupName: `/aws/vendedlogs/states/${stateMachineName}`,
    retention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: removalPolicyFor(app.stage),
  });

  const stateMachine = new sfn.StateMachine(stack, "LeadPipeline", {
    stateMachineName,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromString(
      JSON.stringify(leadPipelineDefinition(settings.waitSeconds)),
    ),
    definitionSubstitutions: Object.fromEntries(
      Object.entries(functions).map(([placeholder, fn]) => [placeholder, fn.functionArn]),
    ),
    // Failed states and executions only, without their data: the execution history already holds the data.
    logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
  });
  stateMachine.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["lambda:InvokeFunction"],
      resources: Object.values(functions).map((fn) => fn.functionArn),
    }),
  );

  const consoleBase = `https://${stack.region}.console.aws.amazon.com/states/home?region=${stack.region}#/v2`;
  const executionArn = stack.formatArn({
    service: "states",
    resource: "execution",
    resourceName: `${stateMachineName}:{leadId}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  stack.addOutputs({
    StateMachineArn: stateMachine.stateMachineArn,
    BucketName: bucket.bucketName,
    StateMachineConsoleUrl: `${consoleBase}/statemachines/view/${stateMachine.stateMachineArn}`,
    ExecutionConsoleUrlTemplate: `${consoleBase}/executions/details/${executionArn}`,
  });

  return { stateMachine, functions };
}
