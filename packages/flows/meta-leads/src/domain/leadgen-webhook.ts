import { digitsOf, JsonPrecisionUnavailable, parseJsonKeepingLargeIntegers } from "@leadrelay/core";

/**
 * Meta's Page webhook as the meta-leads source reads it: `{ object: "page", entry: [{ id, time,
 * changes: [{ field: "leadgen", value: { leadgen_id, page_id, form_id, ad_id, adgroup_id,
 * created_time } }] }] }`. One POST may carry several entries, each with several changes; ids may
 * be JSON numbers beyond Number.MAX_SAFE_INTEGER, so they are read from the source text.
 */

/** Lead ids have 15–17 digits; Meta's own sample uses 12. Anything longer is not an id. */
const MAX_ID_DIGITS = 20;

/** One `leadgen` change: where it is in the payload and the ids it names. */
export interface LeadgenChange {
  leadgenId: string;
  /** Index in `entry[]` and in that entry's `changes[]`. */
  entry: number;
  change: number;
  pageId?: string;
  formId?: string;
  adId?: string;
  adgroupId?: string;
  /** Unix seconds, as the webhook sends it. */
  createdTime?: number;
}

export interface MalformedChange {
  entry: number;
  change: number;
  reason: string;
}

export type LeadgenPayload =
  | { kind: "invalid"; reason: string }
  | { kind: "ignored"; reason: string }
  | {
      kind: "leads";
      /** One per distinct leadgen id, in payload order. */
      leads: LeadgenChange[];
      /** `leadgen` changes without a readable lead id. */
      malformed: MalformedChange[];
      /** Changes of other fields (acknowledged and ignored). */
      otherChanges: number;
    };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The payload as JSON with its large integers kept, or why it cannot be read. */
export function parsePayload(text: string): { ok: true; json: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, json: parseJsonKeepingLargeIntegers(text) };
  } catch (error) {
    if (error instanceof JsonPrecisionUnavailable) throw error;
    return { ok: false, reason: "body is not JSON" };
  }
}

/** A leadgen change's ids, or why they cannot be read. */
export function readLeadgenChange(
  value: unknown,
  entry: number,
  change: number,
): LeadgenChange | MalformedChange {
  if (!isObject(value)) return { entry, change, reason: "value is not an object" };
  const leadgenId = digitsOf(value.leadgen_id, MAX_ID_DIGITS);
  if (!leadgenId) return { entry, change, reason: "leadgen_id is not an id" };
  const lead: LeadgenChange = { leadgenId, entry, change };
  const ids = [
    ["pageId", value.page_id],
    ["formId", value.form_id],
    ["adId", value.ad_id],
    ["adgroupId", value.adgroup_id],
  ] as const;
  for (const [name, raw] of ids) {
    const id = digitsOf(raw, MAX_ID_DIGITS);
    if (id) lead[name] = id;
  }
  if (typeof value.created_time === "number" && Number.isSafeInteger(value.created_time)) {
    lead.createdTime = value.created_time;
  }
  return lead;
}

/** Every leadgen change of a delivery, deduplicated by lead id. */
export function readLeadgenPayload(text: string): LeadgenPayload {
  const parsed = parsePayload(text);
  if (!parsed.ok) return { kind: "invalid", reason: parsed.reason };
  const payload = parsed.json;
  if (!isObject(payload)) return { kind: "invalid", reason: "body must be a JSON object" };
  if (typeof payload.object !== "string") return { kind: "invalid", reason: "object must be a string" };
  if (!Array.isArray(payload.entry)) return { kind: "invalid", reason: "entry must be an array" };
  if (payload.object !== "page")
    return { kind: "ignored", reason: `object ${payload.object.slice(0, 40)} is not page` };

  const leads: LeadgenChange[] = [];
  const malformed: MalformedChange[] = [];
  const seen = new Set<string>();
  let otherChanges = 0;
  payload.entry.forEach((entry, entryIndex) => {
    const changes = isObject(entry) && Array.isArray(entry.changes) ? entry.changes : [];
    changes.forEach((change, changeIndex) => {
      if (!isObject(change) || change.field !== "leadgen") {
        otherChanges++;
        return;
      }
      const read = readLeadgenChange(change.value, entryIndex, changeIndex);
      if ("reason" in read) malformed.push(read);
      else if (!seen.has(read.leadgenId)) {
        seen.add(read.leadgenId);
        leads.push(read);
      }
    });
  });
  if (leads.length === 0 && malformed.length === 0) {
    return { kind: "ignored", reason: otherChanges > 0 ? "no leadgen change" : "no change at all" };
  }
  return { kind: "leads", leads, malformed, otherChanges };
}

/** The change at `entry[i].changes[j]` of a stored payload, as JSON (large integers as their digits). */
export function changeAt(text: string, entry: number, change: number): unknown {
  const parsed = parsePayload(text);
  if (!parsed.ok || !isObject(parsed.json) || !Array.isArray(parsed.json.entry)) return undefined;
  const item = parsed.json.entry[entry];
  if (!isObject(item) || !Array.isArray(item.changes)) return undefined;
  return item.changes[change];
}
