import { createHash } from "node:crypto";
import { cleanName, normalizeEmail, normalizeLinkedinUrl } from "./contact-identity";

/*
 * ASSUMPTIONS, TO CORRECT WITH A CAPTURED DELIVERY.
 *
 * La Growth Machine does not document the body of its inbox webhooks: its own n8n trigger forwards
 * it untouched and no public sample exists (shared/research/integrations.md §6). What is known is
 * the vocabulary of its API (conversationId, leadId, proEmail/persoEmail, linkedinUrl, firstname,
 * lastname, lastMessageStatus RECEIVED|SENT, lastMessageType LINKEDIN|EMAIL). Everything this flow
 * assumes about the webhook body — and about the API's message and lead bodies — is in this file:
 * the field paths below, tried in order, and the shapes in fixtures/lgm/*.json that the tests run
 * through them. When a real delivery is captured, add it to fixtures/lgm/, add it to the tests, and
 * correct the paths here; nothing else in the flow reads LGM's field names.
 */

/** Envelopes a delivery may wrap its fields in; the body itself is tried first. */
export const ASSUMED_ENVELOPES = ["data", "payload", "body", "event"] as const;

/** Where each field may be, in order of preference, inside the body or one of its envelopes. */
export const ASSUMED_FIELDS = {
  conversationId: [
    "conversationId",
    "conversation_id",
    "conversation.id",
    "conversation._id",
    "message.conversationId",
    "lastMessage.conversationId",
  ],
  messageId: ["messageId", "message_id", "message.id", "message._id", "lastMessage.id", "lastMessageId"],
  text: [
    "message.text",
    "message.content",
    "message.body",
    "message.message",
    "lastMessage.text",
    "lastMessage.content",
    "messageText",
    "message_text",
    "text",
    "content",
    "message",
    "body",
    "replyText",
  ],
  sentAt: [
    "message.createdAt",
    "message.sentAt",
    "message.date",
    "message.timestamp",
    "lastMessage.createdAt",
    "lastMessageAt",
    "lastMessageDate",
    "messageDate",
    "sentAt",
    "createdAt",
    "date",
    "timestamp",
  ],
  /** A direction or a delivery status: RECEIVED/INBOUND is the lead's, SENT/OUTBOUND ours. */
  direction: [
    "direction",
    "message.direction",
    "messageDirection",
    "status",
    "message.status",
    "messageStatus",
    "lastMessageStatus",
    "lastMessage.status",
  ],
  /** Booleans saying the message came from the lead. (`leadReplied` is not one: it is about the conversation.) */
  fromLead: [
    "fromLead",
    "isFromLead",
    "message.fromLead",
    "message.isFromLead",
    "inbound",
    "isInbound",
    "isReply",
  ],
  eventType: ["eventType", "event_type", "event", "type", "trigger", "webhookType"],
  channel: ["channel", "message.type", "messageType", "lastMessageType", "message.channel", "type"],
  leadId: ["leadId", "lead_id", "lead.id", "lead._id", "message.leadId"],
  /** The professional address first: the CRM is a sales CRM. */
  email: ["proEmail", "lead.proEmail", "persoEmail", "lead.persoEmail", "email", "lead.email", "leadEmail"],
  linkedinUrl: [
    "linkedinUrl",
    "linkedinURL",
    "linkedin_url",
    "linkedin",
    "linkedinProfileUrl",
    "profileUrl",
    "lead.linkedinUrl",
    "lead.linkedinURL",
    "lead.linkedin_url",
    "lead.linkedin",
    "lead.profileUrl",
  ],
  firstname: ["firstname", "firstName", "first_name", "lead.firstname", "lead.firstName", "lead.first_name"],
  lastname: ["lastname", "lastName", "last_name", "lead.lastname", "lead.lastName", "lead.last_name"],
  campaign: [
    "campaignName",
    "campaign_name",
    "campaign.name",
    "campaign",
    "lead.campaignName",
    "audienceName",
    "audience.name",
  ],
  campaignId: ["campaignId", "campaign_id", "campaign.id", "campaign._id", "lead.campaignId"],
} as const;

const INBOUND = /^(received|inbound|incoming|in|reply|replied|answered|lead_replied)$/i;
const OUTBOUND =
  /^(sent|send_failed|sending|outbound|outgoing|out|delivered|scheduled|queued|bounced|failed)$/i;
const REPLY_EVENT = /repl(y|ied)|received|inbound|incoming/i;
const NOT_REPLY_EVENT = /sent|outbound|outgoing|send/i;
const CHANNEL = /^(linkedin|email|inmail|voice|lgm)$/i;

