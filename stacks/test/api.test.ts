import { describe, expect, it } from "vitest";
import { FLOWS, sourcesOf } from "../../packages/flows/registry";
import { LAMBDA_TIMEOUT_SECONDS, stateMachineArnVariable } from "../../packages/functions/src/flow-spec";
import { WEBHOOK_THROTTLE } from "../Api";
import { pascal } from "../FlowMachine";
import { bundledClients } from "./bundle-clients";
import { SECRET_SENTINELS, synthesized, TEST_SOURCE_SETTINGS } from "./synth";
import {
  AppTemplates,
  BASIC_EXECUTION_ROLE,
  friendly,
  grants,
  referencedId,
  secretGrants,
  single,
} from "./template-queries";

/** Every source of the flows the test stage synthesizes: one route per route key into its ingest Lambda. */
const synth = await synthesized();
const app = new AppTemplates(synth.test);
const sources = sourcesOf(FLOWS, TEST_SOURCE_SETTINGS);

const BUCKET = `<${friendly(single(app.resources("AWS::S3::Bucket"), "bucket").id)}>`;
const API = single(app.resources("AWS::ApiGatewayV2::Api"), "HTTP API");
const STAGE = single(app.resources("AWS::ApiGatewayV2::Stage"), "API stage").resource.Properties ?? {};

/**
 * A flow's state machine ARN as other stacks build it from its fixed name: no import from Flows
 * (#22 finding 1).
 */
const stateMachineArnOf = (flowId: string) =>
  `arn:aws:states:us-east-1:my-account:stateMachine:test-leadrelay-${flowId}`;

/** A flow's state machine as a rendered Ref (its ARN), as the Flows stack itself names it. */
const stateMachineOf = (flowId: string) =>
  `<${friendly(
    single(
      app
        .resources("AWS::StepFunctions::StateMachine")
        .filter(({ resource }) => resource.Properties?.StateMachineName === `test-leadrelay-${flowId}`),
      `state machine of ${flowId}`,
    ).id,
  )}>`;

/** The ingest Lambda of a source: the one function whose handler is the source's. */
const ingestOf = (handler: string) =>
  single(
    app.resources("AWS::Lambda::Function").filter(({ resource }) => resource.Properties?.Handler === handler),
    `function ${handler}`,
  );

const routes = app.resources("AWS::ApiGatewayV2::Route").map(({ resource }) => {
  const integrationId = /^integrations\/<(\w+)>$/.exec(app.render(resource.Properties?.Target))?.[1];
  const integration = app
    .resources("AWS::ApiGatewayV2::Integration")
    .find(({ id }) => friendly(id) === integrationId)?.resource.Properties;
  return {
    key: String(resource.Properties?.RouteKey),
    authorization: resource.Properties?.AuthorizationType,
    target: app.render(integration?.IntegrationUri),
    type: integration?.IntegrationType,
    payloadFormat: integration?.PayloadFormatVersion,
  };
});

