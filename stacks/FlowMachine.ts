import {
  Aws,
  Stack as CdkStack,
  Fn,
  aws_iam as iam,
  aws_logs as logs,
  type aws_s3 as s3,
  aws_stepfunctions as sfn,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import { type FunctionProps, Function as SstFunction, type Stack } from "sst/constructs";
import { configuredDefinition, type FlowSpec, type TaskSpec } from "../packages/functions/src/flow-spec";
import { taskPlaceholders } from "../packages/functions/src/state-machine";
import { taskActions } from "../packages/functions/src/task-actions";
import { existenceChecks, objectAccess } from "./bucket-grants";
import { functionLogGroup } from "./log-retention";
import { acceptFunctionFindings, acceptStateMachineFindings } from "./nag";
import { secretOf } from "./secrets";
import { sesSendGrant } from "./ses-identity";
import { type SkippedAlertChannels, skipReporting } from "./skipped-alerts";
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
  /** LEADRELAY_ALERT_ON_SKIPPED=true: each Task that skips an action alerts (skipped-alerts.ts). */
  skippedAlerts?: SkippedAlertChannels;
  /** The stage's budget dead-letter queue and its consumer, made when a flow first needs them. */
  budgetDeadLetters?: () => import("./vendor-budgets").BudgetDeadLetters;
}

/**
 * A flow as another stack sees it: its state machine by its fixed name, with no CloudFormation
 * import from the Flows stack (see `FlowMachine.viewFrom`).
 */
export interface FlowView {
  flow: FlowSpec;
  stateMachine: sfn.IStateMachine;
}

/**
 * One flow on AWS, whatever the flow: a Lambda per task with least-privilege IAM (only its own
 * storage keys, secrets and services), the Standard state machine from the flow's ASL file (the
 * same definition the local runtime runs), allowed to invoke exactly these functions, and its log
 * group.
 */
export class FlowMachine extends Construct implements FlowView {
  readonly flow: FlowSpec;
  /** `<stage>-leadrelay-<flow>`: fixed, so other stacks build its ARN without importing it. */
  readonly stateMachineName: string;
  private readonly views = new WeakMap<CdkStack, FlowView>();
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<string, SstFunction>;
  readonly definition: ReturnType<NonNullable<FlowSpec["configure"]>>;
  /** The settings this deploy baked into the flow's functions. */
  readonly settings: Record<string, string>;
  /** The queues of the Tasks that wait for a vendor budget. */
  readonly budgets: VendorBudgetQueues;

  constructor(scope: Stack, props: FlowMachineProps) {
    const { flow, bucket, settings } = props;
    super(scope, pascal(flow.id));
    this.flow = flow;
    this.stateMachineName = props.stateMachineName;
    this.settings = settings;

    const functionProps = (
      placeholder: string,
      task: TaskSpec,
    ): FunctionProps & { logGroup: logs.ILogGroup } => {
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
      // Only the sender's own identities: without EMAIL_FROM the function sends nothing by SES.
      if (task.sendsEmail && settings.EMAIL_FROM) permissions.push(sesSendGrant(scope, settings.EMAIL_FROM));
      const secrets = [
        ...(task.secrets ?? []),
        ...(task.optionalSecrets ?? []).filter((name) => props.secretsSet.has(name)),
      ];
      // What a Task that skips one of the flow's actions reports (ActionsSkipped, and the alert when asked).
      const reporting = skipReporting(scope, {
        flow,
        actions: taskActions(flow, this.definition, placeholder),
        stateMachineName: props.stateMachineName,
        bucket,
        alerts: props.skippedAlerts,
      });
      // The Task's own settings win (the alert's email settings are the same stage's anyway).
      for (const [name, value] of Object.entries(reporting.environment)) environment[name] ??= value;
      permissions.push(...reporting.permissions);
      return {
        handler: task.handler,
        logGroup: functionLogGroup(this, task.id, props.stage),
        ...(task.timeoutSeconds ? { timeout: task.timeoutSeconds } : {}),
        environment,
        bind: [...new Set([...secrets, ...reporting.secrets])].map((name) => secretOf(scope, name)),
        permissions,
      };
    };

    this.definition = configuredDefinition(flow, settings);
    // Only the tasks this definition calls: a task its settings leave out (announce's email without
    // ANNOUNCE_EMAIL_TO) gets no function and no grants (#22 finding 7).
    const called = new Set(Object.values(taskPlaceholders(this.definition, Object.keys(flow.tasks))));
    this.functions = Object.fromEntries(
      Object.entries(flow.tasks)
        .filter(([placeholder]) => called.has(placeholder))
        .map(([placeholder, task]) => [
          placeholder,
          // SST wants a Function id unique in the whole app (it names SSM parameters after it), and two
          // flows may both have a "FetchLead".
          new SstFunction(this, `${pascal(flow.id)}${task.id}`, functionProps(placeholder, task)),
        ]),
    );

    const logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: vendedLogGroupName(props.stateMachineName),
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: removalPolicyFor(props.stage),
    });
    const { budgetTable, budgetDeadLetters } = props;
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
      deadLetters: () => {
        if (!budgetDeadLetters)
          throw new Error(`${flow.id} has budgeted Tasks but the stage has no dead-letter consumer`);
        return budgetDeadLetters();
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
    for (const fn of Object.values(this.functions)) acceptFunctionFindings(fn);
    acceptStateMachineFindings(this.stateMachine);
    this.budgets.grantSend(this.stateMachine);
  }

  /**
   * This flow seen from another stack (Api, Operations): the state machine's ARN built from its
   * fixed name in that stack, not an `Fn::ImportValue` of the Flows stack. An export another stack
   * imports cannot be removed, so taking a flow out of LEADRELAY_FLOWS on an existing stage would
   * fail and roll back (#22 finding 1); a built ARN leaves nothing to remove. Ordering stays:
   * `use(Flows)` makes those stacks depend on Flows.
   */
  viewFrom(scope: Construct): FlowView {
    const stack = CdkStack.of(scope);
    if (stack === CdkStack.of(this)) return this;
    const known = this.views.get(stack);
    if (known) return known;
    const view: FlowView = {
      flow: this.flow,
      stateMachine: sfn.StateMachine.fromStateMachineName(
        stack,
        `${pascal(this.flow.id)}FlowStateMachine`,
        this.stateMachineName,
      ),
    };
    this.views.set(stack, view);
    return view;
  }
}

/**
 * `/aws/vendedlogs/states/<stage>-leadrelay-<flow>-<stack uuid>` (#22 finding 3). Step Functions
 * logs through CloudWatch Logs' vended delivery, which adds each log group outside `/aws/vendedlogs/`
 * to the account's one 5,120-character resource policy: a few stages fill it and the next deploy
 * fails. Under the prefix, one policy entry covers them all. The suffix is the Flows stack's own id
 * (new each time the stack is created): a retained group of a removed stage keeps its name and the
 * next deploy of the stage does not collide with it (stacks/test/retention.test.ts). Renaming an
 * existing stage's group replaces it; the old one is kept by its Retain/Delete replace policy.
 */
export function vendedLogGroupName(stateMachineName: string): string {
  const stackUuid = Fn.select(2, Fn.split("/", Aws.STACK_ID));
  return `/aws/vendedlogs/states/${stateMachineName}-${stackUuid}`;
}

export const pascal = (id: string) =>
  id.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
