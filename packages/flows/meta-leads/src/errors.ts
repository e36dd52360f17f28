/**
 * meta-leads' own error names (the ASL's Retry/Catch match them). Core's cover the rest:
 * RawEventMissing, StorageUnavailable, GraphLeadInvalid and the outbound errors.
 */

/** The stored delivery has no leadgen change for this lead where the execution says. Not retried. */
export class MetaChangeInvalid extends Error {
  override readonly name = "MetaChangeInvalid";
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Stored delivery ${key}: ${detail}`, options);
  }
}

export const TaskErrorNames = ["MetaChangeInvalid", "GraphLeadInvalid"] as const;

/** The Fail states of meta-leads.asl.json: what an operator sees on a failed execution. */
export const FailureNames = {
  ChangeMissing: "ChangeMissing",
  LeadNotFetched: "LeadNotFetched",
  MembershipLookupFailed: "MembershipLookupFailed",
  PublishFailed: "PublishFailed",
} as const;
