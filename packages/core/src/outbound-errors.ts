/**
 * What an outbound call to a vendor can end in, as errors with literal names: the ASL of every flow
 * retries `ServiceRateLimited` and `ServiceUnavailable` with backoff and lets `ServiceRejected` and
 * `ServiceQuotaExhausted` fail at once. The vendor is in `service` and in the message, so the
 * execution history says which one and why (status, vendor code, Retry-After).
 */

export interface OutboundFailure {
  /** The vendor, as its stand-in slug names it ("twilio", "close", "hubspot"…). */
  service: string;
  /** HTTP status when the vendor answered. */
  status?: number;
  /** The vendor's own error code when it gave one (Twilio 20429, Graph 190, HubSpot policyName…). */
  code?: string;
  detail: string;
  /**
   * The request may have reached the vendor but no answer came back (a timeout, a connection cut
   * mid-call): the vendor may have acted. Side effects without an idempotency key are then not repeated.
   */
  unanswered?: boolean;
}

function describe(failure: OutboundFailure, verdict: string): string {
  const code = failure.code ? `, code ${failure.code}` : "";
  const status = failure.status === undefined ? "" : ` (HTTP ${failure.status}${code})`;
  return `${failure.service} ${verdict}${status}: ${failure.detail}`.slice(0, 1000);
}

/** The fields every outbound failure carries; the subclasses only name the verdict. */
export abstract class OutboundCallError extends Error {
  readonly service: string;
  readonly status?: number;
  readonly code?: string;
  readonly unanswered: boolean;
  constructor(failure: OutboundFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.service = failure.service;
    this.status = failure.status;
    this.code = failure.code;
    this.unanswered = failure.unanswered === true;
  }
}

/** The vendor asked us to slow down (429, or a throttling code). `retryAfterSeconds` is what it asked for. */
export class ServiceRateLimited extends OutboundCallError {
  override readonly name = "ServiceRateLimited";
  constructor(
    failure: OutboundFailure,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    const after = retryAfterSeconds === undefined ? "" : `; Retry-After ${retryAfterSeconds}s`;
    super(failure, `${describe(failure, "rate limited the call")}${after}`, options);
  }
}

/** 5xx, a timeout, a refused connection, a transient vendor code: worth retrying. */
export class ServiceUnavailable extends OutboundCallError {
  override readonly name = "ServiceUnavailable";
  constructor(failure: OutboundFailure, options?: ErrorOptions) {
    super(failure, describe(failure, "is unavailable"), options);
  }
}

/** The vendor refused the call for good (bad input, bad credentials, not found): retrying cannot help. */
export class ServiceRejected extends OutboundCallError {
  override readonly name = "ServiceRejected";
  constructor(failure: OutboundFailure, options?: ErrorOptions) {
    super(failure, describe(failure, "rejected the call"), options);
  }
}

/** A daily or billing quota is used up: retrying within minutes would only hammer the vendor. */
export class ServiceQuotaExhausted extends OutboundCallError {
  override readonly name = "ServiceQuotaExhausted";
  constructor(failure: OutboundFailure, options?: ErrorOptions) {
    super(failure, describe(failure, "quota is used up"), options);
  }
}

export const OutboundErrorNames = [
  "ServiceRateLimited",
  "ServiceUnavailable",
  "ServiceRejected",
  "ServiceQuotaExhausted",
] as const;
