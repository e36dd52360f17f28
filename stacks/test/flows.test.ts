import { describe, expect, it } from "vitest";
import { KnownErrorNames } from "../../packages/core/src/errors";
import { rawEventKey } from "../../packages/core/src/lead-id";
import { FLOW_IDS, FLOWS } from "../../packages/flows/registry";
import {
  configuredDefinition,
  type FlowSpec,
  LAMBDA_TIMEOUT_SECONDS,
  type TaskSpec,
  TRANSIENT_TASK_ERRORS,
} from "../../packages/functions/src/flow-spec";
import { type AslDefinition, allStates, taskPlaceholders } from "../../packages/functions/src/state-machine";
import { taskActions } from "../../packages/functions/src/task-actions";
import { logRetentionDays } from "../log-retention";
import { TEST_STAGE } from "../stage-policy";
import { catchProblems, retryGaps, timeoutProblems, unknownErrorNames } from "./asl-checks";
import { type AwsClientName, bundledClients } from "./bundle-clients";
import { patternMatches, patternsOverlap } from "./iam-patterns";
import { SECRET_SENTINELS, synthesized, TEST_EMAIL_FROM } from "./synth";
import {
  AppTemplates,
  BASIC_EXECUTION_ROLE,
  friendly,
  grants,
  referencedId,
  secretGrants,
  single,
} from "./template-queries";

/**
 * Every flow the test stage synthesizes (all of packages/flows/registry.ts), checked the same way:
 * a flow added later is covered without touching this file.
 */
const synth = await synthesized();
const app = new AppTemplates(synth.test);
const machines = app.resources("AWS::StepFunctions::StateMachine").map(({ id, resource }) => {
  const name = String(resource.Properties?.StateMachineName);
  const flow = FLOWS.find((candidate) => `test-leadrelay-${candidate.id}` === name);
  if (!flow) throw new Error(`State machine ${name} is no flow of the registry`);
  return { id, flow, properties: resource.Properties ?? {} };
});

const BUCKET = `<${friendly(single(app.resources("AWS::S3::Bucket"), "bucket").id)}>`;
const BUCKET_ARN = BUCKET.replace(/>$/, ".Arn>");
const BUS = `<${friendly(single(app.resources("AWS::Events::EventBus"), "event bus").id)}>`;
const BUS_ARN = BUS.replace(/>$/, ".Arn>");
/** The sender's own SES identities: the address and its domain, nothing else (#22 finding 7). */
const SES_SENDER_IDENTITIES = [TEST_EMAIL_FROM, TEST_EMAIL_FROM.split("@")[1]].map(
  (identity) => `arn:aws:ses:us-east-1:my-account:identity/${identity}`,
);
/** What SST adds to every function's environment. */
const SST_ENVIRONMENT = {
  AWS_NODEJS_CONNECTION_REUSE_ENABLED: "1",
  SST_APP: "leadrelay",
  SST_STAGE: "test",
  SST_SSM_PREFIX: "/sst/leadrelay/test/",
};
/**
 * The secrets a task's function binds on the test stage: all it may use. A real deploy binds an
 * optional one only when the stage has it set (stacks/Flows.ts), which is less, never more.
 */
const boundSecrets = (task: TaskSpec) => [...(task.secrets ?? []), ...(task.optionalSecrets ?? [])];
/**
 * The one statement allowed on Resource "*": Step Functions logging to CloudWatch Logs. These
 * CloudWatch Logs vended-log-delivery actions do not support resource-level permissions, so AWS
 * documents them with Resource "*" ("IAM policies for logging to CloudWatch Logs", Step Functions
 * developer guide). Only state machine roles hold it.
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

/**
 * Flows whose ASL does not yet retry every TRANSIENT_TASK_ERRORS name: their test is expected to
 * fail (and fails loudly once fixed, so that the entry goes). Empty since a9ece69 fixed #14 finding 2
 * (announce's Tasks retried neither TimeoutError, Sandbox.Timedout, Lambda.Unknown nor
 * Lambda.ClientExecutionTimeoutException; ReportUnassigned no Lambda service error at all).
 */