describe("the webhook API", () => {
  it("has exactly the routes of the synthesized sources", () => {
    expect(routes.map((route) => route.key).sort()).toEqual(
      sources.flatMap(({ source }) => source.routes).sort(),
    );
  });

  it("throttles every route at the stage (a flood stops before it costs Lambda invocations)", () => {
    expect(STAGE.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: WEBHOOK_THROTTLE.burstLimit,
      ThrottlingRateLimit: WEBHOOK_THROTTLE.rateLimit,
    });
    expect(WEBHOOK_THROTTLE.rateLimit).toBeGreaterThan(0);
    expect(WEBHOOK_THROTTLE.burstLimit).toBeGreaterThanOrEqual(WEBHOOK_THROTTLE.rateLimit);
  });

  it("answers no CORS preflight: senders call server to server", () => {
    expect(API.resource.Properties?.CorsConfiguration).toBeUndefined();
    expect(routes.filter((route) => route.key.startsWith("OPTIONS "))).toEqual([]);
  });

  it("writes access logs as JSON to a log group kept 90 days, removed with the test stage", () => {
    const settings = STAGE.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const group = app.resource(referencedId(settings.DestinationArn) ?? "");
    expect(group.resource.Type).toBe("AWS::Logs::LogGroup");
    expect(group.resource.Properties?.RetentionInDays).toBe(90);
    expect(group.resource.DeletionPolicy).toBe("Delete");
    const format = JSON.parse(settings.Format.replace(/\$context\.[\w.]+/g, "0")) as Record<string, unknown>;
    expect(Object.keys(format)).toEqual(expect.arrayContaining(["requestId", "routeKey", "status", "ip"]));
    // A route may carry its secret in the path (lgm: /webhook/lgm/{token}): the log keeps the route key only.
    expect(settings.Format).not.toContain("$context.path");
  });

  it("lets API Gateway invoke each ingest Lambda on its own routes only", () => {
    const fromApiGateway = app
      .resources("AWS::Lambda::Permission")
      .filter(({ resource }) => resource.Properties?.Principal === "apigateway.amazonaws.com");
    const permissions = fromApiGateway.map(({ resource }) => ({
      action: resource.Properties?.Action,
      function: app.render(resource.Properties?.FunctionName),
      principal: resource.Properties?.Principal,
      source: app.render(resource.Properties?.SourceArn),
    }));
    const expected = sources.flatMap(({ source }) =>
      source.routes.map((route) => ({
        action: "lambda:InvokeFunction",
        function: `<${friendly(ingestOf(source.handler).id)}.Arn>`,
        principal: "apigateway.amazonaws.com",
        // Any stage and method, the route's path only (as CDK writes it, path parameters included).
        source: `arn:aws:execute-api:us-east-1:my-account:<${friendly(API.id)}>/*/*${route.split(" ")[1]}`,
      })),
    );
    const byText = (a: object, b: object) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(permissions.sort(byText)).toEqual(expected.sort(byText));
  });
});

describe("TRIAGE_SOURCES", () => {
  const retained = new AppTemplates(synth.retained);
  const routeKeys = (templates: AppTemplates) =>
    templates
      .resources("AWS::ApiGatewayV2::Route")
      .map(({ resource }) => String(resource.Properties?.RouteKey));
  const handlers = (templates: AppTemplates) =>
    templates.resources("AWS::Lambda::Function").map(({ resource }) => String(resource.Properties?.Handler));

  it("with hubspot (the test stage): HubSpot's route into its own ingest Lambda, which may start triage only", () => {
    expect(routeKeys(app)).toContain("POST /webhook/hubspot");
    const hubspot = sources.find(({ source }) => source.id === "hubspot");
    expect(hubspot?.flows.map((flow) => flow.id)).toEqual(["triage"]);
    expect(sources.find(({ source }) => source.id === "close")?.flows.map((flow) => flow.id)).toContain(
      "triage",
    );
  });

  it("without it (the default, the retained stage): no HubSpot route, function or secret", () => {
    expect(routeKeys(retained)).toContain("POST /webhook/close");
    expect(routeKeys(retained)).not.toContain("POST /webhook/hubspot");
    expect(handlers(retained).some((handler) => handler.includes("sources/hubspot"))).toBe(false);
    expect(JSON.stringify(synth.retained)).not.toContain("HUBSPOT_CLIENT_SECRET");
  });
});