/** What a reply says, whatever the shape it came in. Every field is cleaned and bounded. */
export interface LgmReplyFields {
  conversationId?: string;
  messageId?: string;
  leadId?: string;
  text: string;
  /** ISO 8601 UTC. */
  sentAt?: string;
  channel?: string;
  email?: string;
  linkedinUrl?: string;
  firstname?: string;
  lastname?: string;
  campaign?: string;
  campaignId?: string;
}

export type LgmDelivery =
  | { kind: "invalid"; reason: string }
  /** Sent by us, or not a message event: nothing to do. */
  | { kind: "ignored"; reason: string }
  /**
   * A reply we cannot key (no conversation, no lead) or whose ids are not well-formed Unicode (a lone
   * surrogate cannot be put in LGM's URL): kept for a person, and for correcting this file.
   */
  | { kind: "unkeyed"; reason: string }
  | { kind: "reply"; fields: LgmReplyFields; conversationKey: string; messageKey: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `a.b.c` through own properties only (a hostile `__proto__` key leads nowhere). */
function at(scope: Json, path: string): unknown {
  let value: unknown = scope;
  for (const key of path.split(".")) {
    if (!isObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** C0/C1 controls (but tab and newline) and the bidi overrides that can make text read otherwise. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function textOf(value: unknown, max: number): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value !== "string") return undefined;
  const text = value.replace(/\r\n?/g, "\n").replace(UNPRINTABLE, "").trim();
  return text === "" ? undefined : text.slice(0, max);
}

const idOf = (value: unknown) => textOf(value, 200)?.replace(/\s+/g, " ");

/** ISO 8601 from an ISO string, epoch milliseconds or epoch seconds; nothing outside 2000–2100. */
export function timeOf(value: unknown): string | undefined {
  let ms: number | undefined;
  const numeric =
    typeof value === "string" && /^\d{9,14}(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof numeric === "number" && Number.isFinite(numeric)) ms = numeric < 1e11 ? numeric * 1000 : numeric;
  else if (typeof value === "string") ms = Date.parse(value);
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  if (ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2100, 0, 1)) return undefined;
  return new Date(ms).toISOString();
}

type FieldName = keyof typeof ASSUMED_FIELDS;

function firstOf<T>(scopes: readonly Json[], field: FieldName, read: (value: unknown) => T | undefined) {
  for (const scope of scopes) {
    for (const path of ASSUMED_FIELDS[field]) {
      const value = read(at(scope, path));
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return undefined;
}

/** The fields of one record (a delivery with its envelopes, or one message or lead of the API). */
export function fieldsOf(scopes: readonly Json[]): LgmReplyFields {
  const fields: LgmReplyFields = {
    conversationId: firstOf(scopes, "conversationId", idOf),
    messageId: firstOf(scopes, "messageId", idOf),
    leadId: firstOf(scopes, "leadId", idOf),
    text: firstOf(scopes, "text", (value) => textOf(value, 20_000)) ?? "",
    sentAt: firstOf(scopes, "sentAt", timeOf),
    channel: firstOf(scopes, "channel", (value) =>
      typeof value === "string" && CHANNEL.test(value) ? value.toUpperCase() : undefined,
    ),
    email: firstOf(scopes, "email", (value) =>
      typeof value === "string" ? normalizeEmail(value) : undefined,
    ),
    linkedinUrl: firstOf(scopes, "linkedinUrl", (value) =>
      typeof value === "string" ? normalizeLinkedinUrl(value) : undefined,
    ),
    firstname: firstOf(scopes, "firstname", cleanName),
    lastname: firstOf(scopes, "lastname", cleanName),
    campaign: firstOf(scopes, "campaign", (value) => textOf(value, 200)?.replace(/\s+/g, " ")),
    campaignId: firstOf(scopes, "campaignId", idOf),
  };
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as unknown as LgmReplyFields;
}

export type Direction = "inbound" | "outbound" | "unknown";

/** Whose message it is: a direction or status first, then a from-lead flag, then the event's name. */
export function directionOf(scopes: readonly Json[]): { direction: Direction; because: string } {
  const status = firstOf(scopes, "direction", (value) =>
    typeof value === "string" && (INBOUND.test(value.trim()) || OUTBOUND.test(value.trim()))
      ? value.trim()
      : undefined,
  );
  if (status !== undefined) {
    return { direction: INBOUND.test(status) ? "inbound" : "outbound", because: `status ${status}` };
  }
  const fromLead = firstOf(scopes, "fromLead", booleanOf);
  if (fromLead !== undefined) {
    return { direction: fromLead ? "inbound" : "outbound", because: `from-lead flag ${fromLead}` };
  }
  const event = firstOf(scopes, "eventType", (value) =>
    typeof value === "string" && value.length <= 100 ? value : undefined,
  );
  if (event !== undefined && REPLY_EVENT.test(event) && !NOT_REPLY_EVENT.test(event)) {
    return { direction: "inbound", because: `event ${event}` };
  }
  return {
    direction: "unknown",
    because: event === undefined ? "no direction, status or event type" : `event ${event.slice(0, 60)}`,
  };
}

/** The body and its envelopes, in the order fields are looked for. */
function scopesOf(body: Json): Json[] {
  return [body, ...ASSUMED_ENVELOPES.map((name) => at(body, name)).filter(isObject)];
}

const hash = (...parts: string[]) =>
  createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 20);

/**
 * The reply's keys: the conversation (or, without one, the lead), and the message id — or, when the
 * delivery has none, a hash of conversation, time and text, so a redelivery gets the same key.
 */
export function replyKeys(
  fields: LgmReplyFields,
): { conversationKey: string; messageKey: string } | undefined {
  const conversationKey =
    fields.conversationId ?? (fields.leadId === undefined ? undefined : `lead-${fields.leadId}`);
  if (conversationKey === undefined) return undefined;
  const messageKey = fields.messageId ?? `h${hash(conversationKey, fields.sentAt ?? "", fields.text)}`;
  return { conversationKey, messageKey };
}

/** With the `u` flag a surrogate range matches only a surrogate that is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A delivery's bytes → what to do with it. */
export function classifyLgmDelivery(text: string): LgmDelivery {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "invalid", reason: "body is not JSON" };
  }
  if (Array.isArray(body)) return { kind: "unkeyed", reason: "a JSON array: not a shape this flow knows" };
  if (!isObject(body)) return { kind: "invalid", reason: "body must be a JSON object" };
  const scopes = scopesOf(body);
  const { direction, because } = directionOf(scopes);
  if (direction !== "inbound") {
    return { kind: "ignored", reason: `not a reply from the lead (${because})` };
  }
  const fields = fieldsOf(scopes);
  const malformed = (["conversationId", "messageId", "leadId", "campaignId"] as const).filter(
    (field) => fields[field] !== undefined && LONE_SURROGATE.test(fields[field]),
  );
  if (malformed.length > 0) {
    return {
      kind: "unkeyed",
      reason: `${malformed.join(", ")} not well-formed Unicode (a lone surrogate): LGM cannot be asked about it`,
    };
  }
  const keys = replyKeys(fields);
  if (!keys) return { kind: "unkeyed", reason: "a reply without a conversation id or a lead id" };
  return { kind: "reply", fields, ...keys };
}