const KNOWN_RETRY_GAPS: ReadonlySet<string> = new Set<string>([]);

/**
 * Objects that tasks of different flows may both touch, read-only: a source's raw body, which its
 * ingest writes once and every flow it starts reads. Today: Close's raw `lead.created`
 * (`crm_event_*.json`, the key announce has always read; triage reads it too).
 */
const SHARED_READ_ONLY: ReadonlyMap<string, string> = new Map([
  [rawEventKey("*"), "the raw Close lead.created, read by every flow the Close source starts"],
]);

/** Pairs of object grants of different flows that could reach the same object, unless shared read-only. */
function crossFlowOverlaps(flows: readonly FlowSpec[]): string[] {
  const grantsOf = (flow: FlowSpec) =>
    Object.values(flow.tasks).flatMap((task) =>
      (task.storage ?? []).map((grant) => ({ flow: flow.id, task: task.id, ...grant })),
    );
  const problems: string[] = [];
  for (const [index, a] of flows.entries()) {
    for (const b of flows.slice(index + 1)) {
      for (const x of grantsOf(a)) {
        for (const y of grantsOf(b)) {
          if (!patternsOverlap(x.keys, y.keys)) continue;
          const readOnly = [x, y].every((grant) =>
            grant.actions.every((action) => action === "s3:GetObject"),
          );
          if (readOnly && x.keys === y.keys && SHARED_READ_ONLY.has(x.keys)) continue;
          problems.push(
            `${x.flow}/${x.task} (${x.actions.join(" ")} ${x.keys}) and ${y.flow}/${y.task} (${y.actions.join(" ")} ${y.keys}) can touch the same objects`,
          );
        }
      }
    }
  }
  return problems;
}

/** Each placeholder's Lambda: the function resource DefinitionSubstitutions points at. */
function taskFunctions(properties: Record<string, unknown>): Record<string, string> {
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(substitutions)
      // A budgeted Task's queue (vendor-budgets.test.ts checks those).
      .filter(([placeholder]) => !placeholder.endsWith("BudgetQueue"))
      .map(([placeholder, value]) => {
        const id = referencedId(value);
        if (!id || (value as { "Fn::GetAtt"?: unknown })["Fn::GetAtt"] === undefined) {
          throw new Error(`${placeholder} is not a function ARN of this app: ${JSON.stringify(value)}`);
        }
        return [placeholder, id];
      }),
  );
}

