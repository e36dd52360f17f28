import { SendTaskFailureCommand, SFNClient } from "@aws-sdk/client-sfn";
import { lambdaAwsConfig } from "./aws-clients";
import { type DeadLetterRecord, failDeadLetters } from "./budget-dead-letters";
import { createLogger } from "./log";
import { stageOf } from "./metric-line";

/**
 * The Lambda of the budget queues' dead-letter queues (stacks/vendor-budgets.ts): one per stage,
 * allowed `states:SendTaskFailure` on the state machines whose queues feed it, and nothing else.
 * Not a `lambdaHandler`: that one routes SQS events to a Task's budget consumer.
 */

const log = createLogger("budget-dead-letters");
let sfn: SFNClient | undefined;

export async function handler(event: { Records: DeadLetterRecord[] }) {
  sfn ??= new SFNClient(lambdaAwsConfig("sfn") as Record<string, unknown>);
  const client = sfn;
  return failDeadLetters(event, {
    log,
    stage: stageOf(process.env),
    fail: async (taskToken, error, cause) => {
      await client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32_768) }));
    },
  });
}
