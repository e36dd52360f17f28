import { OutboundErrorNames } from "./outbound-errors";

/**
 * Errors carry a literal `name`: Lambda reports it as the error type, and the ASL's
 * `Retry`/`Catch` `ErrorEquals` match on it. A test asserts that every name used in the
 * state machine definition exists here.
 */

/** The owner file does not exist yet (403/404): retried by the state machine with a long backoff. */
export class OwnerNotAssigned extends Error {
  override readonly name = "OwnerNotAssigned";
  constructor(
    readonly leadId: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(`No owner file for ${leadId} yet (HTTP ${status})`, options);
  }
}

/** The owner directory answered 5xx, timed out or could not be reached: retried, shorter. */
export class OwnerLookupUnavailable extends Error {
  override readonly name = "OwnerLookupUnavailable";
  constructor(
    readonly leadId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Owner lookup for ${leadId} failed: ${detail}`, options);
  }
}

/** The owner file exists but is not an owner record. Not retried: a person has to look. */
export class OwnerRecordInvalid extends Error {
  override readonly name = "OwnerRecordInvalid";
  constructor(
    readonly leadId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Owner file for ${leadId} is not valid: ${detail}`, options);
  }
}

/** Slack answered 429. `retryAfterSeconds` is what Slack asked for (shown in the history). */
export class SlackRateLimited extends Error {
  override readonly name = "SlackRateLimited";
  constructor(
    readonly retryAfterSeconds: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `Slack rate limited the post${retryAfterSeconds === undefined ? "" : `; Retry-After ${retryAfterSeconds}s`}`,
      options,
    );
  }
}

/** Slack answered 5xx or could not be reached: retried. */
export class SlackUnavailable extends Error {
  override readonly name = "SlackUnavailable";
  constructor(detail: string, options?: ErrorOptions) {
    super(`Slack is unavailable: ${detail}`, options);
  }
}

/** Slack refused the post for good (400/403/404/410): not retried. */
export class SlackRejected extends Error {
  override readonly name = "SlackRejected";
  constructor(
    readonly status: number,
    readonly body: string,
    options?: ErrorOptions,
  ) {
    super(`Slack rejected the post with HTTP ${status}: ${body.slice(0, 200)}`, options);
  }
}

/** The raw webhook object the execution points at is not in storage. */
export class RawEventMissing extends Error {
  override readonly name = "RawEventMissing";
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`Raw event ${key} is not in storage`, options);
  }
}

/** The stored raw event is not a Close lead webhook any more (corrupted or hand-edited). */
export class RawEventInvalid extends Error {
  override readonly name = "RawEventInvalid";
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Raw event ${key} is not a valid Close lead event: ${detail}`, options);
  }
}

/**
 * An earlier attempt began posting and never confirmed (a Lambda cut off mid-post): the lead may
 * or may not be in the channel. Not posted again, and not silent either: the execution fails under
 * this name so the failure alert reaches someone who can check the channel.
 */
export class NotificationUncertain extends Error {
  override readonly name = "NotificationUncertain";
  constructor(
    readonly markerKey: string,
    readonly since: string,
    options?: ErrorOptions,
  ) {
    super(
      `A notification began at ${since} and was never confirmed (${markerKey}): not posted again; check the channel`,
      options,
    );
  }
}

/** Object storage failed in a way worth retrying (5xx, throttling, network). */
export class StorageUnavailable extends Error {
  override readonly name = "StorageUnavailable";
  constructor(detail: string, options?: ErrorOptions) {
    super(`Storage is unavailable: ${detail}`, options);
  }
}

/**
 * A budgeted Task's message could not be handled by its consumer (stacks/vendor-budgets.ts: five
 * deliveries, then its dead-letter queue): the Task is failed at once under this name instead of
 * waiting out its callback timeout. Not retried by any Task: a consumer that failed five times
 * would fail again; the cause names the queue whose consumer's log says why.
 */
export class BudgetDeliveryFailed extends Error {
  override readonly name = "BudgetDeliveryFailed";
  constructor(
    readonly queueName: string,
    readonly deliveries: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `The budget queue ${queueName} could not deliver this Task's call: its consumer failed on ${deliveries ? `all ${deliveries} deliveries` : "every delivery"} (see that Task's Lambda log); failed now instead of at the Task's timeout`,
      options,
    );
  }
}

/**
 * Names that only the state machine raises (`Fail` states): the terminal verdicts an
 * operator sees on a failed execution.
 */
export const FailureNames = {
  OwnerNeverAssigned: "OwnerNeverAssigned",
  OwnerLookupFailed: "OwnerLookupFailed",
  SlackRejected: "SlackRejected",
  SlackUnavailable: "SlackUnavailable",
  NotificationUncertain: "NotificationUncertain",
  RawEventMissing: "RawEventMissing",
  PipelineFailed: "PipelineFailed",
} as const;

/** Every error name a Lambda of leadrelay can raise on purpose. */
export const TaskErrorNames = [
  "OwnerNotAssigned",
  "OwnerLookupUnavailable",
  "OwnerRecordInvalid",
  "SlackRateLimited",
  "SlackUnavailable",
  "SlackRejected",
  "RawEventMissing",
  "RawEventInvalid",
  "StorageUnavailable",
  "NotificationUncertain",
] as const;
export type TaskErrorName = (typeof TaskErrorNames)[number];

/** Every error name leadrelay's shared kit defines, for the ASL contract test (flows add their own). */
export const KnownErrorNames: ReadonlySet<string> = new Set<string>([
  ...TaskErrorNames,
  ...OutboundErrorNames,
  ...Object.values(FailureNames),
]);