describe("the test stage", () => {
  it("deploys every flow of the registry, each as one state machine", () => {
    expect(machines.map(({ flow }) => flow.id).sort()).toEqual([...FLOW_IDS].sort());
  });

  it("allows no action '*' and Resource '*' only for Step Functions log delivery", () => {
    const statements = app.allStatements().filter((statement) => statement.effect === "Allow");
    const wildcards = statements.filter((s) =>
      s.actions.some((action) => action === "*" || /^[\w-]+:\*$/.test(action)),
    );
    expect(wildcards).toEqual([]);
    const anyResource = statements.filter((s) => s.resources.includes("*"));
    expect(anyResource.map((s) => [...s.actions].sort())).toEqual(machines.map(() => LOG_DELIVERY_ACTIONS));
    // Each of them in the policy of a state machine's role.
    const stateMachinePolicies = machines.flatMap(({ properties }) =>
      app.roleAccess(referencedId(properties.RoleArn) ?? "").statements.map((s) => s.source),
    );
    expect(
      anyResource.filter((s) => !stateMachinePolicies.includes(s.source.split("/").at(-1) ?? "")),
    ).toEqual([]);
  });

  it("keeps the objects of different flows apart (shared read-only: only a source's raw bodies)", () => {
    expect(crossFlowOverlaps(FLOWS)).toEqual([]);
  });

  it("never carries a secret from the deploying shell in a template", () => {
    expect(Object.keys(SECRET_SENTINELS)).toEqual(
      expect.arrayContaining(["CLOSE_WEBHOOK_SECRET", "SLACK_WEBHOOK_URL"]),
    );
    const everything = JSON.stringify([synth.test, synth.retained]);
    for (const [name, value] of Object.entries(SECRET_SENTINELS)) {
      expect(everything.includes(value), `${name} leaked into a template`).toBe(false);
    }
    for (const { id } of app.resources("AWS::Lambda::Function")) {
      const names = Object.keys(app.environmentOf(id));
      expect(names.filter((name) => name in SECRET_SENTINELS)).toEqual([]);
    }
  });

  it("runs every function of the app on nodejs22.x; the flows' and sources' on arm64, 256 MB, untraced", () => {
    const lambdas = app.resources("AWS::Lambda::Function");
    expect(lambdas.filter(({ resource }) => resource.Properties?.Runtime !== "nodejs22.x")).toEqual([]);
    const ours = lambdas.filter(({ resource }) =>
      String(resource.Properties?.Handler).startsWith("packages/"),
    );
    expect(ours.length).toBeGreaterThanOrEqual(
      FLOWS.reduce((sum, flow) => sum + Object.keys(flow.tasks).length, 0) +
        new Set(FLOWS.map((flow) => flow.source.id)).size,
    );
    for (const { resource } of ours) {
      expect(resource.Properties).toMatchObject({ Architectures: ["arm64"], MemorySize: 256 });
      expect(resource.Properties?.TracingConfig).toBeUndefined();
    }
  });
});

describe("the stage's storage", () => {
  it("is one private, encrypted, versioned, TLS-only bucket, destroyed with the test stage", () => {
    const bucket = single(app.resources("AWS::S3::Bucket"), "bucket").resource;
    expect(bucket.DeletionPolicy).toBe("Delete");
    expect(bucket.Properties).toMatchObject({
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
      expect.objectContaining({ actions: ["s3:*"], resources: [BUCKET_ARN, `${BUCKET_ARN}/*`] }),
    ]);
    const policy = single(app.resources("AWS::S3::BucketPolicy"), "bucket policy").resource.Properties
      ?.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: unknown }> };
    expect(policy.Statement.find((s) => s.Effect === "Deny")?.Condition).toEqual({
      Bool: { "aws:SecureTransport": "false" },
    });
  });
});

