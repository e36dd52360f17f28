import { describe, expect, it } from "vitest";
import { alertMarkerKey } from "../../packages/core/src/failure-alert";
import { FLOW_IDS, FLOWS } from "../../packages/flows/registry";
import { NOTIFY_FAILURE_HANDLER } from "../../packages/functions/src/alerts/alert-function";
import { ALERT_MARKERS } from "../failure-alerts";
import { patternMatches } from "./iam-patterns";
import { SECRET_SENTINELS, synthesized } from "./synth";
import {
  AppTemplates,
  type CfnResource,
  type CfnTemplate,
  friendly,
  grants,
  referencedId,
} from "./template-queries";

/**
 * The Operations stack of the test stage (every flow of the registry): the failure-alert rule and
 * Lambda, the alarms of every state machine, the stage's dashboard. Checked per flow of the
 * registry, so a flow added later is covered without touching this file.
 */

const synth = await synthesized();

/** The Operations stack's template of a stage (synth.ts returns every stack sst.config.ts creates). */
function operationsTemplate(stage: "test" | "retained"): CfnTemplate {
  const template = (synth[stage] as unknown as Record<string, CfnTemplate | undefined>).Operations;
  if (!template) throw new Error(`The ${stage} stage has no Operations stack: is it in sst.config.ts?`);
  return template;
}

const operations = operationsTemplate("test");
const app = new AppTemplates(synth.test);
const inOperations = (type: string) => app.resources(type).filter(({ stack }) => stack === "Operations");
const single = <T>(items: T[], what: string): T => {
  if (items.length !== 1 || items[0] === undefined)
    throw new Error(`Expected one ${what}, found ${items.length}`);
  return items[0];
};

const machines = app.resources("AWS::StepFunctions::StateMachine").map(({ id, resource }) => {
  const name = String(resource.Properties?.StateMachineName);
  const flow = FLOWS.find((candidate) => `test-leadrelay-${candidate.id}` === name);
  if (!flow) throw new Error(`State machine ${name} is no flow of the registry`);
  // Built from the fixed name in the Operations stack, never imported from Flows (#22 finding 1).
  return { id, flow, arn: `arn:aws:states:us-east-1:my-account:stateMachine:${name}` };
});
const BUCKET_ARN = `<${friendly(single(app.resources("AWS::S3::Bucket"), "bucket").id)}.Arn>`;
const rule = single(inOperations("AWS::Events::Rule"), "EventBridge rule");
const target = single(
  (rule.resource.Properties?.Targets as Array<Record<string, unknown>>) ?? [],
  "rule target",
);
const alertFunction = referencedId(target.Arn) ?? "";
const queue = single(inOperations("AWS::SQS::Queue"), "dead-letter queue");
const topic = single(inOperations("AWS::SNS::Topic"), "alarm topic");
const alarms = inOperations("AWS::CloudWatch::Alarm").map(({ resource }) => resource.Properties ?? {});

