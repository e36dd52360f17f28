import { describe, expect, it } from "vitest";
import { findMessage, mergeCanonical } from "../src/domain/canonical-reply";
import {
  apiLeadOf,
  apiMessageOf,
  classifyLgmDelivery,
  messagesOf,
  replyKeys,
  timeOf,
} from "../src/domain/lgm-payload";
import { fixture, fixtureText } from "./support";

function reply(text: string) {
  const delivery = classifyLgmDelivery(text);
  if (delivery.kind !== "reply")
    throw new Error(`${delivery.kind}: ${"reason" in delivery ? delivery.reason : ""}`);
  return delivery;
}

describe("tolerant parsing of the assumed delivery shapes", () => {
  it("reads the flat shape in LGM's API vocabulary, the professional email first", () => {
    const { fields, conversationKey, messageKey } = reply(fixtureText("reply-flat.json"));
    expect(fields).toEqual({
      conversationId: "65f1a2b3c4d5e6f708192a01",
      messageId: "66a0b1c2d3e4f50617283901",
      leadId: "64e0f1a2b3c4d5e6f7081901",
      text: "Bonjour, oui — je suis intéressé. Appelez-moi jeudi ?",
      sentAt: "2026-11-20T13:58:04.000Z",
      channel: "LINKEDIN",
      email: "elodie.marchand@example.fr",
      linkedinUrl: "https://www.linkedin.com/in/elodie-marchand",
      firstname: "Élodie",
      lastname: "Marchand",
      campaign: "Q4 Founders FR",
      campaignId: "62c0d1e2f3a4b5c6d7e8f901",
    });
    expect([conversationKey, messageKey]).toEqual(["65f1a2b3c4d5e6f708192a01", "66a0b1c2d3e4f50617283901"]);
  });

  it("reads an event envelope with nested conversation, message, lead and campaign", () => {
    const { fields } = reply(fixtureText("reply-nested.json"));
    expect(fields).toMatchObject({
      conversationId: "65f1a2b3c4d5e6f708192a02",
      messageId: "66a0b1c2d3e4f50617283902",
      leadId: "64e0f1a2b3c4d5e6f7081902",
      text: "Thanks for reaching out.\nCan you send pricing?",
      sentAt: "2026-11-20T14:01:30.000Z",
      email: "sam@oneil.io",
      linkedinUrl: "https://www.linkedin.com/in/samoneil",
      firstname: "Sam",
      lastname: "O'Neil",
      campaign: "SaaS CTOs",
      campaignId: "62c0d1e2f3a4b5c6d7e8f902",
    });
  });

  it("keys a reply without a message id by a hash of conversation, time and text", () => {
    const { fields, messageKey } = reply(fixtureText("reply-event-no-message-id.json"));
    expect(fields).toMatchObject({
      conversationId: "65f1a2b3c4d5e6f708192a03",
      text: "Not now, maybe next quarter.",
      sentAt: "2025-11-20T14:00:00.000Z",
      linkedinUrl: "https://www.linkedin.com/in/kenji-watanabe-8a1b2c",
      campaign: "APAC expansion",
    });
    expect(fields.email).toBeUndefined();
    expect(messageKey).toMatch(/^h[0-9a-f]{20}$/);
    // Same delivery again: same key (a redelivery is a duplicate); another text: another key.
    expect(reply(fixtureText("reply-event-no-message-id.json")).messageKey).toBe(messageKey);
    const edited = { ...fixture("reply-event-no-message-id.json"), message: "Not now." };
    expect(reply(JSON.stringify(edited)).messageKey).not.toBe(messageKey);
  });

  it("reads a payload envelope with snake_case ids and an email reply", () => {
    const { fields } = reply(fixtureText("reply-email-payload.json"));
    expect(fields).toMatchObject({
      conversationId: "65f1a2b3c4d5e6f708192a04",
      messageId: "66a0b1c2d3e4f50617283904",
      leadId: "64e0f1a2b3c4d5e6f7081904",
      channel: "EMAIL",
      text: "Please remove me from your list.",
      sentAt: "2026-11-20T14:10:00.000Z",
      email: "priya.n@proton.me",
      firstname: "Priya",
      lastname: "Natarajan",
      campaign: "Agencies UK",
    });
  });

  it("ignores what we sent, by status or by event type", () => {
    expect(classifyLgmDelivery(fixtureText("sent-message.json"))).toEqual({
      kind: "ignored",
      reason: "not a reply from the lead (status SENT)",
    });
    expect(classifyLgmDelivery(fixtureText("sent-event.json"))).toMatchObject({ kind: "ignored" });
  });

  it("lets a message's status win over a conversation-level flag or a vague event name", () => {
    // `leadReplied` says the lead replied once; this message is ours.
    const ours = { conversationId: "c", leadReplied: true, status: "SENT", event: "conversation.updated" };
    expect(classifyLgmDelivery(JSON.stringify(ours)).kind).toBe("ignored");
    const theirs = { conversationId: "c", type: "LINKEDIN", fromLead: true, text: "yes" };
    expect(classifyLgmDelivery(JSON.stringify(theirs)).kind).toBe("reply");
    const unknown = { conversationId: "c", type: "LINKEDIN", text: "?" };
    expect(classifyLgmDelivery(JSON.stringify(unknown))).toMatchObject({ kind: "ignored" });
  });

  it("keeps apart a reply whose ids hold a lone surrogate (LGM's URL cannot carry it); a paired one is fine", () => {
    const lone = '{"status":"RECEIVED","conversationId":"c1","messageId":"m\\udc00","text":"hi"}';
    expect(classifyLgmDelivery(lone)).toMatchObject({
      kind: "unkeyed",
      reason: expect.stringMatching(/messageId/),
    });
    const paired = '{"status":"RECEIVED","conversationId":"c\\ud83d\\ude00","messageId":"m1","text":"hi"}';
    expect(classifyLgmDelivery(paired)).toMatchObject({ kind: "reply", fields: { conversationId: "c😀" } });
  });

  it("keeps a reply it cannot key (no conversation, no lead) apart, and refuses what is not a JSON object", () => {
    expect(classifyLgmDelivery(fixtureText("reply-unkeyed.json")).kind).toBe("unkeyed");
    expect(classifyLgmDelivery("[1,2]").kind).toBe("unkeyed");
    expect(classifyLgmDelivery("not json")).toEqual({ kind: "invalid", reason: "body is not JSON" });
    expect(classifyLgmDelivery('"RECEIVED"')).toEqual({
      kind: "invalid",
      reason: "body must be a JSON object",
    });
  });

  it("falls back to the lead for the conversation key", () => {
    expect(replyKeys({ leadId: "L1", messageId: "M1", text: "" })).toEqual({
      conversationKey: "lead-L1",
      messageKey: "M1",
    });
    expect(replyKeys({ text: "hi" })).toBeUndefined();
  });
});

