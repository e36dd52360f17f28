/**
 * "Why not?" in words for the named errors of the pipeline (the ASL contract names, see
 * @leadrelay/core errors.ts), and what an operator can do about each.
 */
const EXPLANATIONS: Record<string, string> = {
  OwnerNeverAssigned:
    "No owner file appeared for this lead through every FetchOwner retry, so the lead was never announced. Assign an owner in Close (its owner file must exist), then redrive.",
  OwnerLookupFailed:
    "The owner server kept failing (5xx or timeouts) through every retry. Check OWNER_BASE_URL and the owner bucket, then redrive.",
  SlackRejected:
    "Slack refused the message for good (a 4xx: the webhook was revoked or the payload is invalid). Fix SLACK_WEBHOOK_URL, then redrive.",
  SlackUnavailable:
    "Slack kept failing or rate-limiting through every retry. Redrive once Slack answers again.",
  RawEventMissing:
    "The stored webhook body is missing or unreadable, so there is nothing to relay. Close's own retry (or a re-sent webhook) is the fix, not a redrive.",
  PipelineFailed:
    "An unexpected error stopped the pipeline; the cause below says which. Redrive after fixing it.",
  OwnerNotAssigned:
    "The owner file does not exist yet (403/404): nobody owns the lead in Close yet. Retried with backoff.",
  OwnerLookupUnavailable: "The owner server did not answer (5xx or timeout). Retried.",
  OwnerRecordInvalid: "The owner file is not valid JSON of the expected shape.",
  SlackRateLimited: "Slack answered 429 (rate limited). Retried with backoff.",
  StorageUnavailable: "S3 failed (5xx, throttling or network). Retried.",
  RawEventInvalid: "The stored webhook body is not a Close lead event.",
  "States.Timeout": "The Lambda did not finish within its timeout.",
  BudgetDeliveryFailed:
    "The Task waited for its vendor budget on AWS, and its queue's consumer failed on every delivery (SQS, Step Functions or DynamoDB failing, or the Lambda crashing or timing out): the Task was failed at once instead of after its hour-long timeout. Read the Task's Lambda log, fix the cause, then redrive.",
};

export function explain(error: string | undefined): string | undefined {
  return error === undefined ? undefined : EXPLANATIONS[error];
}
