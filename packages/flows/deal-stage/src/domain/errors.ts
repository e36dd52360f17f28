/**
 * The deal-stage flow's own error names (the ASL names them; `flow.ts` lists them for the contract
 * test). Core's `RawEventMissing` covers a stored deal that is gone.
 */

/** The stored deal no longer parses as the deal that started the execution (edited, or another stage). */
export class DealRecordInvalid extends Error {
  override readonly name = "DealRecordInvalid";
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Stored deal ${key} is not usable: ${detail}`, options);
  }
}

/**
 * An earlier attempt began the call and never confirmed it (the Lambda was cut off mid-call): the
 * vendor may have acted. Not retried and not repeated; the execution fails so that someone looks.
 */
export class OutcomeUncertain extends Error {
  override readonly name = "OutcomeUncertain";
  constructor(
    readonly markerKey: string,
    readonly since: string,
    vendor: string,
    options?: ErrorOptions,
  ) {
    super(
      `An earlier attempt began at ${since} and never confirmed: check ${vendor}, then delete ${markerKey} and replay to send again`,
      options,
    );
  }
}

export const DEAL_STAGE_ERROR_NAMES = ["DealRecordInvalid", "OutcomeUncertain"] as const;

/** The Fail states' names: the verdicts an operator sees on a failed execution. */
export const DealStageFailures = {
  LeadEventRejected: "LeadEventRejected",
  LeadEventFailed: "LeadEventFailed",
  CommittedActionsFailed: "CommittedActionsFailed",
  DealStageFailed: "DealStageFailed",
} as const;
