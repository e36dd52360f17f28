import { type LgmApi, type ObjectStore, ServiceQuotaExhausted, ServiceRejected } from "@leadrelay/core";
import { createLgmApi } from "@leadrelay/functions/adapters/lgm";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { createLogger, type Logger } from "@leadrelay/functions/log";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { type ApiMessage, findMessage, mergeCanonical } from "./domain/canonical-reply";
import { ReplyUnreadable } from "./domain/errors";
import { replyExecutionName, replyRecordKey } from "./domain/keys";
import {
  apiLeadOf,
  apiMessageOf,
  classifyLgmDelivery,
  type LgmReplyFields,
  messagesOf,
  totalOf,
} from "./domain/lgm-payload";
import type { ReplySummary, StoredReply } from "./domain/reply";
import { FetchConversationInput } from "./task-input";

/** Pages of a conversation read looking for the message (a LinkedIn thread is rarely longer). */
const MAX_PAGES = 5;

export interface FetchConversationDeps {
  store: ObjectStore;
  /** LGM's API; absent when LGM_API_KEY is not set (`skipReason` says so). */
  lgm?: LgmApi;
  skipReason?: string;
  log?: Logger;
}

async function canonicalMessage(lgm: LgmApi, delivered: LgmReplyFields): Promise<ApiMessage | undefined> {
  if (delivered.conversationId === undefined) return undefined;
  let seen = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const body = await lgm.conversationMessages(delivered.conversationId, page);
    const messages = messagesOf(body).map(apiMessageOf);
    const found = findMessage(messages, delivered);
    if (found) return found;
    seen += messages.length;
    const total = totalOf(body);
    if (messages.length === 0 || (total !== undefined && seen >= total)) return undefined;
  }
  return undefined;
}

async function canonicalLead(lgm: LgmApi, delivered: LgmReplyFields): Promise<LgmReplyFields | undefined> {
  const query = delivered.leadId
    ? { leadId: delivered.leadId }
    : delivered.linkedinUrl
      ? { linkedinUrl: delivered.linkedinUrl }
      : delivered.email
        ? { email: delivered.email }
        : undefined;
  return query === undefined ? undefined : apiLeadOf(await lgm.searchLead(query));
}

/**
 * Reads the stored delivery and settles the reply: with LGM_API_KEY, LGM's own message and lead
 * (the webhook body's shape is a guess, the API's data is canonical); without it, or when LGM
 * refuses, the delivery as it came — the result's `source` and `reason` say which, in the history.
 * The text is stored under `replyKey`; the state gets keys and small fields only.
 */
export function createFetchConversation(deps: FetchConversationDeps) {
  const log = deps.log ?? createLogger("fetch-conversation");
  return async (event: unknown): Promise<ReplySummary> => {
    const input = FetchConversationInput.parse(event);
    const raw = await deps.store.get(input.rawKey);
    if (raw === undefined) throw new ReplyUnreadable(input.rawKey, "it is not in storage");
    const delivery = classifyLgmDelivery(raw);
    if (delivery.kind !== "reply") throw new ReplyUnreadable(input.rawKey, delivery.reason);
    if (delivery.conversationKey !== input.conversationKey || delivery.messageKey !== input.messageKey) {
      throw new ReplyUnreadable(input.rawKey, "it is the delivery of another reply");
    }

    let fields = delivery.fields;
    let source: ReplySummary["source"] = "webhook";
    let reason: string | undefined;
    if (input.mode === "webhook") {
      reason = `LGM could not be read, the delivery is used as is: ${(input.lgmError ?? "unknown error").slice(0, 400)}`;
    } else if (!deps.lgm) {
      reason = deps.skipReason ?? "LGM_API_KEY is not set";
    } else {
      try {
        const [message, lead] = await Promise.all([
          canonicalMessage(deps.lgm, fields),
          canonicalLead(deps.lgm, fields),
        ]);
        const merged = mergeCanonical(fields, message, lead);
        fields = merged.fields;
        source = "lgm-api";
        reason = merged.notes.length > 0 ? merged.notes.join("; ") : undefined;
      } catch (error) {
        // A definite refusal (bad key, unknown conversation, quota): the delivery is good enough.
        if (!(error instanceof ServiceRejected || error instanceof ServiceQuotaExhausted)) throw error;
        log.warn("LGM refused, using the delivery as is", { error: error.message });
        reason = `LGM refused, the delivery is used as is: ${error.message.slice(0, 400)}`;
      }
    }

    const replyKey = replyRecordKey(input.conversationKey, input.messageKey);
    const { text, messageId: _messageId, ...rest } = fields;
    const summary: ReplySummary = {
      ...rest,
      source,
      ...(reason === undefined ? {} : { reason }),
      replyKey,
      replyRef: replyExecutionName(input.conversationKey, input.messageKey),
      conversationKey: input.conversationKey,
      messageKey: input.messageKey,
      sentAt: fields.sentAt ?? input.receivedAt,
    };
    const stored: StoredReply = { ...summary, text };
    await deps.store.put(replyKey, JSON.stringify(stored));
    return summary;
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["LGM_BASE_URL", "LGM_API_KEY", "HTTP_TIMEOUT_MS"], env);
  const apiKey = config.LGM_API_KEY?.trim();
  return createFetchConversation({
    store: storeFromEnv(env, kit),
    ...(apiKey
      ? { lgm: createLgmApi({ baseUrl: config.LGM_BASE_URL, apiKey }, { timeoutMs: config.HTTP_TIMEOUT_MS }) }
      : { skipReason: "LGM_API_KEY is not set: the delivery is used as is" }),
    log: kit.log,
  });
};
export const handler = taskHandler("fetch-conversation", build);
