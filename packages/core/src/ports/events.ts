/** A business event on the stage's bus (EventBridge on AWS, the `events` stand-in locally). */
export interface BusinessEvent {
  /** e.g. `leadrelay.meta-leads` */
  source: string;
  /** e.g. `meta-lead.pending`: subscribers match on it. */
  detailType: string;
  detail: Record<string, unknown>;
}

/**
 * Throws ServiceRateLimited (throttled), ServiceUnavailable (5xx, no answer; `unanswered` when the
 * event may have been put) or ServiceRejected (a missing bus, access denied, a malformed detail).
 */
export interface EventPublisher {
  publish(event: BusinessEvent): Promise<{ eventId: string }>;
}
