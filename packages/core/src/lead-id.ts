import { businessKeyOfExecutionName } from "./execution-name";

/**
 * Lead ids become S3 keys and execution names, so only Close's own shape is accepted:
 * `lead_` followed by letters and digits. Execution names are limited to 80 characters and
 * replays append a suffix, hence the 64-character cap.
 */
export const LEAD_ID_PATTERN = /^lead_[A-Za-z0-9]+$/;
export const LEAD_ID_MAX_LENGTH = 64;

export function isValidLeadId(value: unknown): value is string {
  return typeof value === "string" && value.length <= LEAD_ID_MAX_LENGTH && LEAD_ID_PATTERN.test(value);
}

/** Raw webhook body as received, byte for byte. */
export const rawEventKey = (leadId: string) => `crm_event_${leadId}.json`;
/** Merged record written by MergeAndStore. */
export const enrichedKey = (leadId: string) => `enriched/crm_event_${leadId}.json`;
/** Notification marker: makes NotifySlack at most once across retries and replays. */
export const notifiedKey = (leadId: string) => `notified/${leadId}.json`;

/** The lead of an announce or triage execution (replays carry a suffix). */
export const leadIdOfExecutionName = businessKeyOfExecutionName;
/** Marker of the "still no owner" notice, so a retried report does not post twice either. */
export const unassignedNoticeKey = (leadId: string) => `notified/${leadId}.unassigned.json`;
