import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FailureNames, KnownErrorNames } from "../../packages/core/src/errors";
import { enrichedKey, notifiedKey, rawEventKey, unassignedNoticeKey } from "../../packages/core/src/lead-id";
import {
  type AslDefinition,
  definitionWithWait,
  type SubstitutionName,
  TASK_FUNCTIONS,
} from "../../packages/functions/src/state-machine";
import { WEBHOOK_ROUTE } from "../Api";
import { KEY_PATTERNS } from "../bucket-grants";
import { TASK_TIMEOUT_SECONDS } from "../function-defaults";
import {
  catchProblems,
  holdProblems,
  mainPath,
  nominalRetrySeconds,
  retrierFor,
  retryProblems,
  unknownErrorNames,
} from "./asl-checks";
import { SECRET_SENTINELS, type Synthesized, synthesize, TEST_OWNER_URL } from "./synth";
import { AppTemplates, grants } from "./template-queries";

const FAILURES: ReadonlySet<string> = new Set(Object.values(FailureNames));
const BUCKET = "<Leads.Arn>";
const STATE_MACHINE = "<LeadPipeline>";
const BASIC_EXECUTION_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
const secretParameters = (name: string) => [
  `ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/.fallback/Secret/${name}/value`,
  `ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/test/Secret/${name}/value`,
];
/**
 * The one statement allowed on Resource "*": Step Functions logging to CloudWatch Logs. These
 * CloudWatch Logs vended-log-delivery actions do not support resource-level permissions, so AWS
 * documents them with Resource "*" ("IAM policies for logging to CloudWatch Logs", Step Functions
 * developer guide). Only the state machine's role holds it.
 */
const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeLogGroups",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
];

let synth: Synthesized;
let app: AppTemplates;
let machine: Record<string, unknown>;
let deployed: AslDefinition;

beforeAll(async () => {
  synth = await synthesize();
  console.info(`synthesized leadrelay (3 stacks, 5 functions bundled) in ${Math.round(synth.ms)} ms`);
  app = new AppTemplates(synth.templates);
  const machines = app.resources("AWS::StepFunctions::StateMachine");
  if (machines.length !== 1 || !machines[0])
    throw new Error(`Expected one state machine, found ${machines.length}`);
  machine = machines[0].resource.Properties ?? {};
  deployed = JSON.parse(app.render(machine.DefinitionString)) as AslDefinition;
});

const fn = (module: string) => app.functionByModule(module);
const roleOf = (module: string) => {
  const role = fn(module).properties.Role as { "Fn::GetAtt": [string, string] };
  return app.roleAccess(role["Fn::GetAtt"][0]);
};
const envOf = (module: string) =>
  (fn(module).properties.Environment as { Variables: Record<string, unknown> }).Variables;
const arnOf = (module: string) => `<${fn(module).id.replace(/[0-9A-F]{8}$/, "")}.Arn>`;

