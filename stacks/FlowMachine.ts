import { aws_iam as iam, aws_logs as logs, type aws_s3 as s3, aws_stepfunctions as sfn } from "aws-cdk-lib";
import { Construct } from "constructs";
import { type FunctionProps, Function as SstFunction, type Stack } from "sst/constructs";
import { configuredDefinition, type FlowSpec, type TaskSpec } from "../packages/functions/src/flow-spec";
import { existenceChecks, objectAccess } from "./bucket-grants";
import { functionLogGroup } from "./log-retention";
import { secretOf } from "./secrets";
import { removalPolicyFor } from "./stage-policy";
import { VendorBudgetQueues } from "./vendor-budgets";

export interface FlowMachineProps {
  flow: FlowSpec;
  bucket: s3.IBucket;
  /** The settings this deploy bakes into the flow's functions (see flow-settings.ts). */
  settings: Record<string, string>;
  stage: string;
  /** `<stage>-leadrelay-<flow>` (SST's logical prefix). */
  stateMachineName: string;
  /** The secrets set for this stage: an optional one that is not is left unbound. */
  secretsSet: ReadonlySet<string>;
  /** The stage's event bus, for flows that publish events. */
  eventBus?: { eventBusArn: string; eventBusName: string };
  /** The stage's vendor budget table (vendor-budgets.ts), made when a flow first needs it. */
  budgetTable?: () => import("aws-cdk-lib").aws_dynamodb.ITable;
}

/**
 * One flow on AWS, whatever the flow: a Lambda per task with least-privilege IAM (only its own
 * storage keys, secrets and services), the Standard state machine from the flow's ASL file (the
 * same definition the local runtime runs), allowed to invoke exactly these functions, and its log
 * group.
 */
export class FlowMachine extends Construct {
  readonly flow: FlowSpec;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<string, SstFunction>;
  readonly definition: ReturnType<NonNullable<FlowSpec["configure"]>>;
  /** The queues of the Tasks that wait for a vendor budget. */
  readonly budgets: VendorBudgetQueues;

  constructor(scope: Stack, props: FlowMachineProps) {
    const { flow, bucket, settings } = props;
    super(scope, pascal(flow.id));
    this.flow = flow;

    const functionProps = (task: TaskSpec): FunctionProps & { logGroup: logs.ILogGroup } => {
      const environment: Record<string, string> = {};
      for (const name of task.env ?? []) if (settings[name] !== undefined) environment[name] = settings[name];
      if (task.storage?.length) environment.BUCKET_NAME = bucket.bucketName;
      if (task.publishesEvents && props.eventBus) environment.EVENT_BUS_NAME = props.eventBus.eventBusName;
      const permissions: iam.PolicyStatement[] = [];
      for (const grant of task.storage ?? [])
        permissions.push(objectAccess(bucket, [...grant.actions], grant.keys));
      if (task.existenceChecks) permissions.push(existenceChecks(bucket));
      if (task.publishesEvents) {
        if (!props.eventBus)
          throw new Error(`${flow.id}/${task.id} publishes events but the stage has no bus`);
        permissions.push(
          new iam.PolicyStatement({ actions: ["events:PutEvents"], resources: [props.eventBus.eventBusArn] }),
        );
      }
      if (task.sendsEmail) {
        permissions.push(
          new iam.PolicyStatement({
            actions: ["ses:SendEmail"],
            resources: [scope.formatArn({ service: "ses", resource: "identity", resourceName: "*" })],
          }),
        );
      }
      return {
        handler: task.handler,
        logGroup: functionLogGroup(this, task.id, props.stage),
        ...(task.timeoutSeconds ? { timeout: task.timeoutSeconds } : {}),
        environment,
        bind: [
          ...(task.secrets ?? []),
          ...(task.optionalSecrets ?? []).filter((name) => props.secretsSet.has(name)),
        ].map((name) => secretOf(scope, name)),
        permissions,
      };
    };

    this.functions = Object.fromEntries(
      Object.entries(flow.tasks).map(([placeholder, task]) => [
        placeholder,
        // SST wants a Function id unique in the whole app (it names SSM parameters after it), and two
        // flows may both have a "FetchLead".
        new SstFunction(this, `${pascal(flow.id)}${task.id}`, functionProps(task)),
      ]),
    );

    // Named by CDK, not by us: a retained log group with a fixed name would make the next deploy of
    // the stage fail on "already exists" after `sst remove`.
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: removalPolicyFor(props.stage),
    });
    this.definition = configuredDefinition(flow, settings);
    const { budgetTable } = props;
    this.budgets = new VendorBudgetQueues(this, "Budgets", {
      flow,
      definition: this.definition,
      functions: this.functions,
      settings,
      stateMachineName: props.stateMachineName,
      table: () => {
        if (!budgetTable) throw new Error(`${flow.id} has budgeted Tasks but the stage has no budget table`);
        return budgetTable();
      },
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(this.definition)),
      definitionSubstitutions: {
        ...Object.fromEntries(
          Object.entries(this.functions).map(([placeholder, fn]) => [placeholder, fn.functionArn]),
        ),
        ...this.budgets.substitutions,
      },
      // Failed states and executions only, without their data: the execution history already holds the data.
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["lambda:InvokeFunction"],
        resources: Object.values(this.functions).map((fn) => fn.functionArn),
      }),
    );
    this.budgets.grantSend(this.stateMachine);
  }
}

export const pascal = (id: string) =>
  id.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
