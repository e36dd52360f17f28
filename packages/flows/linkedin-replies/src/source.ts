import { secretsEqual } from "@leadrelay/core";
import type { SourceSpec } from "@leadrelay/functions/flow-spec";
import { KEY_PATTERNS, rawReplyKey, rejectedDeliveryKey, replyExecutionName } from "./domain/keys";
import { classifyLgmDelivery } from "./domain/lgm-payload";

/** An LGM message event is a few KB; anything near this is not one. */
export const LGM_MAX_BODY_BYTES = 256 * 1024;

/**
 * `POST /webhook/lgm/{token}`: La Growth Machine's inbox webhook. LGM signs nothing, so the secret
 * is the path token (LGM_WEBHOOK_TOKEN), compared in constant time; a wrong one answers 404 as an
 * unknown route would. Only a message received from the lead starts the flow: one execution per
 * reply, named after its conversation and message. The token is never in a log line or an answer.
 */
export const lgmSource: SourceSpec = {
  id: "lgm",
  routes: ["POST /webhook/lgm/{token}"],
  handler: "packages/flows/linkedin-replies/src/ingest.handler",
  secrets: ["LGM_WEBHOOK_TOKEN"],
  maxBodyBytes: LGM_MAX_BODY_BYTES,
  storage: [KEY_PATTERNS.raw],
  receive(request, { secrets }) {
    if (!secretsEqual(request.pathParameters.token, secrets.LGM_WEBHOOK_TOKEN)) {
      const reason = secrets.LGM_WEBHOOK_TOKEN ? "wrong token" : "LGM_WEBHOOK_TOKEN is not set";
      return { kind: "answer", answer: { status: 404, body: { error: "not found" }, logReason: reason } };
    }
    const delivery = classifyLgmDelivery(request.body.toString("utf8"));
    if (delivery.kind === "invalid") {
      return {
        kind: "answer",
        answer: { status: 400, body: { error: delivery.reason }, logReason: delivery.reason },
      };
    }
    if (delivery.kind === "ignored") {
      return {
        kind: "answer",
        answer: {
          status: 202,
          body: { status: "ignored", reason: delivery.reason },
          logReason: delivery.reason,
        },
      };
    }
    if (delivery.kind === "unkeyed") {
      return { kind: "reject", key: rejectedDeliveryKey(request.body), reason: delivery.reason };
    }
    const { conversationKey, messageKey, fields } = delivery;
    const name = replyExecutionName(conversationKey, messageKey);
    const rawKey = rawReplyKey(conversationKey, messageKey);
    return {
      kind: "accept",
      rawKey,
      events: [
        {
          name,
          input: {
            conversationKey,
            messageKey,
            rawKey,
            ...(fields.conversationId === undefined ? {} : { conversationId: fields.conversationId }),
            ...(fields.messageId === undefined ? {} : { messageId: fields.messageId }),
          },
        },
      ],
      fields: { reply: name },
    };
  },
};