describe.each(machines)("flow $flow.id", ({ id: machineId, flow, properties }) => {
  const deployed = JSON.parse(app.render(properties.DefinitionString)) as AslDefinition;
  const functions = taskFunctions(properties);
  const settings = synth.settings[flow.id] ?? {};
  /** Each Task state's Lambda timeout, as its TaskSpec sets it. */
  const placeholders = taskPlaceholders(deployed, Object.keys(flow.tasks));
  const lambdaSeconds = (state: string) =>
    flow.tasks[placeholders[state] ?? ""]?.timeoutSeconds ?? LAMBDA_TIMEOUT_SECONDS;

  it("is a Standard state machine named after the stage and the flow", () => {
    expect(properties.StateMachineType).toBe("STANDARD");
    expect(properties.StateMachineName).toBe(`test-leadrelay-${flow.id}`);
  });

  it("deploys exactly the definition the local runtime runs with the same settings", () => {
    expect(deployed).toEqual(configuredDefinition(flow, settings));
  });

  it("calls each task placeholder's own Lambda, whose handler is the task's", () => {
    // Every Task names a placeholder of the flow (taskPlaceholders checks it). A placeholder idle
    // with these settings (announce's email Lambda without ANNOUNCE_EMAIL_TO) has no Lambda at all.
    expect(Object.keys(functions).sort()).toEqual([...new Set(Object.values(placeholders))].sort());
    expect(new Set(Object.values(functions)).size).toBe(Object.keys(functions).length);
    expect(Object.values(placeholders).length).toBeGreaterThan(0);
    for (const [placeholder, functionId] of Object.entries(functions)) {
      const { resource } = app.resource(functionId);
      expect(resource.Type, placeholder).toBe("AWS::Lambda::Function");
      expect(resource.Properties?.Handler, placeholder).toBe(flow.tasks[placeholder]?.handler);
    }
  });

  it("lets the state machine invoke exactly its Lambdas", () => {
    const role = referencedId(properties.RoleArn);
    if (!role) throw new Error(`${machineId} has no role of this app`);
    const { statements, managedPolicies } = app.roleAccess(role);
    expect(managedPolicies).toEqual([]);
    expect(grants(statements).filter((grant) => grant.startsWith("lambda:"))).toEqual(
      Object.values(functions)
        .map((fn) => `lambda:InvokeFunction <${friendly(fn)}.Arn>`)
        .sort(),
    );
    // And sends to its budgeted Tasks' queues only.
    const queues = Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>)
      .filter(([placeholder]) => placeholder.endsWith("BudgetQueue"))
      .map(([, value]) => `sqs:SendMessage <${friendly(referencedId(value) ?? "")}.Arn>`);
    expect(
      grants(statements).filter((grant) => !grant.startsWith("logs:") && !grant.startsWith("lambda:")),
    ).toEqual(queues.sort());
    expect(grants(statements).filter((grant) => grant.startsWith("logs:"))).toEqual(
      LOG_DELIVERY_ACTIONS.map((action) => `${action} *`),
    );
    expect(statements.filter((s) => s.effect !== "Allow")).toEqual([]);
  });

  it("gives every Task (nested ones too) a TimeoutSeconds above its Lambda's timeout", () => {
    const problems = timeoutProblems(deployed, lambdaSeconds);
    expect(problems).toEqual([]);
    expect(allStates(deployed).some(({ state }) => state.Type === "Task")).toBe(true);
  });

  // See KNOWN_RETRY_GAPS (#14 finding 2): a flow listed there is expected to fail this.
  (KNOWN_RETRY_GAPS.has(flow.id) ? it.fails : it)(
    "retries every transient task error in every Task (nested ones too)",
    () => {
      const problems = retryGaps(deployed, TRANSIENT_TASK_ERRORS);
      if (problems.length > 0) console.info(`${flow.id}: ${problems.join("; ")}`);
      expect(problems).toEqual([]);
    },
  );

  it("names only errors that core, the flow, Step Functions or Lambda define", () => {
    const known = new Set([...KnownErrorNames, ...flow.errorNames, ...TRANSIENT_TASK_ERRORS]);
    expect(unknownErrorNames(deployed, known)).toEqual([]);
  });

  it("waits at least each rate-limit retrier's interval (no full jitter below a vendor's reset)", () => {
    const jittered = allStates(deployed).flatMap(({ name, state }) =>
      (state.Retry ?? [])
        .filter((retrier) => retrier.ErrorEquals.some((error) => /RateLimited$/.test(error)))
        .filter((retrier) => retrier.JitterStrategy === "FULL")
        .map(() => name),
    );
    expect(jittered).toEqual([]);
  });

  it("ends every caught error in a Fail with a CausePath, or in a degraded state the flow lists", () => {
    const states = new Set(allStates(deployed).map(({ name }) => name));
    expect((flow.degradedStates ?? []).filter((name) => !states.has(name))).toEqual([]);
    expect(catchProblems(deployed, flow.degradedStates)).toEqual([]);
  });

  it("logs failed states, without execution data, to a vended-logs group of its own, unique to the stack", () => {
    const logging = properties.LoggingConfiguration as {
      Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }>;
      IncludeExecutionData: boolean;
      Level: string;
    };
    expect(logging).toMatchObject({ IncludeExecutionData: false, Level: "ERROR" });
    const group = referencedId(
      single(logging.Destinations, "log destination").CloudWatchLogsLogGroup.LogGroupArn,
    );
    const { resource } = app.resource(group ?? "");
    expect(resource.Type).toBe("AWS::Logs::LogGroup");
    expect(resource.Properties?.RetentionInDays).toBe(90);
    // Under /aws/vendedlogs/ (no entry in the account's log resource policy, #22 finding 3), ending
    // in the stack's own id: a group retained from a removed stage never collides with the next one.
    expect(app.render(resource.Properties?.LogGroupName)).toBe(
      `/aws/vendedlogs/states/test-leadrelay-${flow.id}-<stack-uuid>`,
    );
    const groups = machines.map(({ properties: other }) =>
      referencedId(
        (other.LoggingConfiguration as typeof logging).Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn,
      ),
    );
    expect(groups.filter((other) => other === group)).toHaveLength(1);
  });

  // The tasks this stage deploys (the definition calls them); each one checked.
  const tasks = Object.entries(flow.tasks)
    .filter(([placeholder]) => placeholder in functions)
    .map(([placeholder, task]) => ({ placeholder, task }));
  describe.each(tasks)("task $task.id", ({ placeholder, task }) => {
    const functionId = () => functions[placeholder] ?? "";
    /** A Task that waits for its vendor budget is fed by its queue: vendor-budgets.test.ts checks what that adds. */
    const budgeted = `${placeholder}BudgetQueue` in ((properties.DefinitionSubstitutions ?? {}) as object);
    const budgetGrant = (line: string) => budgeted && /^(sqs|dynamodb):|^states:SendTask/.test(line);

    it("gets exactly the grants its TaskSpec lists (secrets included)", () => {
      const { statements, managedPolicies } = app.functionAccess(functionId());
      expect(grants(statements).filter((line) => !budgetGrant(line))).toEqual(
        expectedGrants(task, settings).sort(),
      );
      expect(statements.filter((s) => s.effect !== "Allow")).toEqual([]);
      expect(managedPolicies).toEqual([BASIC_EXECUTION_ROLE]);
    });

    it("gets exactly the environment its TaskSpec lists, with this deploy's settings", () => {
      const expected: Record<string, string> = { ...SST_ENVIRONMENT };
      for (const name of task.env ?? []) if (settings[name] !== undefined) expected[name] = settings[name];
      for (const name of boundSecrets(task)) expected[`SST_Secret_value_${name}`] = "__FETCH_FROM_SSM__";
      if (task.storage?.length) expected.BUCKET_NAME = BUCKET;
      if (task.publishesEvents) expected.EVENT_BUS_NAME = BUS;
      // Which of the flow's actions it performs, so it can report one it skipped (ActionsSkipped).
      const actions = taskActions(flow, deployed, placeholder);
      if (actions.length > 0) {
        expected.LEADRELAY_FLOW = flow.id;
        expected.LEADRELAY_ACTIONS = JSON.stringify(actions);
      }
      const environment = app.environmentOf(functionId());
      expect(
        Object.fromEntries(
          Object.entries(environment).filter(([name]) => !(budgeted && name.startsWith("BUDGET_"))),
        ),
      ).toEqual(expected);
    });

    it("logs to a log group of its own, named by CloudFormation, kept as long as the stage says", () => {
      const config = app.resource(functionId()).resource.Properties?.LoggingConfig as { LogGroup?: unknown };
      const group = app.resource(referencedId(config?.LogGroup) ?? "").resource;
      expect(group.Type).toBe("AWS::Logs::LogGroup");
      expect(group.Properties?.RetentionInDays).toBe(logRetentionDays(TEST_STAGE, {}));
      expect(group.Properties?.LogGroupName).toBeUndefined();
    });

    it("runs with the Lambda timeout its TaskSpec sets (the default otherwise)", () => {
      expect(app.resource(functionId()).resource.Properties?.Timeout).toBe(
        task.timeoutSeconds ?? LAMBDA_TIMEOUT_SECONDS,
      );
    });

    it("loads at cold start only the AWS clients its grants allow, and uses every granted service", () => {
      const allowed: AwsClientName[] = [
        ...(task.storage?.length ? (["S3Client"] as const) : []),
        ...(task.publishesEvents ? (["EventBridgeClient"] as const) : []),
        ...(task.sendsEmail ? (["SESv2Client"] as const) : []),
      ];
      const bundle = synth.bundles[`Flows/${functionId()}`];
      if (!bundle) throw new Error(`No bundle for ${functionId()}`);
      const { coldStart, bundled } = bundledClients(bundle, task.handler);
      // SSMClient resolves bound secrets (sst/node/config), loaded only when a secret is bound.
      expect(coldStart.filter((client) => !allowed.includes(client))).toEqual([]);
      expect(allowed.filter((client) => !bundled.includes(client))).toEqual([]);
    });
  });
});

