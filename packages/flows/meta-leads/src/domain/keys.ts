/**
 * Where meta-leads keeps things: the source's raw bodies under `sources/meta/`, the flow's per-lead
 * records under `flows/meta-leads/<leadgen_id>/` (IAM grants each function only its patterns).
 */

export const FLOW_ID = "meta-leads";
export const SOURCE_ID = "meta";

/** A delivery, byte for byte, named by the SHA-256 of its bytes: a redelivery finds it there. */
export const rawPayloadKey = (sha256: string) => `sources/${SOURCE_ID}/${sha256}.json`;
/** A signed delivery with leadgen changes none of which could be read: kept for a person to look at. */
export const rejectedPayloadKey = (sha256: string) => `sources/${SOURCE_ID}/rejected/${sha256}.json`;

export type LeadRecord = "change" | "lead" | "category" | "published";
/** `change`: the webhook's change; `lead`: what Graph returned; `category`; `published`: Publish's marker. */
export const leadRecordKey = (leadgenId: string, record: LeadRecord) =>
  `flows/${FLOW_ID}/${leadgenId}/${record}.json`;

export const RAW_PAYLOADS = `sources/${SOURCE_ID}/*`;
export const leadRecords = (record: LeadRecord) => leadRecordKey("*", record);
