import { createHash } from "node:crypto";
import { executionNameOf } from "@leadrelay/core";

/**
 * Where the flow keeps things, and the business key every one of them derives from. The raw
 * body's key is the business key itself (not a hash of the body): a redelivery lands on the
 * object the first delivery stored, and whoever holds an execution name (the console, a replay)
 * finds the deal that started it without a lookup.
 */

export const FLOW_ID = "deal-stage";
export const SOURCE_ID = "crm";

/** `deal-{dealId}-{status}`: one execution per deal and stage (sanitised, at most 64 characters). */
export const dealBusinessKey = (dealId: string, status: string) =>
  executionNameOf(["deal", dealId, status.toLowerCase()]);

export const DEAL_PREFIX = `sources/${SOURCE_ID}/deals/`;
export const REJECTED_PREFIX = `sources/${SOURCE_ID}/rejected/`;
export const CONVERSION_MARKER_PREFIX = `flows/${FLOW_ID}/conversions/`;
export const EMAIL_MARKER_PREFIX = `flows/${FLOW_ID}/emails/`;

export const dealRawKey = (businessKey: string) => `${DEAL_PREFIX}${businessKey}.json`;

/** `{time}-{hash}`: sortable by arrival, and two different bodies never share a key. */
export function rejectedKey(body: Uint8Array, now: number): string {
  const time = new Date(now)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
  return `${REJECTED_PREFIX}${time}-${hash}.json`;
}

/** One Conversions API event per deal and stage. */
export const conversionMarkerKey = (businessKey: string) => `${CONVERSION_MARKER_PREFIX}${businessKey}.json`;
/** One property email per committed deal. */
export const emailMarkerKey = (businessKey: string) => `${EMAIL_MARKER_PREFIX}${businessKey}.json`;
