import { aws_iam as iam } from "aws-cdk-lib";
import { Api as HttpApi, Function as SstFunction, type StackContext, use } from "sst/constructs";
import { sourcesOf } from "../packages/flows/registry";
import { stateMachineArnVariable } from "../packages/functions/src/flow-spec";
import { objectAccess } from "./bucket-grants";
import { pascal } from "./FlowMachine";
import { Flows } from "./Flows";
import { functionLogGroup } from "./log-retention";
import { acceptFunctionFindings, acceptWebhookRouteFindings } from "./nag";
import { Storage } from "./Storage";
import { secretOf } from "./secrets";
import { removalPolicyFor } from "./stage-policy";

/** Requests per second the public webhook routes take before API Gateway answers 429 (senders retry). */
export const WEBHOOK_THROTTLE = { burstLimit: 200, rateLimit: 100 };

/**
 * SST's default access log fields without `path`: the lgm route carries its secret in the path
 * (`/webhook/lgm/{token}`), so the log keeps the route key (the template) instead.
 */
export const ACCESS_LOG_FORMAT = `{${[
  '"requestTime":"$context.requestTime"',
  '"requestId":"$context.requestId"',
  '"httpMethod":"$context.httpMethod"',
  '"routeKey":"$context.routeKey"',
  '"status":$context.status',
  '"responseLatency":$context.responseLatency',
  '"integrationRequestId":"$context.integration.requestId"',
  '"integrationStatus":"$context.integration.status"',
  '"integrationLatency":"$context.integration.latency"',
  '"integrationServiceStatus":"$context.integration.integrationStatus"',
  '"ip":"$context.identity.sourceIp"',
  '"userAgent":"$context.identity.userAgent"',
].join(",")}}`;

/** The webhooks: one HTTP API, a route per source endpoint into that source's ingest Lambda. */
export function Api({ app, stack }: StackContext) {
  const { bucket } = use(Storage);
  // Each flow by its fixed names, never an import from Flows (#22 finding 1).
  const machines = Object.fromEntries(
    Object.entries(use(Flows).machines).map(([id, machine]) => [id, machine.viewFrom(stack)]),
  );
  const flows = Object.values(machines).map((machine) => machine.flow);

  const routes: Record<string, SstFunction> = {};
  const ingests: Record<string, SstFunction> = {};
  for (const { source, flows: subscribed } of sourcesOf(flows, process.env)) {
    const stateMachines = subscribed
      .map((flow) => machines[flow.id]?.stateMachine)
      .filter((sm) => sm !== undefined);
    const ingestId = `Ingest${pascal(source.id)}`;
    const ingest = new SstFunction(stack, ingestId, {
      handler: source.handler,
      logGroup: functionLogGroup(stack, ingestId, app.stage),
      environment: {
        BUCKET_NAME: bucket.bucketName,
        SOURCE_FLOWS: subscribed.map((flow) => flow.id).join(","),
        ...Object.fromEntries(
          (source.settings ?? []).flatMap((name) => {
            const value = process.env[name]?.trim();
            return value ? [[name, value]] : [];
          }),
        ),
        ...Object.fromEntries(
          subscribed.map((flow) => [
            stateMachineArnVariable(flow.id),
            machines[flow.id]?.stateMachine.stateMachineArn ?? "",
          ]),
        ),
      },
      bind: source.secrets.map((name) => secretOf(stack, name)),
      permissions: [
        // Conditional create (If-None-Match: *) needs nothing beyond s3:PutObject.
        ...source.storage.map((keys) => objectAccess(bucket, ["s3:PutObject"], keys)),
        new iam.PolicyStatement({
          actions: ["states:StartExecution"],
          resources: stateMachines.map((sm) => sm.stateMachineArn),
        }),
      ],
    });
    acceptFunctionFindings(ingest);
    ingests[source.id] = ingest;
    for (const route of source.routes) routes[route] = ingest;
  }

  // Senders call server to server: no CORS.
  const api = new HttpApi(stack, "Webhook", {
    cors: false,
    accessLog: { retention: "three_months", format: ACCESS_LOG_FORMAT },
    routes,
  });
  api.cdk.accessLogGroup?.applyRemovalPolicy(removalPolicyFor(app.stage));
  acceptWebhookRouteFindings(api);
  // A flood of forged requests stops at API Gateway before it costs Lambda invocations.
  const stage = api.cdk.httpApi.defaultStage?.node.defaultChild as
    | { defaultRouteSettings?: unknown; addPropertyOverride(path: string, value: unknown): void }
    | undefined;
  stage?.addPropertyOverride("DefaultRouteSettings", {
    ThrottlingBurstLimit: WEBHOOK_THROTTLE.burstLimit,
    ThrottlingRateLimit: WEBHOOK_THROTTLE.rateLimit,
  });

  const outputs: Record<string, string> = {};
  for (const { source } of sourcesOf(flows, process.env)) {
    const path = (source.routes[0] ?? "").split(" ")[1] ?? "";
    outputs[`WebhookUrl${pascal(source.id)}`] = `${api.url}${path}`;
  }
  if (outputs.WebhookUrlClose) outputs.WebhookUrl = outputs.WebhookUrlClose;
  stack.addOutputs(outputs);
  return { api, ingests };
}
