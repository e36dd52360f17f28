import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createDynamoBudgetStore } from "./adapters/dynamodb-budget-store";
import { lambdaAwsConfig } from "./aws-clients";
import { consumeBudgetMessages, type SqsRecordLike } from "./budget-consumer";
import type { Logger } from "./log";
import { stageOf } from "./metric-line";
import { type BudgetCalls, type BudgetName, parseRate, type Rate } from "./vendor-budget";

/**
 * A budgeted Task's Lambda invoked by its queue (stacks/vendor-budgets.ts sets BUDGET_*): loaded
 * only then (a dynamic import), so a Lambda invoked by Step Functions never loads SQS or DynamoDB.
 */

let clients: { sfn: SFNClient; sqs: SQSClient; dynamo: DynamoDBClient } | undefined;

export function budgetSettingsFromEnv(env: Record<string, string | undefined>) {
  const queueUrl = env.BUDGET_QUEUE_URL;
  const tableName = env.BUDGET_TABLE_NAME;
  if (!queueUrl || !tableName) {
    throw new Error("BUDGET_QUEUE_URL and BUDGET_TABLE_NAME must be set for a Task fed by its budget queue");
  }
  const calls = JSON.parse(env.BUDGET_CALLS ?? "{}") as BudgetCalls;
  const rates = new Map<BudgetName, Rate>(
    Object.entries(JSON.parse(env.BUDGET_RATES ?? "{}") as Record<string, string>).map(([name, rate]) => [
      name as BudgetName,
      parseRate(rate, `BUDGET_RATES.${name}`),
    ]),
  );
  return { queueUrl, tableName, calls, rates };
}

export async function runBudgetConsumer(
  event: { Records: SqsRecordLike[] },
  handler: (input: unknown) => Promise<unknown>,
  log: Logger,
) {
  const settings = budgetSettingsFromEnv(process.env);
  // The kit's timeouts (the same for every AWS client on Lambda).
  const config = lambdaAwsConfig("sfn") as Record<string, unknown>;
  clients ??= {
    sfn: new SFNClient(config),
    sqs: new SQSClient(config),
    dynamo: new DynamoDBClient(config),
  };
  const { sfn, sqs, dynamo } = clients;
  return consumeBudgetMessages(event, {
    calls: settings.calls,
    rates: settings.rates,
    store: createDynamoBudgetStore(dynamo, settings.tableName),
    handler,
    log,
    stage: stageOf(process.env),
    callbacks: {
      heartbeat: async (taskToken) => {
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      },
      succeed: async (taskToken, output) => {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
      },
      fail: async (taskToken, error, cause) => {
        await sfn.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) }));
      },
      requeue: async (body, delaySeconds) => {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: settings.queueUrl,
            MessageBody: body,
            DelaySeconds: delaySeconds,
          }),
        );
      },
    },
  });
}