describe.each(sources)("source $source.id", ({ source, flows }) => {
  const ingest = () => ingestOf(source.handler);

  it("routes each of its route keys into its ingest Lambda", () => {
    for (const key of source.routes) {
      expect(routes.find((route) => route.key === key)).toEqual({
        key,
        // Each source authenticates in its handler (signature, API key, path secret).
        authorization: "NONE",
        target: `<${friendly(ingest().id)}.Arn>`,
        type: "AWS_PROXY",
        payloadFormat: "2.0",
      });
    }
  });

  it("runs with the default Lambda timeout", () => {
    expect(ingest().resource.Properties?.Timeout).toBe(LAMBDA_TIMEOUT_SECONDS);
  });

  it("may only store its raw bodies and start its subscribed flows", () => {
    const { statements, managedPolicies } = app.functionAccess(ingest().id);
    expect(grants(statements)).toEqual(
      [
        // Conditional create (If-None-Match: *) needs nothing beyond s3:PutObject.
        ...source.storage.map((keys) => `s3:PutObject ${BUCKET.replace(/>$/, ".Arn>")}/${keys}`),
        ...flows.map((flow) => `states:StartExecution ${stateMachineArnOf(flow.id)}`),
        ...source.secrets.flatMap((name) => secretGrants(name)),
      ].sort(),
    );
    expect(statements.filter((s) => s.effect !== "Allow")).toEqual([]);
    expect(managedPolicies).toEqual([BASIC_EXECUTION_ROLE]);
  });

  it("knows its flows and their state machines from its environment, and nothing else", () => {
    expect(app.environmentOf(ingest().id)).toEqual({
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
      SST_APP: "leadrelay",
      SST_STAGE: "test",
      SST_SSM_PREFIX: "/sst/leadrelay/test/",
      BUCKET_NAME: BUCKET,
      SOURCE_FLOWS: flows.map((flow) => flow.id).join(","),
      ...Object.fromEntries(
        flows.map((flow) => [stateMachineArnVariable(flow.id), stateMachineArnOf(flow.id)]),
      ),
      ...Object.fromEntries(source.secrets.map((name) => [`SST_Secret_value_${name}`, "__FETCH_FROM_SSM__"])),
    });
  });

  it("loads the S3 and Step Functions clients at cold start, and no other", () => {
    const bundle = synth.bundles[`Api/${ingest().id}`];
    if (!bundle) throw new Error(`No bundle for ${ingest().id}`);
    // SSMClient resolves bound secrets (sst/node/config): bundled, loaded only when the first one is read.
    expect(bundledClients(bundle, source.handler)).toEqual({
      coldStart: ["S3Client", "SFNClient"],
      bundled: ["S3Client", "SFNClient", ...(source.secrets.length > 0 ? ["SSMClient"] : [])],
    });
  });

  it("publishes its webhook URL as an output", () => {
    const outputs = synth.test.Api.Outputs ?? {};
    const route = source.routes[0] ?? "";
    expect(app.render(outputs[`WebhookUrl${pascal(source.id)}`]?.Value)).toBe(
      `<${friendly(API.id)}.ApiEndpoint>${route.split(" ")[1]}`,
    );
  });
});

describe("outputs", () => {
  const all = Object.values(synth.test).flatMap((template) =>
    Object.entries(template.Outputs ?? {}).filter(([name]) => name !== "SSTMetadata"),
  );

  it("name each flow's state machine and its executions' console URLs, and the bucket", () => {
    const flowsOutputs = synth.test.Flows.Outputs ?? {};
    for (const flow of FLOWS) {
      expect(app.render(flowsOutputs[`StateMachineArn${pascal(flow.id)}`]?.Value)).toBe(
        stateMachineOf(flow.id),
      );
      expect(app.render(flowsOutputs[`ExecutionConsoleUrlTemplate${pascal(flow.id)}`]?.Value)).toBe(
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/" +
          `arn:aws:states:us-east-1:my-account:execution:test-leadrelay-${flow.id}:{name}`,
      );
    }
    expect(app.render(flowsOutputs.BucketName?.Value)).toBe(BUCKET);
  });

  it("keep the names the console and the CLI read since before there were flows", () => {
    const flowsOutputs = synth.test.Flows.Outputs ?? {};
    const apiOutputs = synth.test.Api.Outputs ?? {};
    expect(app.render(flowsOutputs.StateMachineArn?.Value)).toBe(stateMachineOf("announce"));
    expect(app.render(flowsOutputs.ExecutionConsoleUrlTemplate?.Value)).toMatch(
      /:execution:test-leadrelay-announce:\{leadId\}$/,
    );
    expect(app.render(apiOutputs.WebhookUrl?.Value)).toBe(`<${friendly(API.id)}.ApiEndpoint>/webhook/close`);
  });

  it("never publish a secret or a token", () => {
    expect(all.map(([name]) => name).filter((name) => /secret|token|password|api.?key/i.test(name))).toEqual(
      [],
    );
    const values = all.map(([, output]) => app.render(output.Value));
    for (const [name, sentinel] of Object.entries(SECRET_SENTINELS)) {
      expect(
        values.filter((value) => value.includes(sentinel)),
        name,
      ).toEqual([]);
    }
    // Only CDK's own cross-stack references are exported (ARNs and names, never a value from the shell).
    const exported = all.filter(([, output]) => output.Export !== undefined).map(([name]) => name);
    expect(exported.filter((name) => !name.startsWith("ExportsOutput"))).toEqual([]);
  });
});
