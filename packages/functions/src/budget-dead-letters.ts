import { BudgetDeliveryFailed } from "@leadrelay/core";
import {
  type BudgetMessage,
  isLateTokenError,
  lambdaCause,
  parseBudgetMessage,
  type SqsRecordLike,
} from "./budget-consumer";
import { BUDGET_MAX_DELIVERIES } from "./flow-spec";
import type { Logger } from "./log";
import { metricFields } from "./metric-line";

/**
 * The consumer of the stage's budget dead-letter queue (stacks/vendor-budgets.ts: one for every
 * budget queue of the stage, so one event source polls). A message lands there when its Task's
 * consumer failed on every delivery (SQS, Step Functions or DynamoDB
 * down, the Lambda crashing, timing out or failing to start): left alone, its execution would wait
 * out the callback Task's whole timeout (an hour). This fails the Task at once with
 * `BudgetDeliveryFailed` (not retried by any Task's ASL, so its Catch ends the execution and the
 * failure alert fires), counts the dead letter in the `BudgetDeliveryFailed` metric (by queue, and
 * by stage for the stage's one alarm), and deletes it. A token no longer waited for is dropped; when Step Functions itself fails
 * the message stays (partial batch response) and the dead-letter alarm sees it.
 */

/** Its Lambda entry (the stacks deploy it; kept here so they do not import the handler's SDK client). */
export const BUDGET_DEAD_LETTERS_HANDLER = "packages/functions/src/budget-dead-letters-lambda.handler";

export const BUDGET_DELIVERY_FAILED_METRIC = "BudgetDeliveryFailed";

export interface DeadLetterRecord extends SqsRecordLike {
  /** SQS's system attributes; a dead letter's names the queue it came from. */
  attributes?: { DeadLetterQueueSourceArn?: string; ApproximateReceiveCount?: string };
}

export interface DeadLetterOptions {
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  log: Logger;
  stage: string;
  now?: () => number;
}

/** Which budget queue a dead letter came from: the source queue SQS names, else the Task the message names. */
export function sourceOf(record: DeadLetterRecord, message: BudgetMessage | undefined): string {
  const source = record.attributes?.DeadLetterQueueSourceArn?.split(":").at(-1);
  return source || message?.task || "unknown";
}

export async function failDeadLetters(
  event: { Records: DeadLetterRecord[] },
  options: DeadLetterOptions,
): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const failures: Array<{ itemIdentifier: string }> = [];
  const { log } = options;
  for (const record of event.Records) {
    const message = parseBudgetMessage(record.body);
    const queue = sourceOf(record, message);
    /** One dead letter handled: counted once in the metric (its alarm), whatever became of it. */
    const counted = (outcome: string) => ({
      messageId: record.messageId,
      outcome,
      // By queue (which Task), and by stage alone: the one alarm of the stage.
      ...metricFields(
        BUDGET_DELIVERY_FAILED_METRIC,
        { Stage: options.stage, Queue: queue },
        (options.now ?? Date.now)(),
        { rollups: [["Stage"]] },
      ),
    });
    if (!message) {
      log.error("budget dead letter without a task token: nothing to fail, dropped", counted("dropped"));
      continue;
    }
    const error = new BudgetDeliveryFailed(queue, BUDGET_MAX_DELIVERIES);
    try {
      await options.fail(message.taskToken, error.name, lambdaCause(error));
      log.error(
        "budget message dead-lettered: its Task failed now with BudgetDeliveryFailed",
        counted("failed"),
      );
    } catch (failure) {
      if (isLateTokenError(failure)) {
        log.warn("budget dead letter whose task is no longer waiting: dropped", counted("late"));
        continue;
      }
      // Step Functions failed: the message stays in the dead-letter queue (its alarm) and comes back.
      log.error("budget dead letter not answered; it will be delivered again", {
        messageId: record.messageId,
        queue,
        errorType: (failure as Error).name,
        errorMessage: (failure as Error).message,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