describe("the failure alerts on AWS", () => {
  it("one EventBridge rule: Step Functions' FAILED, TIMED_OUT and ABORTED ends of exactly the stage's state machines", () => {
    expect(machines.map(({ flow }) => flow.id).sort()).toEqual([...FLOW_IDS].sort());
    const pattern = rule.resource.Properties?.EventPattern as {
      source: string[];
      "detail-type": string[];
      detail: { status: string[]; stateMachineArn: unknown[] };
    };
    expect(pattern.source).toEqual(["aws.states"]);
    expect(pattern["detail-type"]).toEqual(["Step Functions Execution Status Change"]);
    expect([...pattern.detail.status].sort()).toEqual(["ABORTED", "FAILED", "TIMED_OUT"]);
    expect(pattern.detail.stateMachineArn.map((arn) => app.render(arn)).sort()).toEqual(
      machines.map(({ arn }) => arn).sort(),
    );
    expect(rule.resource.Properties?.State).toBe("ENABLED");
    // The stage's own status changes come on the default bus.
    expect(rule.resource.Properties?.EventBusName).toBeUndefined();
  });

  it("targets the alert Lambda, retrying delivery for hours, then into a dead-letter queue", () => {
    expect(app.resource(alertFunction).resource.Properties?.Handler).toBe(NOTIFY_FAILURE_HANDLER);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 12 * 3600 });
    expect(referencedId((target.DeadLetterConfig as { Arn: unknown }).Arn)).toBe(queue.id);
    // The Lambda's own retries of a failed invocation end in the same queue.
    const lambdaDeadLetters = app.resource(alertFunction).resource.Properties?.DeadLetterConfig as
      | { TargetArn?: unknown }
      | undefined;
    expect(referencedId(lambdaDeadLetters?.TargetArn)).toBe(queue.id);
    const invokeConfig = single(inOperations("AWS::Lambda::EventInvokeConfig"), "async invoke config");
    expect(invokeConfig.resource.Properties?.MaximumRetryAttempts).toBe(2);
    // Undelivered alerts are no data to keep: the queue goes with the stage, prod included.
    expect(queue.resource.DeletionPolicy).toBe("Delete");
    const retained = Object.values(operationsTemplate("retained").Resources ?? {}).filter(
      (resource) => resource.Type === "AWS::SQS::Queue",
    );
    expect(retained.map((resource) => resource.DeletionPolicy)).toEqual(["Delete"]);
    expect(queue.resource.Properties).toMatchObject({
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
  });

  it("lets only this rule invoke the Lambda, and only EventBridge (for this rule) write to the queue", () => {
    const permissions = inOperations("AWS::Lambda::Permission").filter(
      ({ resource }) => referencedId(resource.Properties?.FunctionName) === alertFunction,
    );
    expect(permissions.map(({ resource }) => resource.Properties)).toEqual([
      expect.objectContaining({
        Action: "lambda:InvokeFunction",
        Principal: "events.amazonaws.com",
        SourceArn: { "Fn::GetAtt": [rule.id, "Arn"] },
      }),
    ]);
    const policy = single(inOperations("AWS::SQS::QueuePolicy"), "queue policy").resource.Properties
      ?.PolicyDocument as { Statement: Array<Record<string, unknown>> };
    expect(policy.Statement.filter((statement) => statement.Effect === "Allow")).toEqual([
      expect.objectContaining({
        Action: "sqs:SendMessage",
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [rule.id, "Arn"] } } },
      }),
    ]);
  });

  it("gives the Lambda least privilege: its markers, its queue, the Slack secret; no email without ALERT_EMAIL_TO", () => {
    const { statements, managedPolicies } = app.functionAccess(alertFunction);
    expect(grants(statements)).toEqual(
      [
        `s3:DeleteObject ${BUCKET_ARN}/alerts/*.json`,
        `s3:GetObject ${BUCKET_ARN}/alerts/*.json`,
        `s3:PutObject ${BUCKET_ARN}/alerts/*.json`,
        `sqs:SendMessage <${friendly(queue.id)}.Arn>`,
        "ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/.fallback/Secret/SLACK_WEBHOOK_URL/value",
        "ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/test/Secret/SLACK_WEBHOOK_URL/value",
      ].sort(),
    );
    expect(statements.filter((statement) => statement.effect !== "Allow")).toEqual([]);
    expect(managedPolicies).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
    for (const executionArn of ["arn:aws:states:us-east-1:1:execution:test-leadrelay-announce:lead_X"]) {
      for (const redrive of [0, 3]) {
        for (const channel of ["slack", "email"] as const) {
          expect(patternMatches(ALERT_MARKERS, alertMarkerKey(executionArn, redrive, channel))).toBe(true);
        }
      }
    }
  });

  it("tells the Lambda which state machine is which flow, and nothing secret", () => {
    const environment = app.environmentOf(alertFunction);
    expect(environment.ALERT_FLOWS?.split(",").sort()).toEqual(
      machines.map(({ flow, arn }) => `${flow.id}=${arn}`).sort(),
    );
    expect(environment.BUCKET_NAME).toMatch(/^<Leads/);
    expect(environment.SST_Secret_value_SLACK_WEBHOOK_URL).toBe("__FETCH_FROM_SSM__");
    expect(Object.keys(environment).filter((name) => /EMAIL/.test(name))).toEqual([]);
    const everything = JSON.stringify(operations);
    for (const [name, value] of Object.entries(SECRET_SENTINELS)) {
      expect(everything.includes(value), `${name} leaked into the Operations template`).toBe(false);
    }
  });

  it("allows no wildcard action and no Resource '*'", () => {
    const statements = app.allStatements().filter(({ source }) => source.startsWith("Operations/"));
    expect(statements.length).toBeGreaterThan(0);
    expect(
      statements.filter((s) => s.actions.some((action) => action === "*" || action.endsWith(":*"))),
    ).toEqual([]);
    expect(statements.filter((s) => s.resources.includes("*"))).toEqual([]);
  });
});

