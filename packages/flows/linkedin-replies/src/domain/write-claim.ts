/**
 * HubSpot has no idempotency key and does not dedupe deals or notes, so each create is claimed
 * first: a conditional "writing" marker in storage, turned into "written" with the object's id.
 * This is the pure part: reading a marker, and deciding whether a claim left "writing" may be
 * taken over.
 */
export interface WriteClaim {
  status: "writing" | "written";
  /** ISO time the claim was made (or the write confirmed). */
  at: string;
  /** The reply (business key) whose execution made the claim. */
  by: string;
  /** The HubSpot id once written. */
  id?: string;
}

export function parseClaim(text: string | undefined): WriteClaim | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<WriteClaim>;
    if ((value.status === "writing" || value.status === "written") && typeof value.at === "string") {
      return {
        status: value.status,
        at: value.at,
        by: typeof value.by === "string" ? value.by : "",
        ...(typeof value.id === "string" && value.id !== "" ? { id: value.id } : {}),
      };
    }
  } catch {
    // an unreadable marker is treated as a stale claim
  }
  return { status: "writing", at: new Date(0).toISOString(), by: "" };
}

/**
 * A "writing" claim whose write HubSpot does not show may be written again when:
 * - it is our own (this reply's earlier attempt, or a redrive of it: Step Functions runs one attempt
 *   at a time) and the lookup is consistent with writes (associations, not search); or
 * - it is older than `staleAfterMs`: its Lambda is long gone (a Lambda gives up after 20 s), and a
 *   lagging search has had time to catch up.
 * Otherwise another attempt may still be writing: wait (the ASL retries later).
 */
export function mayTakeOver(
  claim: WriteClaim,
  options: { owner: string; now: number; staleAfterMs: number; consistentLookup: boolean },
): boolean {
  if (claim.status !== "writing") return false;
  if (options.consistentLookup && claim.by === options.owner) return true;
  const at = Date.parse(claim.at);
  return Number.isNaN(at) || options.now - at > options.staleAfterMs;
}
