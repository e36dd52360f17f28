import { createHash } from "node:crypto";
import { executionNameOf } from "@leadrelay/core";

/**
 * Storage keys. Raw deliveries live under the source (`sources/lgm/…`), what the flow writes under
 * `flows/linkedin-replies/…`: each Task's IAM grant is one of these prefixes.
 */
export const SOURCE_PREFIX = "sources/lgm";
export const FLOW_PREFIX = "flows/linkedin-replies";

const SAFE = /^[A-Za-z0-9_-]{1,64}$/;
const digest = (value: string, length: number) =>
  createHash("sha256").update(value, "utf8").digest("hex").slice(0, length);

/** A key segment from a vendor id: as is when it is plain, otherwise its readable head and a hash. */
export function keySegment(value: string): string {
  if (SAFE.test(value)) return value;
  const head = value.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40);
  return `${head}-${digest(value, 16)}`;
}

/** The execution name of a reply: its business key (`lgm-{conversation}-{message}`). */
export const replyExecutionName = (conversationKey: string, messageKey: string) =>
  executionNameOf(["lgm", conversationKey, messageKey]);

export const rawReplyKey = (conversationKey: string, messageKey: string) =>
  `${SOURCE_PREFIX}/${keySegment(conversationKey)}/${keySegment(messageKey)}.json`;
/** Every raw delivery of a conversation: what the LGM stand-in lists. */
export const rawConversationPrefix = (conversationKey: string) =>
  `${SOURCE_PREFIX}/${keySegment(conversationKey)}/`;
/** A reply that could not be keyed, kept by its content hash (a redelivery finds it there). */
export const rejectedDeliveryKey = (body: Uint8Array) =>
  `${SOURCE_PREFIX}/rejected/${createHash("sha256").update(body).digest("hex").slice(0, 32)}.json`;

/** The reply as FetchConversation settled it (text included): AddNote reads it, the state carries its key. */
export const replyRecordKey = (conversationKey: string, messageKey: string) =>
  `${FLOW_PREFIX}/replies/${keySegment(conversationKey)}/${keySegment(messageKey)}.json`;
/** LinkedIn profile → the HubSpot contact this flow matched or created for it. */
export const linkedinContactKey = (linkedinUrl: string) =>
  `${FLOW_PREFIX}/contacts/linkedin/${digest(linkedinUrl, 32)}.json`;
/** At most one deal per contact and campaign. */
export const dealMarkerKey = (contactId: string, campaignKey: string) =>
  `${FLOW_PREFIX}/deals/${keySegment(contactId)}/${digest(campaignKey, 24)}.json`;
/** At most one note per reply. */
export const noteMarkerKey = (conversationKey: string, messageKey: string) =>
  `${FLOW_PREFIX}/notes/${keySegment(conversationKey)}/${keySegment(messageKey)}.json`;

/** IAM patterns of the keys above. */
export const KEY_PATTERNS = {
  raw: `${SOURCE_PREFIX}/*`,
  replies: `${FLOW_PREFIX}/replies/*`,
  contacts: `${FLOW_PREFIX}/contacts/*`,
  deals: `${FLOW_PREFIX}/deals/*`,
  notes: `${FLOW_PREFIX}/notes/*`,
} as const;
