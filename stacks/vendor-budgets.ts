import {
  ArnFormat,
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  RemovalPolicy,
  Stack,
  aws_lambda_event_sources as sources,
  aws_sqs as sqs,
} from "aws-cdk-lib";
import { NagSuppressions } from "cdk-nag";
import { Construct } from "constructs";
import { Function as SstFunction, type Stack as SstStack } from "sst/constructs";
import { VENDOR_QUOTA_STOPPED_METRIC } from "../packages/functions/src/budget-consumer";
import {
  BUDGET_DEAD_LETTERS_HANDLER,
  BUDGET_DELIVERY_FAILED_METRIC,
} from "../packages/functions/src/budget-dead-letters";
import {
  BUDGET_MAX_DELIVERIES,
  BUDGET_TASK_TIMEOUT_SECONDS,
  budgetQueuePlaceholder,
  type FlowSpec,
  LAMBDA_TIMEOUT_SECONDS,
} from "../packages/functions/src/flow-spec";
import { METRIC_NAMESPACE } from "../packages/functions/src/metric-line";
import {
  type AslDefinition,
  allStates,
  budgetedTaskPlaceholder,
} from "../packages/functions/src/state-machine";
import {
  applicableBudgets,
  BUDGET_VARIABLES,
  type BudgetName,
  budgetedCalls,
  formatRate,
} from "../packages/functions/src/vendor-budget";
import type { AlarmTarget } from "./flow-alarms";
import { functionLogGroup } from "./log-retention";
import { acceptFunctionFindings } from "./nag";

/**
 * Vendor budgets on AWS (issue 20). A budgeted Task is a callback Task (flow-spec.ts
 * `withVendorBudgets`) that sends `{taskToken, input}` to a queue of ITS OWN; its own Lambda
 * consumes that queue (batch size 1, partial batch responses, a maximum concurrency), so each Task
 * keeps its own code and least-privilege role, and every Task of every flow calling one vendor
 * shares that vendor's sliding window: one item per vendor in the stage's budget table. A call
 * waiting for budget waits in SQS (a delayed re-send), not in Lambda, with no state transition
 * per wait. Every queue sends what its consumer failed on 5 times to the stage's one dead-letter
 * queue, consumed by the stage's one dead-letter Lambda,
 * which fails the waiting Task at once (`BudgetDeliveryFailed`) instead of leaving it to its
 * callback timeout. The Operations stack alarms on a queue whose oldest message is too old, and per
 * stage on any dead letter (the BudgetDeliveryFailed metric), one left unanswered, and each
 * vendor's quota stop (VendorQuotaStopped).
 */

/** The budget variables (`<VENDOR>_RATE_LIMIT`) set in the deploying shell. */
export function budgetSettings(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of BUDGET_VARIABLES) {
    const value = env[name]?.trim();
    if (value) out[name] = value;
  }
  return out;
}

/** The stage's one table of vendor windows, shared by every flow (made on first use). */
export function budgetTable(stack: Stack): () => dynamodb.Table {
  let table: dynamodb.Table | undefined;
  return () => {
    table ??= new dynamodb.Table(stack, "VendorBudgets", {
      partitionKey: { name: "vendor", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Only the last seconds of each vendor's calls: nothing to keep across a removal, on any stage.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    NagSuppressions.addResourceSuppressions(table, [
      {
        id: "AwsSolutions-DDB3",
        reason:
          "The table holds only each vendor's call window of the last seconds (and a pause until a reset): nothing a point-in-time restore could bring back is worth having.",
      },
    ]);
    return table;
  };
}

/** The stage's one budget dead-letter queue, by its literal name (Operations alarms on it without an import). */
export const budgetDeadLetterQueueName = (app: { logicalPrefixedName(name: string): string }) =>
  app.logicalPrefixedName("budget-dead-letters");

export interface BudgetDeadLetters {
  queue: sqs.Queue;
  consumer: SstFunction;
}

/**
 * The stage's one dead-letter queue for every budget queue, and its consumer (made on first use):
 * a dead letter fails its Task at once. One queue, so one event source polls it. The consumer's
 * role may only `states:SendTaskFailure` on the state machines whose queues send there (each
 * VendorBudgetQueues adds its own) and receive from this queue.
 */
export function budgetDeadLetters(stack: SstStack, queueName: string): () => BudgetDeadLetters {
  let made: BudgetDeadLetters | undefined;
  return () => {
    if (!made) {
      const queue = new sqs.Queue(stack, "BudgetDeadLetterQueue", {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        visibilityTimeout: Duration.seconds(6 * LAMBDA_TIMEOUT_SECONDS),
      });
      const consumer = new SstFunction(stack, "BudgetDeadLetters", {
        handler: BUDGET_DEAD_LETTERS_HANDLER,
        logGroup: functionLogGroup(stack, "BudgetDeadLetters", stack.stage),
      });
      acceptFunctionFindings(consumer);
      consumer.addEventSource(
        new sources.SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }),
      );
      made = { queue, consumer };
    }
    return made;
  };
}