describe("the alarms on AWS", () => {
  const alarmsOf = (metric: string) =>
    alarms.filter((alarm) => alarm.MetricName === metric && alarm.Namespace === "AWS/States");

  // ExecutionsTimedOut and ExecutionsAborted: #22 finding 8. ExecutionThrottled counts throttled
  // state transitions (named so; #22 finding 2), not refused StartExecution calls.
  it.each([
    ["ExecutionsFailed", "executions-failed"],
    ["ExecutionsTimedOut", "executions-timed-out"],
    ["ExecutionsAborted", "executions-aborted"],
    ["ExecutionThrottled", "transitions-throttled"],
  ])(
    "one %s alarm per state machine (…-%s): ≥ 1 in 5 minutes, into the stage's alarm topic",
    (metric, suffix) => {
      const found = alarmsOf(metric);
      expect(
        found.map((alarm) => app.render((alarm.Dimensions as Array<{ Value: unknown }>)[0]?.Value)).sort(),
      ).toEqual(machines.map(({ arn }) => arn).sort());
      for (const alarm of found) {
        expect(alarm).toMatchObject({
          Statistic: "Sum",
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
          TreatMissingData: "notBreaching",
          Dimensions: [{ Name: "StateMachineArn" }],
        });
        expect((alarm.AlarmActions as unknown[]).map((action) => referencedId(action))).toEqual([topic.id]);
        expect(machines.map(({ flow }) => `test-leadrelay-${flow.id}-${suffix}`)).toContain(
          String(alarm.AlarmName),
        );
      }
    },
  );

  it("one alarm on StartExecution refused for rate: ThrottledEvents with APIName=StartExecution (#22 finding 2)", () => {
    const found = alarms.filter((alarm) => alarm.MetricName === "ThrottledEvents");
    expect(found).toEqual([
      expect.objectContaining({
        AlarmName: "test-leadrelay-start-execution-throttled",
        Namespace: "AWS/States",
        Dimensions: [{ Name: "APIName", Value: "StartExecution" }],
        Statistic: "Sum",
        Period: 300,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        TreatMissingData: "notBreaching",
      }),
    ]);
    expect(((found[0]?.AlarmActions ?? []) as unknown[]).map((action) => referencedId(action))).toEqual([
      topic.id,
    ]);
    // Its description says what it counts: StartExecution, not state transitions.
    expect(String(found[0]?.AlarmDescription)).toMatch(/StartExecution/);
    for (const alarm of alarms.filter((candidate) => candidate.MetricName === "ExecutionThrottled")) {
      expect(String(alarm.AlarmDescription)).not.toMatch(/StartExecution/);
    }
  });

  it("one alarm on the webhook API's 5xx answers (#22 finding 2)", () => {
    const api = single(app.resources("AWS::ApiGatewayV2::Api"), "HTTP API").id;
    const found = alarms.filter((alarm) => alarm.Namespace === "AWS/ApiGateway");
    expect(found).toEqual([
      expect.objectContaining({
        AlarmName: "test-leadrelay-webhook-5xx",
        MetricName: "5xx",
        Statistic: "Sum",
        Period: 300,
        Threshold: 1,
        TreatMissingData: "notBreaching",
      }),
    ]);
    const dimensions = (found[0]?.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>;
    expect(dimensions.map(({ Name }) => Name)).toEqual(["ApiId"]);
    // The API's id, imported from Api (never removed with a flow).
    expect(app.render(dimensions[0]?.Value)).toBe(`<${friendly(api)}>`);
    expect(((found[0]?.AlarmActions ?? []) as unknown[]).map((action) => referencedId(action))).toEqual([
      topic.id,
    ]);
  });

  it("one alarm on undelivered failure alerts (the dead-letter queue)", () => {
    // The budget queues' alarms are vendor-budgets.test.ts's; this is the one on the alerts' queue.
    const [alarm, ...others] = alarms.filter(
      (candidate) =>
        candidate.Namespace === "AWS/SQS" &&
        referencedId(((candidate.Dimensions ?? []) as Array<{ Value: unknown }>)[0]?.Value) === queue.id,
    );
    expect(others).toEqual([]);
    expect(alarm).toMatchObject({ MetricName: "ApproximateNumberOfMessagesVisible", Threshold: 1 });
    const dimensions = (alarm?.Dimensions ?? []) as Array<{ Value: unknown }>;
    expect(referencedId(dimensions[0]?.Value)).toBe(queue.id);
  });

  it("has no email subscription without ALERT_EMAIL_TO", () => {
    expect(inOperations("AWS::SNS::Subscription")).toEqual([]);
  });
});

describe("the stage's dashboard", () => {
  const dashboard: CfnResource = single(inOperations("AWS::CloudWatch::Dashboard"), "dashboard").resource;
  const body = JSON.parse(app.render(dashboard.Properties?.DashboardBody)) as {
    widgets: Array<{
      type: string;
      properties: { title?: string; metrics?: unknown[][]; alarms?: unknown[] };
    }>;
  };
  const graph = (title: string) => {
    const widget = body.widgets.find((candidate) => candidate.properties.title === title);
    if (!widget)
      throw new Error(`No widget "${title}" in ${body.widgets.map((w) => w.properties.title).join(", ")}`);
    return JSON.stringify(widget.properties.metrics);
  };

  it("is one per stage", () => {
    expect(dashboard.Properties?.DashboardName).toBe("test-leadrelay-operations");
  });

  it.each(FLOW_IDS)("shows %s's executions started, succeeded, failed, timed out and aborted", (flowId) => {
    const metrics = graph(`${flowId}: executions`);
    const arn = machines.find(({ flow }) => flow.id === flowId)?.arn ?? "?";
    for (const metric of [
      "ExecutionsStarted",
      "ExecutionsSucceeded",
      "ExecutionsFailed",
      "ExecutionsTimedOut",
      "ExecutionsAborted",
    ]) {
      expect(metrics).toContain(`"AWS/States","${metric}","StateMachineArn","${arn}"`);
    }
  });

  it("shows the webhook API's 4xx, 5xx and latency", () => {
    const api = `<${friendly(single(app.resources("AWS::ApiGatewayV2::Api"), "HTTP API").id)}>`;
    const answers = graph("Webhook API: answers");
    for (const metric of ["Count", "4xx", "5xx"])
      expect(answers).toContain(`"AWS/ApiGateway","${metric}","ApiId","${api}"`);
    expect(graph("Webhook API: latency (ms)")).toContain(`"AWS/ApiGateway","Latency","ApiId","${api}"`);
  });

  it("shows the alert Lambda's errors and throttles, the account's sums, and every alarm", () => {
    // A flow's task Lambdas live in Flows and the ingest Lambdas in Api: naming them here would import
    // their names, and a source that goes with a flow would block its removal (#22 finding 1).
    const lambdas = app
      .resources("AWS::Lambda::Function")
      .filter(({ stack }) => stack === "Operations")
      .filter(({ resource }) => String(resource.Properties?.Handler).startsWith("packages/"));
    expect(lambdas.length).toBe(1);
    for (const [title, metric] of [
      ["Lambda errors", "Errors"],
      ["Lambda throttles", "Throttles"],
    ] as const) {
      const metrics = graph(title);
      for (const { id } of lambdas)
        expect(metrics).toContain(`"AWS/Lambda","${metric}","FunctionName","<${friendly(id)}>"`);
      // Every function of the account and region: the flows' task Lambdas among them.
      expect(metrics).toContain(`"AWS/Lambda","${metric}",{"label":"every function`);
    }
    const listed = body.widgets.find((widget) => widget.type === "alarm")?.properties.alarms ?? [];
    expect(listed).toHaveLength(alarms.length);
  });
});
