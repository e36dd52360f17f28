import { aws_iam as iam } from "aws-cdk-lib";
import { Config, Api as HttpApi, Function as SstFunction, type StackContext, use } from "sst/constructs";
import { KEY_PATTERNS, objectAccess } from "./bucket-grants";
import { Pipeline } from "./Pipeline";
import { Storage } from "./Storage";
import { removalPolicyFor } from "./stage-policy";

export const WEBHOOK_ROUTE = "POST /webhook/close";

/** The Close webhook: one HTTP API route into the ingest Lambda. */
export function Api({ app, stack }: StackContext) {
  const { bucket } = use(Storage);
  const { stateMachine } = use(Pipeline);
  const closeWebhookSecret = new Config.Secret(stack, "CLOSE_WEBHOOK_SECRET");

  const ingest = new SstFunction(stack, "Ingest", {
    handler: "packages/functions/src/ingest.handler",
    environment: { BUCKET_NAME: bucket.bucketName, STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    bind: [closeWebhookSecret],
    permissions: [
      // Conditional create (If-None-Match: *) needs nothing beyond s3:PutObject.
      objectAccess(bucket, ["s3:PutObject"], KEY_PATTERNS.raw),
      new iam.PolicyStatement({
        actions: ["states:StartExecution"],
        resources: [stateMachine.stateMachineArn],
      }),
    ],
  });

  // Close calls server to server: no CORS.
  const api = new HttpApi(stack, "Webhook", {
    cors: false,
    accessLog: { retention: "three_months" },
    routes: { [WEBHOOK_ROUTE]: ingest },
  });
  api.cdk.accessLogGroup?.applyRemovalPolicy(removalPolicyFor(app.stage));

  stack.addOutputs({ WebhookUrl: `${api.url}/webhook/close` });
  return { api, ingest };
}
