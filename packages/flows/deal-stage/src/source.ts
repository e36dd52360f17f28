import { secretsEqual } from "@leadrelay/core";
import type { SourceAnswer, SourceSpec, SourceVerdict } from "@leadrelay/functions/flow-spec";
import { parseDealBody } from "./domain/deal";
import {
  DEAL_PREFIX,
  dealBusinessKey,
  dealRawKey,
  REJECTED_PREFIX,
  rejectedKey,
  SOURCE_ID,
} from "./domain/keys";

export const API_KEY_HEADER = "x-api-key";
export const EVENT_HEADER = "x-event";
export const DEAL_EVENTS: ReadonlySet<string> = new Set(["deal_created", "deal_updated"]);
/** A deal is a few KiB; anything near this is not the CRM. */
export const CRM_MAX_BODY_BYTES = 256 * 1024;

const answer = (status: number, body: SourceAnswer["body"], logReason?: string): SourceVerdict => ({
  kind: "answer",
  answer: { status, body, ...(logReason ? { logReason } : {}) },
});

/**
 * `POST /webhook/crm`: the CRM's deal webhook. The API key is checked first (in constant time) and
 * a refusal never says why. A body that is JSON but not a usable deal is acknowledged (202, so
 * the CRM stops retrying) and kept under sources/crm/rejected/; a usable one is stored once under
 * its business key and starts one execution per deal and stage.
 */
export const crmSource: SourceSpec = {
  id: SOURCE_ID,
  routes: ["POST /webhook/crm"],
  handler: "packages/flows/deal-stage/src/ingest.handler",
  secrets: ["CRM_WEBHOOK_API_KEY"],
  maxBodyBytes: CRM_MAX_BODY_BYTES,
  storage: [`${DEAL_PREFIX}*`, `${REJECTED_PREFIX}*`],
  receive(request, { secrets, now }) {
    const expected = secrets.CRM_WEBHOOK_API_KEY;
    const given = request.headers[API_KEY_HEADER];
    if (!secretsEqual(given, expected)) {
      const why = !expected
        ? "CRM_WEBHOOK_API_KEY is not set"
        : given === undefined
          ? "missing-api-key"
          : "bad-api-key";
      return answer(401, { error: "unauthorized" }, why);
    }
    const event = request.headers[EVENT_HEADER]?.trim();
    if (!event) return answer(400, { error: `the ${EVENT_HEADER} header is required` }, "missing x-event");
    if (!DEAL_EVENTS.has(event)) {
      return answer(
        202,
        { status: "ignored", reason: `${EVENT_HEADER} is not deal_created or deal_updated` },
        `x-event ${JSON.stringify(event.slice(0, 40))}`,
      );
    }
    const verdict = parseDealBody(request.body.toString("utf8"));
    if (!verdict.ok) {
      if ("notJson" in verdict) return answer(400, { error: "body is not valid JSON" }, verdict.reason);
      return { kind: "reject", key: rejectedKey(request.body, now), reason: verdict.reason };
    }
    const { dealId, status } = verdict.deal;
    const name = dealBusinessKey(dealId, status);
    const rawKey = dealRawKey(name);
    return {
      kind: "accept",
      rawKey,
      events: [{ name, input: { dealId, status, rawKey, event } }],
      // Not `status`: that field of the answer is the delivery's (accepted, duplicate).
      fields: { dealId, dealStatus: status },
    };
  },
};