export interface BudgetQueue {
  taskId: string;
  queue: sqs.Queue;
  /** Its literal name. */
  queueName: string;
}

export interface VendorBudgetProps {
  flow: FlowSpec;
  definition: AslDefinition;
  /** Placeholder → the Task's function. */
  functions: Record<string, SstFunction>;
  table: () => dynamodb.ITable;
  settings: Record<string, string | undefined>;
  /** The flow's state machine name: the consumers may answer its task tokens only. */
  stateMachineName: string;
  /** The stage's dead-letter queue and its consumer (budgetDeadLetters). */
  deadLetters: () => BudgetDeadLetters;
}

/** The wait at which a queue counts as stuck: half the callback Task's TimeoutSeconds. */
export const STUCK_QUEUE_SECONDS = BUDGET_TASK_TIMEOUT_SECONDS / 2;

export class VendorBudgetQueues extends Construct {
  /** Definition substitutions: `${<placeholder>BudgetQueue}` → the queue's URL. */
  readonly substitutions: Record<string, string> = {};
  readonly queues: BudgetQueue[] = [];
  /** The budgets the Tasks of this flow draw on with these settings (a quota stop alarm per vendor). */
  readonly vendors = new Set<BudgetName>();

  constructor(scope: Construct, id: string, props: VendorBudgetProps) {
    super(scope, id);
    const budgets = applicableBudgets(props.settings);
    const stack = Stack.of(this);
    const placeholders = new Set(
      allStates(props.definition)
        .map(({ state }) => budgetedTaskPlaceholder(state))
        .filter((placeholder): placeholder is string => placeholder !== undefined),
    );
    for (const placeholder of placeholders) {
      const task = props.flow.tasks[placeholder];
      const fn = props.functions[placeholder];
      if (!task || !fn) throw new Error(`${props.flow.id}: no task for the budget queue of ${placeholder}`);
      const calls = budgetedCalls(task.calls, budgets);
      const lambdaSeconds = task.timeoutSeconds ?? LAMBDA_TIMEOUT_SECONDS;
      // Named from the state machine's fixed name, so the Operations stack alarms on them by name and
      // imports nothing from Flows (taking a flow out must not delete an export in use, #22 finding 1).
      const queueName = `${props.stateMachineName}-${task.id}`;
      for (const name of Object.keys(calls)) this.vendors.add(name as BudgetName);
      const queue = new sqs.Queue(this, `${task.id}BudgetQueue`, {
        queueName,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        // Lambda wants at least 6× the function's timeout for an SQS event source.
        visibilityTimeout: Duration.seconds(6 * lambdaSeconds),
        // Longer than a callback Task waits: a message never expires before its Task does.
        retentionPeriod: Duration.days(1),
        // Redelivered only when the consumer itself failed (SQS, Step Functions or DynamoDB down):
        // waiting for budget is a fresh delayed message, not a redelivery.
        deadLetterQueue: { queue: props.deadLetters().queue, maxReceiveCount: BUDGET_MAX_DELIVERIES },
      });
      // Enough consumers to keep the tightest budget busy at a ~1 s call, never a crowd (2 is the minimum).
      const perSecond = Math.max(
        ...Object.keys(calls).map((name) => {
          const rate = budgets.get(name as never);
          return rate ? Math.ceil((rate.count * 1000) / rate.windowMs) : 2;
        }),
      );
      fn.addEventSource(
        new sources.SqsEventSource(queue, {
          batchSize: 1,
          reportBatchItemFailures: true,
          maxConcurrency: Math.min(1000, Math.max(2, perSecond)),
        }),
      );
      fn.addEnvironment("BUDGET_QUEUE_URL", queue.queueUrl);
      fn.addEnvironment("BUDGET_TABLE_NAME", props.table().tableName);
      fn.addEnvironment("BUDGET_CALLS", JSON.stringify(calls));
      fn.addEnvironment(
        "BUDGET_RATES",
        JSON.stringify(
          Object.fromEntries(
            Object.keys(calls).map((name) => [
              name,
              formatRate(budgets.get(name as never) ?? { count: 1, windowMs: 1 }),
            ]),
          ),
        ),
      );
      // Least privilege: put its own message back, read and write the vendors' windows, answer its
      // own state machine's tokens. The state machine's ARN is built from its name, not referenced:
      // the machine's definition already depends on this function.
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queue.queueArn] }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
          resources: [props.table().tableArn],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
          resources: [
            stack.formatArn({
              service: "states",
              resource: "stateMachine",
              resourceName: props.stateMachineName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      );
      this.substitutions[budgetQueuePlaceholder(placeholder)] = queue.queueUrl;
      this.queues.push({ taskId: task.id, queue, queueName });
    }
    // A dead letter fails its Task at once (BudgetDeliveryFailed), not after the callback timeout.
    if (this.queues.length > 0)
      this.grantDeadLetterFailures(props.deadLetters().consumer, props.stateMachineName);
  }