describe("state machine: the one ASL file", () => {
  it("is a Standard state machine named after the stage", () => {
    expect(machine.StateMachineType).toBe("STANDARD");
    expect(machine.StateMachineName).toBe("test-leadrelay-lead-pipeline");
  });

  it("deploys exactly the definition the local runtime runs, holding leads 600 s", () => {
    expect(deployed).toEqual(definitionWithWait(600));
    expect(deployed.States.HoldForOwner?.Seconds).toBe(600);
    expect(holdProblems(deployed, 600)).toEqual([]);
  });

  it("runs HoldForOwner → FetchRaw → FetchOwner → MergeAndStore → NotifySlack → Done", () => {
    expect(mainPath(deployed)).toEqual([
      "HoldForOwner",
      "FetchRaw",
      "FetchOwner",
      "MergeAndStore",
      "NotifySlack",
      "Done",
    ]);
    expect(deployed.States.Done?.Type).toBe("Succeed");
  });

  it("calls each task's own Lambda through DefinitionSubstitutions", () => {
    const substitutions = machine.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(Object.keys(TASK_FUNCTIONS).sort());
    const taskTargets = Object.entries(deployed.States)
      .filter(([, state]) => state.Type === "Task")
      .map(([name, state]) => {
        const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Resource))?.[1] as SubstitutionName;
        return [name, app.render(substitutions[placeholder])];
      });
    expect(Object.fromEntries(taskTargets)).toEqual({
      FetchRaw: arnOf("fetch-raw"),
      FetchOwner: arnOf("fetch-owner"),
      MergeAndStore: arnOf("merge-and-store"),
      NotifySlack: arnOf("notify-slack"),
      ReportUnassigned: arnOf("notify-slack"),
    });
  });

  it("lets each Lambda time out before its Task does", () => {
    for (const [name, state] of Object.entries(deployed.States).filter(([, s]) => s.Type === "Task")) {
      expect(state.TimeoutSeconds, name).toBeGreaterThan(TASK_TIMEOUT_SECONDS);
    }
    for (const { resource } of app.resources("AWS::Lambda::Function")) {
      if (String(resource.Properties?.Handler).startsWith("packages/")) {
        expect(resource.Properties?.Timeout).toBe(TASK_TIMEOUT_SECONDS);
      }
    }
  });

  it("waits for an owner with backoff and full jitter for ≥ 4 h nominal (≥ 2 h expected)", () => {
    const owner = retrierFor(deployed, "FetchOwner", "OwnerNotAssigned");
    expect(owner?.BackoffRate).toBeGreaterThan(1);
    expect(owner?.JitterStrategy).toBe("FULL");
    expect(owner && nominalRetrySeconds(owner)).toBeGreaterThanOrEqual(4 * 3600);
    expect(owner && nominalRetrySeconds(owner) / 2).toBeGreaterThanOrEqual(2 * 3600);
  });

  it("retries an unavailable owner lookup, Slack rate limits and Slack outages", () => {
    expect(retryProblems(deployed)).toEqual([]);
  });

  it("uses only error names leadrelay defines or Step Functions / Lambda built-ins", () => {
    expect(unknownErrorNames(deployed, KnownErrorNames)).toEqual([]);
  });

  it("ends every caught error in a Fail state with a FailureNames error and a cause", () => {
    expect(catchProblems(deployed, FAILURES)).toEqual([]);
    const fails = Object.values(deployed.States).filter((state) => state.Type === "Fail");
    expect(fails.map((state) => state.Error).filter((name) => !FAILURES.has(String(name)))).toEqual([]);
  });

  it("logs failed states, without execution data, to its own log group", () => {
    expect(machine.LoggingConfiguration).toEqual({
      Destinations: [
        {
          CloudWatchLogsLogGroup: {
            LogGroupArn: { "Fn::GetAtt": [expect.stringMatching(/^LeadPipelineLogs/), "Arn"] },
          },
        },
      ],
      IncludeExecutionData: false,
      Level: "ERROR",
    });
    const groups = app
      .resources("AWS::Logs::LogGroup")
      .map(({ resource }) => resource.Properties?.LogGroupName);
    expect(groups).toContain("/aws/vendedlogs/states/test-leadrelay-lead-pipeline");
  });
});

