import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * HubSpot webhooks (integrations.md §11d, §13): the v3 request signature and the batch of events a
 * delivery carries.
 */

/** Header names, lower case (API Gateway v2 and node:http deliver them so). */
export const HUBSPOT_SIGNATURE_HEADER = "x-hubspot-signature-v3";
export const HUBSPOT_TIMESTAMP_HEADER = "x-hubspot-request-timestamp";
/** HubSpot's clients refuse a request older than 5 minutes (`MAX_ALLOWED_TIMESTAMP = 300000`). */
export const HUBSPOT_SIGNATURE_MAX_AGE_MS = 300_000;

/** base64(HMAC-SHA256(client secret, method + uri + raw body + timestamp)), no separators. */
export function signHubSpotV3(input: {
  clientSecret: string;
  method: string;
  uri: string;
  rawBody: string | Uint8Array;
  timestamp: string;
}): string {
  return createHmac("sha256", Buffer.from(input.clientSecret, "utf8"))
    .update(input.method.toUpperCase())
    .update(input.uri)
    .update(typeof input.rawBody === "string" ? Buffer.from(input.rawBody, "utf8") : input.rawBody)
    .update(input.timestamp)
    .digest("base64");
}

export type HubSpotSignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason:
        | "no-secret"
        | "missing-signature"
        | "missing-timestamp"
        | "bad-timestamp"
        | "stale-timestamp"
        | "bad-signature";
    };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies the v3 signature on the raw bytes, in constant time. Older than 5 minutes is refused
 * (HubSpot's clients check only age); a timestamp more than 5 minutes ahead is refused too, so a
 * captured request cannot be replayed later by forging the future.
 */
export function verifyHubSpotV3(input: {
  clientSecret: string | undefined;
  method: string;
  uri: string;
  rawBody: Uint8Array;
  signature: string | undefined;
  timestamp: string | undefined;
  now: number;
}): HubSpotSignatureCheck {
  if (!input.clientSecret) return { ok: false, reason: "no-secret" };
  if (!input.signature) return { ok: false, reason: "missing-signature" };
  if (!input.timestamp) return { ok: false, reason: "missing-timestamp" };
  if (!/^\d{1,15}$/.test(input.timestamp)) return { ok: false, reason: "bad-timestamp" };
  if (Math.abs(input.now - Number(input.timestamp)) > HUBSPOT_SIGNATURE_MAX_AGE_MS)
    return { ok: false, reason: "stale-timestamp" };
  const expected = Buffer.from(
    signHubSpotV3({
      clientSecret: input.clientSecret,
      method: input.method,
      uri: input.uri,
      rawBody: input.rawBody,
      timestamp: input.timestamp,
    }),
    "base64",
  );
  const given = BASE64.test(input.signature) ? Buffer.from(input.signature, "base64") : Buffer.alloc(0);
  const sameLength = given.length === expected.length;
  const same = timingSafeEqual(sameLength ? given : expected, expected) && sameLength;
  return same ? { ok: true } : { ok: false, reason: "bad-signature" };
}

// ── the batch ────────────────────────────────────────────────────────────────

/** What triage is asked to do with one event of a delivery. */
export type HubSpotEventVerdict =
  | { kind: "contact"; portalId: string; contactId: string; eventId: string }
  | { kind: "ignored"; reason: string };

const ID = /^[1-9]\d{0,19}$/;

/** A HubSpot id as a string: ids are numbers in the payload (portal and object ids stay below 2^53). */
function idOf(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === "string" && ID.test(value)) return value;
  return undefined;
}

/**
 * Whether a contact was created by leadrelay's own HubSpot calls (linkedin-replies upserts contacts
 * with the private app's token). Assumption (integrations.md §11d, HubSpot's webhook docs): an object
 * created through the API carries `changeSource` `INTEGRATION` (or `API`) and a `sourceId` naming
 * the app that made the call, and the subscription's own app is `appId` of the event: the same
 * private app both subscribes and writes. `ownAppIds` adds apps (HUBSPOT_OWN_APP_IDS) when the
 * writing token belongs to another app than the subscribing one.
 */
export function createdByLeadrelay(event: Record<string, unknown>, ownAppIds: readonly string[]): boolean {
  const changeSource = typeof event.changeSource === "string" ? event.changeSource.toUpperCase() : "";
  if (changeSource !== "INTEGRATION" && changeSource !== "API") return false;
  const sourceId =
    typeof event.sourceId === "string" || typeof event.sourceId === "number" ? String(event.sourceId) : "";
  const apps = [idOf(event.appId), ...ownAppIds].filter((id): id is string => id !== undefined);
  // `sourceId` is the app id, sometimes prefixed (`app:123`, `integration:123`).
  const tail = sourceId.split(":").pop() ?? "";
  return apps.includes(tail);
}

/** One event of a delivery: a `contact.creation` to triage, or a reason it is acknowledged and left. */
export function classifyHubSpotEvent(value: unknown, ownAppIds: readonly string[] = []): HubSpotEventVerdict {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { kind: "ignored", reason: "not an event object" };
  const event = value as Record<string, unknown>;
  // The doc's example says `eventType`, deliveries say `subscriptionType`: read both.
  const type = event.subscriptionType ?? event.eventType;
  if (type !== "contact.creation") {
    return {
      kind: "ignored",
      reason: `subscription type ${typeof type === "string" ? type.slice(0, 60) : "missing"}`,
    };
  }
  const portalId = idOf(event.portalId);
  const contactId = idOf(event.objectId);
  if (!portalId || !contactId)
    return { kind: "ignored", reason: "contact.creation without portalId/objectId" };
  if (typeof event.changeSource === "string" && event.changeSource.toUpperCase() === "IMPORT")
    return { kind: "ignored", reason: `contact ${contactId} came from an import` };
  if (createdByLeadrelay(event, ownAppIds))
    return { kind: "ignored", reason: `contact ${contactId} was created by leadrelay's own HubSpot app` };
  return {
    kind: "contact",
    portalId,
    contactId,
    eventId: String(idOf(event.eventId) ?? event.eventId ?? ""),
  };
}

/** The lead id (and execution name) of a HubSpot contact: the name is the dedup, `eventId` is not unique. */
export function hubspotLeadId(portalId: string, contactId: string): string {
  return `hubspot-${portalId}-${contactId}`;
}

const HUBSPOT_LEAD = /^hubspot-([1-9]\d{0,19})-([1-9]\d{0,19})$/;

/** Which CRM a triage lead id refers to: `hubspot-{portal}-{contact}`, or a Close lead id. */
export type CrmLeadRef =
  | { crm: "close"; leadId: string }
  | { crm: "hubspot"; leadId: string; portalId: string; contactId: string };

export function crmLeadRef(leadId: string): CrmLeadRef {
  const match = HUBSPOT_LEAD.exec(leadId);
  if (match) return { crm: "hubspot", leadId, portalId: match[1] as string, contactId: match[2] as string };
  return { crm: "close", leadId };
}

/** The contact's page in HubSpot (`0-1` is the contact object type). */
export function hubspotContactUrl(portalId: string, contactId: string): string {
  return `https://app.hubspot.com/contacts/${portalId}/record/0-1/${contactId}`;
}