describe("hostile fields stay data", () => {
  it("never walks the prototype and drops what cannot be an id, an address or a profile", () => {
    const body =
      '{"__proto__":{"conversationId":"polluted"},"status":"RECEIVED","leadId":"L\\u0000\\u202e1","text":"a\\u0000b",' +
      '"email":"not an email","linkedinUrl":"https://evil.example/in/x","firstname":"\\u202eEvil\\nName","campaign":{"name":"<script>"}}';
    const { fields } = reply(body);
    expect(fields.conversationId).toBeUndefined();
    expect(fields.leadId).toBe("L1");
    expect(fields.text).toBe("ab");
    expect(fields.email).toBeUndefined();
    expect(fields.linkedinUrl).toBeUndefined();
    expect(fields.firstname).toBe("Evil Name");
    expect(fields.campaign).toBe("<script>");
    expect(({} as Record<string, unknown>).conversationId).toBeUndefined();
  });

  it("bounds every field", () => {
    const { fields } = reply(
      JSON.stringify({
        status: "RECEIVED",
        conversationId: "c".repeat(5000),
        text: "x".repeat(100_000),
        firstname: "n".repeat(500),
      }),
    );
    expect(fields.conversationId).toHaveLength(200);
    expect(fields.text).toHaveLength(20_000);
    expect(fields.firstname).toHaveLength(100);
  });

  it("reads times as ISO, epoch seconds or milliseconds, within 2000–2100 only", () => {
    expect(timeOf("2026-11-20T14:00:00+01:00")).toBe("2026-11-20T13:00:00.000Z");
    expect(timeOf(1763647200)).toBe("2025-11-20T14:00:00.000Z");
    expect(timeOf("1763647200000")).toBe("2025-11-20T14:00:00.000Z");
    expect(timeOf("yesterday")).toBeUndefined();
    expect(timeOf(-1)).toBeUndefined();
    expect(timeOf("9999-01-01T00:00:00Z")).toBeUndefined();
  });
});

describe("LGM's API bodies and the canonical reply", () => {
  it("finds the announced message by id and prefers LGM's text, time and lead", () => {
    const delivered = reply(fixtureText("reply-flat.json")).fields;
    const messages = messagesOf(fixture("api-messages.json")).map(apiMessageOf);
    expect(messages.map((m) => m.direction)).toEqual(["outbound", "inbound"]);
    const message = findMessage(messages, delivered);
    expect(message?.text).toBe("Bonjour, oui — je suis intéressé. Appelez-moi jeudi ou vendredi ?");
    const lead = apiLeadOf(fixture("api-lead.json"));
    const { fields, notes } = mergeCanonical(delivered, message, lead);
    expect(notes).toEqual([]);
    expect(fields).toMatchObject({
      conversationId: delivered.conversationId,
      messageId: delivered.messageId,
      text: "Bonjour, oui — je suis intéressé. Appelez-moi jeudi ou vendredi ?",
      email: "elodie@atelier-marchand.fr",
      lastname: "Marchand-Roy",
      campaign: "Q4 Founders FR",
    });
  });

  it("matches a message without id by text and time, and says what LGM lacked", () => {
    const delivered = reply(fixtureText("reply-event-no-message-id.json")).fields;
    const messages = [
      {
        text: "Not now, maybe next quarter.",
        sentAt: "2025-11-20T14:00:00.000Z",
        direction: "inbound" as const,
      },
    ];
    expect(findMessage(messages, delivered)).toBe(messages[0]);
    expect(
      findMessage(
        [{ ...messages[0], sentAt: "2025-11-21T00:00:00.000Z" } as (typeof messages)[0]],
        delivered,
      ),
    ).toBeUndefined();
    const { fields, notes } = mergeCanonical(delivered, undefined, undefined);
    expect(fields.text).toBe(delivered.text);
    expect(notes).toEqual([
      "LGM does not list this message in the conversation: the delivered text is kept",
      "LGM found no lead: the delivered identity is kept",
    ]);
  });

  it("reads lead search answers in their several shapes", () => {
    const lead = { id: "L1", proEmail: "a@b.co", linkedinUrl: "linkedin.com/in/a" };
    for (const body of [{ leads: [lead] }, { lead, recentLogs: [] }, { data: [lead] }, lead]) {
      expect(apiLeadOf(body)).toMatchObject({
        leadId: "L1",
        email: "a@b.co",
        linkedinUrl: "https://www.linkedin.com/in/a",
      });
    }
    expect(apiLeadOf({ leads: [] })).toBeUndefined();
    expect(messagesOf([{ id: "x" }, 3])).toEqual([{ id: "x" }]);
  });
});
