/**
 * The errors this flow's handlers throw besides core's outbound ones; each literal `name` is what
 * the ASL's Retry/Catch match.
 */

/** The stored delivery is missing or no longer reads as a reply: a person has to look, not a retry. */
export class ReplyUnreadable extends Error {
  override readonly name = "ReplyUnreadable";
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`The reply at ${key} cannot be read: ${detail}`, options);
  }
}

/** Neither an email nor a LinkedIn profile: HubSpot has nothing to match a contact on. */
export class ReplyWithoutIdentity extends Error {
  override readonly name = "ReplyWithoutIdentity";
  constructor(
    readonly replyRef: string,
    options?: ErrorOptions,
  ) {
    super(
      `Reply ${replyRef} has no email and no LinkedIn URL (nor does LGM know one): no contact to write to`,
      options,
    );
  }
}

/**
 * Another attempt began this HubSpot write and has not confirmed it, and HubSpot does not show it
 * yet: retried later (by then the write is visible, or the claim is stale and taken over).
 */
export class HubSpotWritePending extends Error {
  override readonly name = "HubSpotWritePending";
  constructor(
    readonly what: string,
    readonly since: string,
    options?: ErrorOptions,
  ) {
    super(
      `${what}: another attempt started writing it at ${since} and HubSpot does not show it yet`,
      options,
    );
  }
}

/** Names only the state machine's Fail states raise. */
export const LinkedInRepliesFailures = [
  "ReplyUnreadable",
  "ReplyWithoutIdentity",
  "HubSpotRejected",
  "HubSpotQuotaExhausted",
  "HubSpotWriteUncertain",
  "LinkedInReplyFailed",
] as const;

export const LinkedInRepliesErrorNames = [
  "ReplyUnreadable",
  "ReplyWithoutIdentity",
  "HubSpotWritePending",
  ...LinkedInRepliesFailures,
] as const;
