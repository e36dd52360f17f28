import { type LgmApi, ServiceRejected, ServiceUnavailable } from "@leadrelay/core";
import { createLogger } from "@leadrelay/functions/log";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../../functions/test/fakes";
import { classifyLgmDelivery } from "../src/domain/lgm-payload";
import type { StoredReply } from "../src/domain/reply";
import { createFetchConversation } from "../src/fetch-conversation";
import { fixture, fixtureText } from "./support";

const RECEIVED_AT = "2026-11-20T14:08:11.000Z";
const silent = createLogger("test", { level: "silent" });

function stored(name: string, store = new MemoryStore()) {
  const text = fixtureText(name);
  const delivery = classifyLgmDelivery(text);
  if (delivery.kind !== "reply") throw new Error(delivery.kind);
  const rawKey = `sources/lgm/${delivery.conversationKey}/${delivery.messageKey}.json`;
  store.objects.set(rawKey, Buffer.from(text));
  const input = {
    conversationKey: delivery.conversationKey,
    messageKey: delivery.messageKey,
    rawKey,
    receivedAt: RECEIVED_AT,
    mode: "canonical",
  };
  return { store, input };
}

/** LGM's API as a fake port: the fixtures' bodies, or a failure. */
function fakeLgm(
  options: { messages?: unknown; lead?: unknown; fail?: Error } = {},
): LgmApi & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async conversationMessages(id, page) {
      calls.push(`messages ${id} ${page}`);
      if (options.fail) throw options.fail;
      return page === 1 ? (options.messages ?? fixture("api-messages.json")) : { data: [], total: 2 };
    },
    async searchLead(query) {
      calls.push(`lead ${JSON.stringify(query)}`);
      if (options.fail) throw options.fail;
      return options.lead ?? fixture("api-lead.json");
    },
  };
}

const record = (store: MemoryStore, key: string) => JSON.parse(store.text(key) ?? "null") as StoredReply;

describe("FetchConversation", () => {
  it("without LGM_API_KEY uses the delivery as is, and says so", async () => {
    const { store, input } = stored("reply-event-no-message-id.json");
    const fetch = createFetchConversation({
      store,
      skipReason: "LGM_API_KEY is not set: the delivery is used as is",
    });
    const reply = await fetch(input);
    expect(reply).toMatchObject({
      source: "webhook",
      reason: "LGM_API_KEY is not set: the delivery is used as is",
      conversationKey: "65f1a2b3c4d5e6f708192a03",
      linkedinUrl: "https://www.linkedin.com/in/kenji-watanabe-8a1b2c",
      sentAt: "2025-11-20T14:00:00.000Z",
      replyRef: `lgm-65f1a2b3c4d5e6f708192a03-${input.messageKey}`,
    });
    // The text stays in storage; the state gets its key.
    expect(reply).not.toHaveProperty("text");
    expect(record(store, reply.replyKey).text).toBe("Not now, maybe next quarter.");
    expect(reply.replyKey.startsWith("flows/linkedin-replies/replies/")).toBe(true);
  });

  it("with a key prefers LGM's message and lead over the delivery", async () => {
    const { store, input } = stored("reply-flat.json");
    const lgm = fakeLgm();
    const reply = await createFetchConversation({ store, lgm, log: silent })(input);
    expect(lgm.calls).toEqual([
      "messages 65f1a2b3c4d5e6f708192a01 1",
      'lead {"leadId":"64e0f1a2b3c4d5e6f7081901"}',
    ]);
    expect(reply).toMatchObject({
      source: "lgm-api",
      email: "elodie@atelier-marchand.fr",
      lastname: "Marchand-Roy",
    });
    expect(reply.reason).toBeUndefined();
    expect(record(store, reply.replyKey).text).toBe(
      "Bonjour, oui — je suis intéressé. Appelez-moi jeudi ou vendredi ?",
    );
  });

  it("falls back to the delivery when LGM refuses for good, and throws when LGM is only unavailable", async () => {
    const refused = new ServiceRejected({
      service: "lgm",
      status: 401,
      detail: "GET /flow/conversations/x/messages: Unauthorized",
    });
    const { store, input } = stored("reply-flat.json");
    const reply = await createFetchConversation({ store, lgm: fakeLgm({ fail: refused }), log: silent })(
      input,
    );
    expect(reply.source).toBe("webhook");
    expect(reply.reason).toContain(
      "LGM refused, the delivery is used as is: lgm rejected the call (HTTP 401)",
    );
    const down = new ServiceUnavailable({
      service: "lgm",
      status: 503,
      detail: "GET /flow/…: Service Unavailable",
    });
    await expect(
      createFetchConversation({ store, lgm: fakeLgm({ fail: down }), log: silent })(input),
    ).rejects.toThrow(ServiceUnavailable);
  });

  it("on the degraded path quotes LGM's error and calls nothing", async () => {
    const { store, input } = stored("reply-nested.json");
    const lgm = fakeLgm();
    const reply = await createFetchConversation({ store, lgm })({
      ...input,
      mode: "webhook",
      lgmError: '{"errorType":"ServiceUnavailable","errorMessage":"lgm is unavailable (HTTP 503)"}',
    });
    expect(lgm.calls).toEqual([]);
    expect(reply.source).toBe("webhook");
    expect(reply.reason).toContain("lgm is unavailable (HTTP 503)");
  });

  it("refuses a missing delivery or one that is another reply's", async () => {
    const { store, input } = stored("reply-flat.json");
    const fetch = createFetchConversation({ store });
    await expect(fetch({ ...input, rawKey: "sources/lgm/none.json" })).rejects.toMatchObject({
      name: "ReplyUnreadable",
    });
    await expect(fetch({ ...input, messageKey: "other" })).rejects.toMatchObject({
      name: "ReplyUnreadable",
      message: expect.stringContaining("another reply"),
    });
    store.objects.set(input.rawKey, Buffer.from(fixtureText("sent-message.json")));
    await expect(fetch(input)).rejects.toMatchObject({ name: "ReplyUnreadable" });
  });

  it("keeps the delivery time when LGM gives none, and the delivery's receipt time when neither does", async () => {
    const body = JSON.stringify({
      status: "RECEIVED",
      conversationId: "c9",
      messageId: "m9",
      text: "ok",
      proEmail: "a@b.co",
    });
    const store = new MemoryStore();
    store.objects.set("sources/lgm/c9/m9.json", Buffer.from(body));
    const reply = await createFetchConversation({ store })({
      conversationKey: "c9",
      messageKey: "m9",
      rawKey: "sources/lgm/c9/m9.json",
      receivedAt: RECEIVED_AT,
      mode: "canonical",
    });
    expect(reply.sentAt).toBe(RECEIVED_AT);
  });
});
