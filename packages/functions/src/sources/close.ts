import {
  classifyWebhook,
  rawEventKey,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyCloseSignature,
} from "@leadrelay/core";
import type { SourceSpec } from "../flow-spec";
import { sourceHandler, sourceHandlerBuild } from "../source-ingest";

/** Close's bodies are a few KiB; anything near this is not Close. */
export const CLOSE_MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * `POST /webhook/close`: Close's signed `lead.created` starts every flow subscribed to it
 * (announce, triage), each execution named after the lead id. The raw body keeps the key the
 * first flow has always used (`crm_event_{lead}.json`).
 */
export const closeSource: SourceSpec = {
  id: "close",
  routes: ["POST /webhook/close"],
  handler: "packages/functions/src/sources/close.handler",
  secrets: ["CLOSE_WEBHOOK_SECRET"],
  // Close makes the key when the subscription is created, which needs this stage's URL.
  setAfterDeploy: { CLOSE_WEBHOOK_SECRET: "pnpm leadrelay connect close" },
  maxBodyBytes: CLOSE_MAX_BODY_BYTES,
  storage: [rawEventKey("*")],
  receive(request, { secrets, now }) {
    const signature = verifyCloseSignature({
      secretHex: secrets.CLOSE_WEBHOOK_SECRET ?? "",
      signature: request.headers[SIGNATURE_HEADER],
      timestamp: request.headers[TIMESTAMP_HEADER],
      rawBody: request.body,
      now,
    });
    if (!signature.ok) {
      return {
        kind: "answer",
        answer: { status: 401, body: { error: "unauthorized" }, logReason: signature.reason },
      };
    }
    const contentType = request.headers["content-type"];
    if (contentType !== undefined && !JSON_TYPE.test(contentType)) {
      return {
        kind: "answer",
        answer: { status: 415, body: { error: "content-type must be application/json" } },
      };
    }
    const verdict = classifyWebhook(request.body.toString("utf8"));
    if (verdict.kind === "invalid") {
      return {
        kind: "answer",
        answer: { status: 400, body: { error: verdict.reason }, logReason: verdict.reason },
      };
    }
    if (verdict.kind === "ignored") {
      return {
        kind: "answer",
        answer: {
          status: 202,
          body: { status: "ignored", reason: verdict.reason },
          logReason: `${verdict.eventId}: ${verdict.reason}`,
        },
      };
    }
    const { leadId, eventId } = verdict;
    const rawKey = rawEventKey(leadId);
    return {
      kind: "accept",
      rawKey,
      events: [{ name: leadId, input: { leadId, rawKey, eventId } }],
      fields: { leadId },
    };
  },
};

export const build = sourceHandlerBuild(closeSource);
export const handler = sourceHandler(closeSource);
