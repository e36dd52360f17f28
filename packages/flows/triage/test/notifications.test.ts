import { describe, expect, it } from "vitest";
import {
  MAX_SMS_LENGTH,
  outcomeNote,
  tireKickerEmail,
  urgentSlackMessage,
  urgentSms,
} from "../src/domain/notifications";
import { messageOf, type TriageLead, triageLeadOf } from "../src/domain/triage-lead";

const lead = (message: string, more: Partial<TriageLead> = {}): TriageLead => ({
  leadId: "lead_abc123",
  name: "Jane Doe",
  company: "Acme <Robotics> & Co",
  email: "jane@acme.example",
  phone: "+14155550123",
  message,
  messageField: "description",
  rawMessageLength: message.length,
  closeUrl: "https://app.close.com/lead/lead_abc123/",
  ...more,
});

describe("the SMS to on-call", () => {
  it("names the lead and company, quotes the message and links Close", () => {
    const text = urgentSms(lead("We need a quote for 40 licenses by Friday"));
    expect(text).toBe(
      'URGENT lead Jane Doe (Acme <Robotics> & Co) "We need a quote for 40 licenses by Friday" https://app.close.com/lead/lead_abc123/',
    );
  });

  it("never exceeds 320 characters, cuts on code points and keeps the link whole", () => {
    const long = `${"🚀".repeat(400)} please call`;
    const text = urgentSms(lead(long, { name: "N".repeat(300) }));
    expect(Array.from(text).length).toBeLessThanOrEqual(MAX_SMS_LENGTH);
    expect(text.endsWith(" https://app.close.com/lead/lead_abc123/")).toBe(true);
    expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe("the urgent Slack post", () => {
  it("escapes what the lead wrote and links only to Close", () => {
    const message = urgentSlackMessage(lead("<!channel> click <http://evil.example|here>"), "local");
    const shown = JSON.stringify(message);
    expect(shown).not.toContain("<!channel>");
    expect(shown).not.toContain("<http://evil.example");
    expect(shown).toContain("&lt;!channel&gt;");
    expect(shown).toContain("<https://app.close.com/lead/lead_abc123/|Jane Doe>");
  });

  it("names the company once: a lead named after its person, or 'Person — Company', does not repeat the person", () => {
    const named = urgentSlackMessage(lead("call me", { name: "Acme", company: "Acme" }), "local");
    expect(named.text).toBe("Urgent buyer: Acme wants to buy now");
    expect(JSON.stringify(named.blocks)).toContain('"*Company*\\n—"');
    const formName = urgentSlackMessage(
      lead("call me", { name: "Marta Ruiz", company: "Marta Ruiz — Ruiz Freight" }),
      "local",
    );
    expect(formName.text).toBe("Urgent buyer: Marta Ruiz (Ruiz Freight) wants to buy now");
    expect(JSON.stringify(formName.blocks)).toContain('"*Company*\\nRuiz Freight"');
    const both = urgentSlackMessage(lead("call me"), "local");
    expect(both.text).toBe("Urgent buyer: Jane Doe (Acme &lt;Robotics&gt; &amp; Co) wants to buy now");
    expect(JSON.stringify(both.blocks)).toContain("*Company*\\nAcme &lt;Robotics&gt; &amp; Co");
  });
});

describe("the email to a tire kicker", () => {
  it("uses the lead's name and words, links only our own URLs, escapes HTML", () => {
    const email = tireKickerEmail(lead("<b>pricing</b> for http://phish.example?"), {
      calendarUrl: "https://cal.example.com/demo",
      caseStudyUrls: ["https://example.com/story-1"],
      sender: "The Acme team",
    });
    expect(email.subject).toBe("Thanks for reaching out, Jane");
    expect(email.text).toContain("https://cal.example.com/demo");
    expect(email.html).toContain('<a href="https://cal.example.com/demo">');
    expect(email.html).toContain("&lt;b&gt;pricing&lt;/b&gt;");
    expect(email.html).not.toContain('href="http://phish.example');
  });
});

describe("the outcome note", () => {
  it("lists exactly what was done, skipped and failed", () => {
    const { note, failed } = outcomeNote({ label: "URGENT_BUYER", classifier: "llm" }, [
      ["sms", { Error: "ServiceRejected", Cause: "twilio rejected the call (HTTP 400, code 21211)" }],
      ["slack", { action: "slack", status: "sent", at: "2026-12-01T00:00:00Z" }],
    ]);
    expect(failed).toEqual(["sms"]);
    expect(note).toBe(
      [
        "leadrelay triage: URGENT_BUYER (llm classifier).",
        "- SMS to on-call: FAILED (ServiceRejected: twilio rejected the call (HTTP 400, code 21211))",
        "- Slack alert: done",
      ].join("\n"),
    );
  });
});

describe("reading the lead from Close", () => {
  it("takes the message from TRIAGE_MESSAGE_FIELD, flat or nested custom fields", () => {
    const close = {
      id: "lead_abc123",
      display_name: "Acme",
      contacts: [],
      "custom.cf_msg": "flat",
      custom: { cf_other: "nested" },
    } as never;
    expect(messageOf(close, "custom.cf_msg")).toBe("flat");
    expect(messageOf(close, "cf_msg")).toBe("flat");
    expect(messageOf(close, "custom.cf_other")).toBe("nested");
  });

  it("picks the first contact with a name, an email and a phone, and sanitizes the message", () => {
    const summary = triageLeadOf(
      "lead_abc123",
      {
        id: "lead_abc123",
        display_name: "Acme",
        description: "<p>Hello&nbsp;there</p>",
        contacts: [
          { name: "", emails: [], phones: [] },
          { name: "Jane", emails: [{ email: "jane@acme.example" }], phones: [{ phone: "+1 415" }] },
        ],
      } as never,
      "description",
    );
    expect(summary).toMatchObject({
      name: "Jane",
      company: "Acme",
      email: "jane@acme.example",
      phone: "+1 415",
    });
    expect(summary.message).toBe("Hello there");
  });
});
