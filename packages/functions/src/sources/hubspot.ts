import { createHash } from "node:crypto";
import {
  classifyHubSpotEvent,
  HUBSPOT_SIGNATURE_HEADER,
  HUBSPOT_TIMESTAMP_HEADER,
  hubspotLeadId,
  verifyHubSpotV3,
} from "@leadrelay/core";
import type { SourceAnswer, SourceEvent, SourceRequest, SourceSpec, SourceVerdict } from "../flow-spec";
import { sourceHandler, sourceHandlerBuild } from "../source-ingest";

/** HubSpot batches "under 100" events of a few hundred bytes each; a body near this is not HubSpot. */
export const HUBSPOT_MAX_BODY_BYTES = 256 * 1024;
export const HUBSPOT_SOURCE_ID = "hubspot";
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** HubSpot sends fewer than 100 events per delivery; more is not HubSpot. */
const MAX_EVENTS = 1000;

export const hubspotRawKey = (sha256: string) => `sources/hubspot/${sha256}.json`;
export const hubspotRejectedKey = (sha256: string) => `sources/hubspot/rejected/${sha256}.json`;

const answer = (status: number, body: SourceAnswer["body"], logReason?: string): SourceVerdict => ({
  kind: "answer",
  answer: { status, body, ...(logReason ? { logReason } : {}) },
});

/**
 * The URI HubSpot signed: `HUBSPOT_WEBHOOK_URL` when set (the target URL exactly as entered in the
 * app's webhook settings), else rebuilt from the request as it arrived: `X-Forwarded-Proto` (API
 * Gateway sets it; `http` without it), the `Host` header, the raw path and query.
 */
export function signedUri(request: SourceRequest, webhookUrl: string | undefined): string {
  if (webhookUrl?.trim()) return webhookUrl.trim();
  const proto = (request.headers["x-forwarded-proto"] ?? "http").split(",")[0]?.trim() || "http";
  const host = request.headers.host ?? "";
  const query = request.query.toString();
  return `${proto}://${host}${request.path}${query ? `?${query}` : ""}`;
}

/**
 * `POST /webhook/hubspot`: a private app's webhook delivery, an array of events, verified with the
 * v3 signature (HMAC-SHA256 with HUBSPOT_CLIENT_SECRET over method + URI + body + timestamp; older
 * than 5 minutes is refused). Every `contact.creation` starts triage once per contact, in an
 * execution named `hubspot-{portalId}-{objectId}` (the name is the dedup: HubSpot's eventId is not
 * unique). Imports, contacts leadrelay's own app created, and other subscription types are
 * acknowledged and not triaged. HubSpot retries every 4xx and 5xx for a day, so whatever is signed
 * is answered 2xx: all ignored or all duplicates 200, a signed body that is not a batch kept under
 * `sources/hubspot/rejected/` and acknowledged.
 */
export const hubspotSource: SourceSpec = {
  id: HUBSPOT_SOURCE_ID,
  routes: ["POST /webhook/hubspot"],
  handler: "packages/functions/src/sources/hubspot.handler",
  secrets: ["HUBSPOT_CLIENT_SECRET"],
  settings: ["HUBSPOT_WEBHOOK_URL", "HUBSPOT_OWN_APP_IDS"],
  maxBodyBytes: HUBSPOT_MAX_BODY_BYTES,
  storage: ["sources/hubspot/*"],
  rejectStatus: 200,
  receive(request, { secrets, settings, now }) {
    const signature = verifyHubSpotV3({
      clientSecret: secrets.HUBSPOT_CLIENT_SECRET,
      method: request.method,
      uri: signedUri(request, settings?.HUBSPOT_WEBHOOK_URL),
      rawBody: request.body,
      signature: request.headers[HUBSPOT_SIGNATURE_HEADER],
      timestamp: request.headers[HUBSPOT_TIMESTAMP_HEADER],
      now,
    });
    if (!signature.ok) return answer(401, { error: "unauthorized" }, signature.reason);
    const contentType = request.headers["content-type"];
    if (contentType !== undefined && !JSON_TYPE.test(contentType)) {
      return answer(415, { error: "content-type must be application/json" });
    }
    const sha256 = createHash("sha256").update(request.body).digest("hex");
    let batch: unknown;
    try {
      batch = JSON.parse(request.body.toString("utf8"));
    } catch {
      return { kind: "reject", key: hubspotRejectedKey(sha256), reason: "signed body is not JSON" };
    }
    if (!Array.isArray(batch) || batch.length > MAX_EVENTS) {
      return {
        kind: "reject",
        key: hubspotRejectedKey(sha256),
        reason: Array.isArray(batch)
          ? `more than ${MAX_EVENTS} events`
          : "signed body is not an array of events",
      };
    }
    const ownAppIds = (settings?.HUBSPOT_OWN_APP_IDS ?? "")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean);
    const events: SourceEvent[] = [];
    const ignored: string[] = [];
    for (const item of batch) {
      const verdict = classifyHubSpotEvent(item, ownAppIds);
      if (verdict.kind === "ignored") {
        ignored.push(verdict.reason);
        continue;
      }
      const leadId = hubspotLeadId(verdict.portalId, verdict.contactId);
      // The same contact twice in one delivery starts it once.
      if (events.some((event) => event.name === leadId)) continue;
      events.push({
        name: leadId,
        input: {
          leadId,
          crm: "hubspot",
          portalId: verdict.portalId,
          contactId: verdict.contactId,
          eventId: verdict.eventId,
          rawKey: hubspotRawKey(sha256),
        },
      });
    }
    if (events.length === 0) {
      return answer(
        200,
        { status: "ignored", ignored: ignored.length },
        `no contact to triage: ${[...new Set(ignored)].slice(0, 5).join("; ") || "empty batch"}`,
      );
    }
    return {
      kind: "accept",
      rawKey: hubspotRawKey(sha256),
      events,
      fields: {
        leadIds: events.map((event) => event.name),
        ...(ignored.length > 0 ? { ignored: ignored.length } : {}),
      },
    };
  },
};

export const build = sourceHandlerBuild(hubspotSource);
export const handler = sourceHandler(hubspotSource);