/** What a task's role must hold, as `grants()` lines. */
function expectedGrants(task: TaskSpec, settings: Record<string, string>): string[] {
  return [
    ...(task.storage ?? []).flatMap((grant) =>
      grant.actions.map((action) => `${action} ${BUCKET_ARN}/${grant.keys}`),
    ),
    ...(task.existenceChecks ? [`s3:ListBucket ${BUCKET_ARN}`] : []),
    ...(task.publishesEvents ? [`events:PutEvents ${BUS_ARN}`] : []),
    ...(task.sendsEmail && settings.EMAIL_FROM === TEST_EMAIL_FROM
      ? SES_SENDER_IDENTITIES.map((arn) => `ses:SendEmail ${arn}`)
      : []),
    ...boundSecrets(task).flatMap((name) => secretGrants(name)),
  ];
}

describe("the cross-flow check rejects", () => {
  const announce = FLOWS.find((flow) => flow.id === "announce");
  if (!announce) throw new Error("The registry has no announce flow");
  const intruder = (keys: string, actions: Array<"s3:GetObject" | "s3:PutObject">): FlowSpec => ({
    ...announce,
    id: "intruder",
    tasks: { IntruderFunctionArn: { id: "Intrude", handler: "x.handler", storage: [{ actions, keys }] } },
  });

  it("a flow that can write another flow's markers", () => {
    expect(crossFlowOverlaps([announce, intruder("notified/lead_*", ["s3:PutObject"])]).join("\n")).toContain(
      "announce/NotifySlack (s3:GetObject s3:PutObject s3:DeleteObject notified/*.json) and intruder/Intrude",
    );
  });

  it("a flow that reads another flow's results through a broad pattern", () => {
    expect(crossFlowOverlaps([announce, intruder("*/crm_event_*", ["s3:GetObject"])])).not.toEqual([]);
  });

  it("but not a second reader of the Close raw event", () => {
    expect(crossFlowOverlaps([announce, intruder(rawEventKey("*"), ["s3:GetObject"])])).toEqual([]);
    expect(crossFlowOverlaps([announce, intruder(rawEventKey("*"), ["s3:PutObject"])])).not.toEqual([]);
  });

  it("and reads IAM patterns as IAM does: '*' spans '/'", () => {
    expect(patternMatches("notified/*.json", "notified/a/b.json")).toBe(true);
    expect(patternsOverlap("flows/triage/*", "flows/*/outcome.json")).toBe(true);
    expect(patternsOverlap("flows/triage/*", "flows/deal-stage/*")).toBe(false);
    expect(patternsOverlap("notified/*.json", "crm_event_*.json")).toBe(false);
    expect(patternsOverlap("*", "anything")).toBe(true);
  });
});