describe("the checks reject a broken definition", () => {
  const copy = () => structuredClone(definitionWithWait(600));

  it("accepts the file as it is", () => {
    const definition = copy();
    expect([
      ...holdProblems(definition, 600),
      ...retryProblems(definition),
      ...unknownErrorNames(definition, KnownErrorNames),
      ...catchProblems(definition, FAILURES),
    ]).toEqual([]);
  });

  it("rejects a 60 s hold", () => {
    const definition = copy();
    if (definition.States.HoldForOwner) definition.States.HoldForOwner.Seconds = 60;
    expect(definition).not.toEqual(definitionWithWait(600));
    expect(holdProblems(definition, 600)).toEqual(["HoldForOwner waits 60 s, not 600 s"]);
  });

  const retryMutations: Array<[string, (d: AslDefinition) => void, string]> = [
    [
      "the OwnerNotAssigned Retry removed",
      (d) => {
        const state = d.States.FetchOwner;
        if (state) state.Retry = state.Retry?.filter((r) => !r.ErrorEquals.includes("OwnerNotAssigned"));
      },
      "FetchOwner does not retry OwnerNotAssigned",
    ],
    [
      "the owner wait cut to 5 attempts",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) retrier.MaxAttempts = 5;
      },
      "under 4 h",
    ],
    [
      "no backoff for the owner",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) retrier.BackoffRate = 1;
      },
      "do not back off",
    ],
    [
      "no jitter for the owner",
      (d) => {
        const retrier = retrierFor(d, "FetchOwner", "OwnerNotAssigned");
        if (retrier) delete retrier.JitterStrategy;
      },
      "no FULL jitter",
    ],
    [
      "OwnerLookupUnavailable no longer retried",
      (d) => {
        for (const retrier of d.States.FetchOwner?.Retry ?? []) {
          retrier.ErrorEquals = retrier.ErrorEquals.filter((name) => name !== "OwnerLookupUnavailable");
        }
      },
      "FetchOwner does not retry OwnerLookupUnavailable",
    ],
    [
      "the SlackRateLimited Retry removed",
      (d) => {
        const state = d.States.NotifySlack;
        if (state) state.Retry = state.Retry?.filter((r) => !r.ErrorEquals.includes("SlackRateLimited"));
      },
      "NotifySlack does not retry SlackRateLimited",
    ],
    [
      "SlackUnavailable no longer retried",
      (d) => {
        for (const retrier of d.States.NotifySlack?.Retry ?? []) {
          retrier.ErrorEquals = retrier.ErrorEquals.filter((name) => name !== "SlackUnavailable");
        }
      },
      "NotifySlack does not retry SlackUnavailable",
    ],
  ];
  it.each(retryMutations)("rejects %s", (_, mutate, problem) => {
    const definition = copy();
    mutate(definition);
    expect(retryProblems(definition).join("\n")).toContain(problem);
  });

  it("rejects an error name core does not define", () => {
    const definition = copy();
    const retrier = retrierFor(definition, "FetchOwner", "OwnerNotAssigned");
    if (retrier) retrier.ErrorEquals = ["OwnerNotAsigned"];
    expect(unknownErrorNames(definition, KnownErrorNames)).toEqual(["OwnerNotAsigned"]);
  });

  it("rejects a Catch that ends in success or in an unnamed failure", () => {
    const definition = copy();
    const fetchOwner = definition.States.FetchOwner;
    const catcher = fetchOwner?.Catch?.find((c) => c.ErrorEquals.includes("OwnerLookupUnavailable"));
    if (catcher) catcher.Next = "Done";
    definition.States.PipelineFailed = { Type: "Fail", Error: "Oops", CausePath: "$.error.Cause" };
    const problems = catchProblems(definition, FAILURES).join("\n");
    expect(problems).toContain(
      "FetchOwner Catch [OwnerLookupUnavailable, States.Timeout] → Done is a Succeed",
    );
    expect(problems).toContain("→ PipelineFailed fails with Oops");
  });

  it("rejects a reordered pipeline", () => {
    const definition = copy();
    if (definition.States.FetchRaw) definition.States.FetchRaw.Next = "MergeAndStore";
    expect(mainPath(definition)).not.toEqual(mainPath(definitionWithWait(600)));
  });
});