// ── The API's bodies (GET /conversations/{id}/messages, GET /leads/search) ──

/** The messages of a page: `{data: […]}` (the n8n node's reading), `{messages: […]}` or a bare array. */
export function messagesOf(body: unknown): Json[] {
  const list = Array.isArray(body)
    ? body
    : isObject(body)
      ? [body.data, body.messages, body.results].find(Array.isArray)
      : undefined;
  return (list ?? []).filter(isObject);
}

export function totalOf(body: unknown): number | undefined {
  const total = isObject(body) ? body.total : undefined;
  return typeof total === "number" && Number.isFinite(total) ? total : undefined;
}

/**
 * One message of the API, in the same terms as a delivery. In the API a record's own `id` is the
 * message's (or, in a lead search, the lead's); in a delivery a bare `id` could be anything, so
 * only API records read it.
 */
export function apiMessageOf(record: Json): LgmReplyFields & { direction: Direction } {
  const fields = fieldsOf([record]);
  const messageId = fields.messageId ?? idOf(record.id) ?? idOf(record._id);
  return {
    ...fields,
    ...(messageId === undefined ? {} : { messageId }),
    direction: directionOf([record]).direction,
  };
}

/** The lead of a search: `{leads: [...]}`, `{lead: {...}, recentLogs}`, `{data: …}` or the lead itself. */
export function apiLeadOf(body: unknown): LgmReplyFields | undefined {
  if (!isObject(body)) return undefined;
  const candidates = [body.leads, body.data, body.results]
    .map((value) => (Array.isArray(value) ? value[0] : value))
    .concat(body.lead);
  const lead = candidates.find(isObject) ?? body;
  const found = fieldsOf([lead]);
  const leadId = found.leadId ?? idOf(lead.id) ?? idOf(lead._id);
  const fields = leadId === undefined ? found : { ...found, leadId };
  return (fields.leadId ?? fields.email ?? fields.linkedinUrl) === undefined ? undefined : fields;
}