  /** The dead-letter consumer may fail this flow's tokens, and nothing else in Step Functions. */
  private grantDeadLetterFailures(consumer: SstFunction, stateMachineName: string) {
    consumer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:SendTaskFailure"],
        resources: [
          Stack.of(this).formatArn({
            service: "states",
            resource: "stateMachine",
            resourceName: stateMachineName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }

  /** The state machine may send to these queues only. */
  grantSend(role: iam.IGrantable) {
    if (this.queues.length === 0) return;
    role.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["sqs:SendMessage"],
        resources: this.queues.map(({ queue }) => queue.queueArn),
      }),
    );
  }

  /** A queue whose oldest message waited half a callback Task's timeout. */
  metrics(): Array<{
    id: string;
    name: string;
    description: string;
    metric: cloudwatch.IMetric;
    threshold: number;
  }> {
    return this.queues.flatMap(({ taskId, queueName }) => [
      {
        id: `${taskId}BudgetQueueStuck`,
        name: `${taskId}-budget-queue-stuck`,
        description: `${taskId}: a call has waited ${STUCK_QUEUE_SECONDS / 60} min for its vendor budget (a vendor paused or stopped, or its consumer failing).`,
        metric: queueMetric(queueName, "ApproximateAgeOfOldestMessage"),
        threshold: STUCK_QUEUE_SECONDS,
      },
    ]);
  }
}

/** The alarms of a flow's budget queues, into the stage's alarm topic (the Operations stack loops over flows). */
export function budgetAlarms(
  scope: Construct,
  machine: { flow: FlowSpec; budgets: VendorBudgetQueues },
  target: AlarmTarget,
): cloudwatch.Alarm[] {
  return machine.budgets.metrics().map((entry) => {
    const alarm = new cloudwatch.Alarm(scope, `${pascalId(machine.flow.id)}${entry.id}`, {
      alarmName: target.name(`${machine.flow.id}-${entry.name}`),
      alarmDescription: `${machine.flow.id}/${entry.description}`,
      metric: entry.metric,
      threshold: entry.threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // An empty queue sends no data: the quiet normal.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(target.topic));
    return alarm;
  });
}

/**
 * The stage's budget alarms beyond each queue's own: any dead letter (the BudgetDeliveryFailed
 * metric by stage, which the dead-letter consumer counts; its Queue dimension says which Task), a
 * dead letter the consumer could not answer (still visible in the stage's dead-letter queue),
 * and one per vendor whose budget the stage's Tasks draw on, for a used-up daily or billing quota
 * (HubSpot DAILY, OpenAI insufficient_quota, a 402) that stops its calls until the reset: the
 * consumer that stops the vendor emits VendorQuotaStopped once (EMF, budget-consumer.ts).
 */
export function stageBudgetAlarms(
  scope: Construct,
  machines: Array<{ budgets: VendorBudgetQueues }>,
  target: AlarmTarget,
  stage: string,
  deadLetterQueueName: string,
): cloudwatch.Alarm[] {
  if (machines.every((machine) => machine.budgets.queues.length === 0)) return [];
  const vendors = [...new Set(machines.flatMap((machine) => [...machine.budgets.vendors]))].sort();
  const alarm = (id: string, name: string, description: string, metric: cloudwatch.IMetric) => {
    const created = new cloudwatch.Alarm(scope, id, {
      alarmName: target.name(name),
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // Nothing happened, no data: the quiet normal.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    created.addAlarmAction(new actions.SnsAction(target.topic));
    return created;
  };
  const count = (metricName: string, dimensionsMap: Record<string, string>) =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap,
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.SUM,
    });
  return [
    alarm(
      "BudgetDeliveryFailed",
      "budget-delivery-failed",
      `A budget message failed ${BUDGET_MAX_DELIVERIES} deliveries (its Task's consumer failing: the metric's Queue dimension and the BudgetDeadLetters log say which); its execution was failed with BudgetDeliveryFailed.`,
      count(BUDGET_DELIVERY_FAILED_METRIC, { Stage: stage }),
    ),
    alarm(
      "BudgetDeadLettersUnanswered",
      "budget-dead-letters",
      "A budget dead letter could not fail its Task (Step Functions failing) and waits in the stage's budget dead-letter queue.",
      queueMetric(deadLetterQueueName, "ApproximateNumberOfMessagesVisible"),
    ),
    ...vendors.map((vendor) =>
      alarm(
        `${pascalId(vendor)}QuotaStopped`,
        `${vendor}-quota-stopped`,
        `${vendor}: its daily or billing quota is used up; every budgeted call to it fails with ServiceQuotaExhausted until the next midnight UTC.`,
        count(VENDOR_QUOTA_STOPPED_METRIC, { Stage: stage, Vendor: vendor }),
      ),
    ),
  ];
}

const pascalId = (id: string) =>
  id.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());

/** An SQS metric by the queue's literal name: no token, so no cross-stack import. */
function queueMetric(queueName: string, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: "AWS/SQS",
    metricName,
    dimensionsMap: { QueueName: queueName },
    period: Duration.minutes(5),
    statistic: cloudwatch.Stats.MAXIMUM,
  });
}