describe("IAM: least privilege", () => {
  it("allows no whole service, no action '*', and Resource '*' only for Step Functions log delivery", () => {
    const statements = app.allStatements().filter((statement) => statement.effect === "Allow");
    const wildcards = statements.filter((s) =>
      s.actions.some((action) => action === "*" || /^[\w-]+:\*$/.test(action)),
    );
    expect(wildcards).toEqual([]);
    const anyResource = statements.filter((s) => s.resources.includes("*"));
    expect(anyResource.map((s) => ({ source: s.source, actions: [...s.actions].sort() }))).toEqual([
      {
        source: expect.stringMatching(/^pipeline\/LeadPipelineRoleDefaultPolicy/),
        actions: LOG_DELIVERY_ACTIONS,
      },
    ]);
  });

  const expected: Record<string, string[]> = {
    "fetch-raw": [`s3:GetObject ${BUCKET}/crm_event_*.json`, `s3:ListBucket ${BUCKET}`],
    "fetch-owner": [],
    "merge-and-store": [
      `s3:GetObject ${BUCKET}/crm_event_*.json`,
      `s3:ListBucket ${BUCKET}`,
      `s3:PutObject ${BUCKET}/enriched/crm_event_*.json`,
    ],
    "notify-slack": [
      `s3:DeleteObject ${BUCKET}/notified/*.json`,
      `s3:GetObject ${BUCKET}/notified/*.json`,
      `s3:ListBucket ${BUCKET}`,
      `s3:PutObject ${BUCKET}/notified/*.json`,
      ...secretParameters("SLACK_WEBHOOK_URL"),
    ],
    ingest: [
      `s3:PutObject ${BUCKET}/crm_event_*.json`,
      ...secretParameters("CLOSE_WEBHOOK_SECRET"),
      `states:StartExecution ${STATE_MACHINE}`,
    ],
  };
  it.each(Object.entries(expected))("%s gets exactly its grants", (module, grantsExpected) => {
    const { statements, managedPolicies } = roleOf(module);
    expect(grants(statements)).toEqual([...grantsExpected].sort());
    expect(statements.filter((s) => s.effect !== "Allow")).toEqual([]);
    // CloudWatch Logs for the function itself (AWS managed: logs:CreateLogGroup/CreateLogStream/PutLogEvents).
    expect(managedPolicies).toEqual([BASIC_EXECUTION_ROLE]);
  });

  it("lets the state machine invoke its four Lambdas and nothing else", () => {
    const role = (machine.RoleArn as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const { statements, managedPolicies } = app.roleAccess(role);
    expect(managedPolicies).toEqual([]);
    const invokes = grants(statements).filter((grant) => !grant.startsWith("logs:"));
    expect(invokes).toEqual(
      ["fetch-raw", "fetch-owner", "merge-and-store", "notify-slack"]
        .map((m) => `lambda:InvokeFunction ${arnOf(m)}`)
        .sort(),
    );
    expect(grants(statements).filter((grant) => grant.startsWith("logs:"))).toEqual(
      LOG_DELIVERY_ACTIONS.map((action) => `${action} *`),
    );
  });

  it("scopes object grants to the keys the handlers use", () => {
    // IAM's `*` also matches "/": a pattern is only as tight as its fixed parts.
    const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map(literal).join(".*")}$`);
    const lead = "lead_abc123";
    expect(KEY_PATTERNS).toEqual({
      raw: "crm_event_*.json",
      enriched: "enriched/crm_event_*.json",
      notified: "notified/*.json",
    });
    expect(glob(KEY_PATTERNS.raw).test(rawEventKey(lead))).toBe(true);
    expect(glob(KEY_PATTERNS.raw).test(enrichedKey(lead))).toBe(false);
    expect(glob(KEY_PATTERNS.enriched).test(enrichedKey(lead))).toBe(true);
    expect(glob(KEY_PATTERNS.notified).test(notifiedKey(lead))).toBe(true);
    expect(glob(KEY_PATTERNS.notified).test(unassignedNoticeKey(lead))).toBe(true);
    expect(glob(KEY_PATTERNS.notified).test(rawEventKey(lead))).toBe(false);
  });
});

describe("storage", () => {
  it("keeps one private, encrypted, versioned, TLS-only bucket, destroyed with the test stage", () => {
    const buckets = app.resources("AWS::S3::Bucket");
    expect(buckets).toHaveLength(1);
    const bucket = buckets[0]?.resource;
    expect(bucket?.DeletionPolicy).toBe("Delete");
    expect(bucket?.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: "Enabled" },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    });
    const denies = app.allStatements().filter((s) => s.effect === "Deny");
    expect(denies).toEqual([
      expect.objectContaining({ actions: ["s3:*"], resources: [BUCKET, `${BUCKET}/*`] }),
    ]);
    const policy = app.resources("AWS::S3::BucketPolicy")[0]?.resource.Properties?.PolicyDocument as {
      Statement: Array<{ Effect: string; Condition?: unknown }>;
    };
    expect(policy.Statement.find((s) => s.Effect === "Deny")?.Condition).toEqual({
      Bool: { "aws:SecureTransport": "false" },
    });
  });
});

describe("webhook API", () => {
  it("has exactly one route, POST /webhook/close, into the ingest Lambda", () => {
    const routes = app.resources("AWS::ApiGatewayV2::Route");
    expect(routes.map(({ resource }) => resource.Properties?.RouteKey)).toEqual([WEBHOOK_ROUTE]);
    expect(WEBHOOK_ROUTE).toBe("POST /webhook/close");
    const integrationId = /^integrations\/<(\w+)>$/.exec(
      app.render(routes[0]?.resource.Properties?.Target),
    )?.[1];
    const integration = app
      .resources("AWS::ApiGatewayV2::Integration")
      .find(({ id }) => id.replace(/[0-9A-F]{8}$/, "") === integrationId);
    expect(app.render(integration?.resource.Properties?.IntegrationUri)).toBe(arnOf("ingest"));
    expect(integration?.resource.Properties?.IntegrationType).toBe("AWS_PROXY");
  });

  it("lets API Gateway invoke ingest on that route only, without CORS", () => {
    const permissions = app.resources("AWS::Lambda::Permission").map(({ resource }) => ({
      action: resource.Properties?.Action,
      function: app.render(resource.Properties?.FunctionName),
      principal: resource.Properties?.Principal,
      source: app.render(resource.Properties?.SourceArn),
    }));
    expect(permissions).toEqual([
      {
        action: "lambda:InvokeFunction",
        function: arnOf("ingest"),
        principal: "apigateway.amazonaws.com",
        source: "arn:aws:execute-api:us-east-1:my-account:<WebhookApi>/*/*/webhook/close",
      },
    ]);
    const [api] = app.resources("AWS::ApiGatewayV2::Api");
    expect(api?.resource.Properties?.CorsConfiguration).toBeUndefined();
  });

  it("keeps access logs 90 days, removed with the test stage", () => {
    const accessLogs = app.resources("AWS::Logs::LogGroup").filter(({ stack }) => stack === "api");
    expect(
      accessLogs.map(({ resource }) => [resource.Properties?.RetentionInDays, resource.DeletionPolicy]),
    ).toEqual([[90, "Delete"]]);
  });
});

