import { createHash } from "node:crypto";
import { executionNameOf, META_SIGNATURE_HEADER, secretsEqual, verifyMetaSignature } from "@leadrelay/core";
import type { SourceAnswer, SourceSpec, SourceVerdict } from "@leadrelay/functions/flow-spec";
import { RAW_PAYLOADS, rawPayloadKey, rejectedPayloadKey, SOURCE_ID } from "./domain/keys";
import { readLeadgenPayload } from "./domain/leadgen-webhook";

/** Meta batches at most a few hundred changes per POST; a body near this is not Meta. */
export const META_MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** Meta's challenge is an int: what is echoed back is kept to letters, digits, `_`, `.` and `-`. */
const CHALLENGE = /^[A-Za-z0-9_.-]{1,256}$/;

const answer = (status: number, body: SourceAnswer["body"], logReason?: string): SourceVerdict => ({
  kind: "answer",
  answer: { status, body, ...(logReason ? { logReason } : {}) },
});

/** `GET /webhook/meta`: the subscription handshake. 200 with the raw challenge, else 403 (never why). */
function handshake(query: URLSearchParams, verifyToken: string | undefined): SourceVerdict {
  const challenge = query.get("hub.challenge");
  if (query.get("hub.mode") !== "subscribe")
    return answer(403, { error: "forbidden" }, "hub.mode is not subscribe");
  if (!secretsEqual(query.get("hub.verify_token") ?? undefined, verifyToken)) {
    return answer(
      403,
      { error: "forbidden" },
      verifyToken ? "wrong hub.verify_token" : "META_VERIFY_TOKEN is not set",
    );
  }
  if (challenge === null || !CHALLENGE.test(challenge)) {
    return answer(403, { error: "forbidden" }, "hub.challenge is missing or not plain text");
  }
  return answer(200, challenge, "subscription verified");
}

/**
 * `GET|POST /webhook/meta`: Meta's Page webhook for lead ads. A POST is verified on its raw bytes
 * (`X-Hub-Signature-256`, HMAC-SHA256 with META_APP_SECRET), stored once under
 * `sources/meta/<sha256>.json` and starts one execution per leadgen change, named
 * `meta-<leadgen_id>`: a redelivery finds them all there and starts nothing. Other fields are
 * acknowledged and ignored; Meta wants a quick 200.
 */
export const metaSource: SourceSpec = {
  id: SOURCE_ID,
  routes: ["GET /webhook/meta", "POST /webhook/meta"],
  handler: "packages/flows/meta-leads/src/ingest.handler",
  secrets: ["META_VERIFY_TOKEN", "META_APP_SECRET"],
  maxBodyBytes: META_MAX_BODY_BYTES,
  storage: [RAW_PAYLOADS],
  acceptStatus: 200,
  // Meta retries anything but a fast 200 for about 36 h: a delivery kept as rejected is acknowledged the same way.
  rejectStatus: 200,
  receive(request, { secrets }) {
    if (request.method === "GET") return handshake(request.query, secrets.META_VERIFY_TOKEN);

    const signature = verifyMetaSignature({
      appSecret: secrets.META_APP_SECRET,
      header: request.headers[META_SIGNATURE_HEADER],
      rawBody: request.body,
    });
    if (!signature.ok) return answer(401, { error: "unauthorized" }, signature.reason);
    const contentType = request.headers["content-type"];
    if (contentType !== undefined && !JSON_TYPE.test(contentType)) {
      return answer(415, { error: "content-type must be application/json" });
    }

    const payload = readLeadgenPayload(request.body.toString("utf8"));
    if (payload.kind === "invalid") return answer(400, { error: payload.reason }, payload.reason);
    if (payload.kind === "ignored")
      return answer(200, { status: "ignored", reason: payload.reason }, payload.reason);
    const sha256 = createHash("sha256").update(request.body).digest("hex");
    if (payload.leads.length === 0) {
      // Signed by Meta but no lead id could be read: kept for a person, acknowledged so Meta stops.
      const reasons = payload.malformed.map(
        (item) => `entry ${item.entry} change ${item.change}: ${item.reason}`,
      );
      return { kind: "reject", key: rejectedPayloadKey(sha256), reason: reasons.join("; ").slice(0, 300) };
    }
    const rawKey = rawPayloadKey(sha256);
    return {
      kind: "accept",
      rawKey,
      events: payload.leads.map((lead) => ({
        name: executionNameOf([SOURCE_ID, lead.leadgenId]),
        input: { leadgenId: lead.leadgenId, rawKey, entry: lead.entry, change: lead.change },
      })),
      fields: {
        leadgenIds: payload.leads.map((lead) => lead.leadgenId),
        ...(payload.malformed.length > 0 ? { malformedChanges: payload.malformed.length } : {}),
      },
    };
  },
};