describe("functions", () => {
  it("all run nodejs22.x; the app's five on arm64 with 256 MB", () => {
    const lambdas = app.resources("AWS::Lambda::Function");
    expect(
      lambdas.map(({ resource }) => resource.Properties?.Runtime).filter((r) => r !== "nodejs22.x"),
    ).toEqual([]);
    const ours = lambdas.filter(({ resource }) =>
      String(resource.Properties?.Handler).startsWith("packages/"),
    );
    expect(ours.map(({ resource }) => resource.Properties?.Handler).sort()).toEqual(
      ["fetch-owner", "fetch-raw", "ingest", "merge-and-store", "notify-slack"].map(
        (m) => `packages/functions/src/${m}.handler`,
      ),
    );
    for (const { resource } of ours) {
      expect(resource.Properties).toMatchObject({ Architectures: ["arm64"], MemorySize: 256 });
      expect(resource.Properties?.TracingConfig).toBeUndefined();
    }
  });

  it("get the environment their handler reads", () => {
    const sst = {
      AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
      SST_APP: "leadrelay",
      SST_STAGE: "test",
      SST_SSM_PREFIX: "/sst/leadrelay/test/",
    };
    const rendered = (module: string) =>
      Object.fromEntries(Object.entries(envOf(module)).map(([name, value]) => [name, app.render(value)]));
    expect(rendered("ingest")).toEqual({
      ...sst,
      BUCKET_NAME: "<Leads>",
      STATE_MACHINE_ARN: STATE_MACHINE,
      SST_Secret_value_CLOSE_WEBHOOK_SECRET: "__FETCH_FROM_SSM__",
    });
    expect(rendered("fetch-raw")).toEqual({ ...sst, BUCKET_NAME: "<Leads>" });
    expect(rendered("fetch-owner")).toEqual({ ...sst, OWNER_BASE_URL: TEST_OWNER_URL });
    expect(rendered("merge-and-store")).toEqual({ ...sst, BUCKET_NAME: "<Leads>" });
    expect(rendered("notify-slack")).toEqual({
      ...sst,
      BUCKET_NAME: "<Leads>",
      NOTIFY_UNASSIGNED: "true",
      SST_Secret_value_SLACK_WEBHOOK_URL: "__FETCH_FROM_SSM__",
    });
  });

  it("never carry a secret in the template, even when it is in the deploying shell", () => {
    const everything = JSON.stringify(Object.values(synth.templates).map((t) => t.toJSON()));
    for (const [name, value] of Object.entries(SECRET_SENTINELS)) {
      expect(everything.includes(value), `${name} leaked into a template`).toBe(false);
    }
    for (const { resource } of app.resources("AWS::Lambda::Function")) {
      const variables =
        (resource.Properties?.Environment as { Variables?: object } | undefined)?.Variables ?? {};
      expect(Object.keys(variables)).not.toContain("CLOSE_WEBHOOK_SECRET");
      expect(Object.keys(variables)).not.toContain("SLACK_WEBHOOK_URL");
    }
  });

  it("load at cold start only the AWS clients their handler uses", () => {
    const CLIENTS = ["S3Client", "SFNClient", "SSMClient"];
    const clients = (module: string, id: string) => {
      const dir = path.join(synth.bundles[id] ?? "", "packages/functions/src");
      const read = (file: string) => readFileSync(path.join(dir, file), "utf8");
      const found = (code: string) => CLIENTS.filter((name) => new RegExp(`\\b${name}\\b`).test(code));
      const coldStart = new Set<string>();
      const visit = (file: string) => {
        if (coldStart.has(file)) return;
        coldStart.add(file);
        // Static imports only: an `import("./chunk")` loads when it runs, not at cold start.
        for (const match of read(file).matchAll(/\bfrom\s*"\.\/([^"]+)"|\bimport\s*"\.\/([^"]+)"/g)) {
          visit(match[1] ?? match[2] ?? "");
        }
      };
      visit(`${module}.mjs`);
      const all = readdirSync(dir).filter((file) => file.endsWith(".mjs"));
      return {
        coldStart: found([...coldStart].map(read).join("\n")),
        bundled: found(all.map(read).join("\n")),
      };
    };
    // sst/node/config (the SSM client that resolves bound secrets) is bundled but only loaded when a secret is bound.
    expect(clients("fetch-owner", "FetchOwner")).toEqual({ coldStart: [], bundled: ["SSMClient"] });
    expect(clients("fetch-raw", "FetchRaw")).toEqual({
      coldStart: ["S3Client"],
      bundled: ["S3Client", "SSMClient"],
    });
    expect(clients("merge-and-store", "MergeAndStore")).toEqual({
      coldStart: ["S3Client"],
      bundled: ["S3Client", "SSMClient"],
    });
    expect(clients("notify-slack", "NotifySlack")).toEqual({
      coldStart: ["S3Client"],
      bundled: ["S3Client", "SSMClient"],
    });
    expect(clients("ingest", "Ingest")).toEqual({
      coldStart: ["S3Client", "SFNClient"],
      bundled: ["S3Client", "SFNClient", "SSMClient"],
    });
  });
});

describe("outputs", () => {
  it("name the state machine, the bucket, the console and the webhook URL", () => {
    const pipeline = synth.templates.pipeline.toJSON().Outputs as Record<string, { Value: unknown }>;
    const api = synth.templates.api.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(app.render(pipeline.StateMachineArn?.Value)).toBe(STATE_MACHINE);
    expect(app.render(pipeline.BucketName?.Value)).toBe("<Leads>");
    expect(app.render(pipeline.ExecutionConsoleUrlTemplate?.Value)).toBe(
      "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/" +
        "arn:aws:states:us-east-1:my-account:execution:test-leadrelay-lead-pipeline:{leadId}",
    );
    expect(app.render(api.WebhookUrl?.Value)).toBe("<WebhookApi.ApiEndpoint>/webhook/close");
  });
});
