import { afterEach, describe, expect, it } from "vitest";
import { classifyWebhook } from "../src/close-webhook";
import { type MergedLead, mergeLead, summarizeLead } from "../src/lead";
import {
  buildLeadMessage,
  buildUnassignedMessage,
  escapeSlack,
  humanDate,
  MISSING,
  type SlackMessage,
  slackFields,
} from "../src/slack-message";
import { closeFixture, LEAD_IDS, ownerFixture } from "./fixture-files";

const LABELS = ["Lead", "Lead ID", "Created", "Status", "Email", "Owner", "Funnel"];
const LEAD_ID = LEAD_IDS["lead-created.json"];

function merged(overrides: Partial<MergedLead> = {}): MergedLead {
  const verdict = classifyWebhook(closeFixture("lead-created.json"));
  if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
  const lead = mergeLead(
    summarizeLead(verdict.leadId, verdict.data),
    ownerFixture(LEAD_ID),
    "2026-11-20T14:03:12Z",
  );
  return { ...lead, ...overrides };
}

const EMPTY: MergedLead = {
  leadId: "lead_a",
  name: null,
  createdAt: null,
  statusLabel: null,
  email: null,
  owner: null,
  funnel: null,
  closeUrl: "https://app.close.com/lead/lead_a/",
  receivedAt: "2026-11-20T14:03:12Z",
};

/** Field texts of the section block, "*Label*\nvalue". */
function fieldTexts(message: SlackMessage): string[] {
  const section = message.blocks.find((block) => block.type === "section") as {
    fields: Array<{ text: string }>;
  };
  return section.fields.map((field) => field.text);
}

function fieldValue(message: SlackMessage, label: string): string | undefined {
  const text = fieldTexts(message).find((field) => field.startsWith(`*${label}*\n`));
  return text?.slice(label.length + 3);
}

describe("buildLeadMessage", () => {
  it("shows the seven fields in order, with the merged owner", () => {
    const message = buildLeadMessage(merged());
    expect(fieldTexts(message).map((text) => /^\*(.+?)\*\n/.exec(text)?.[1])).toEqual(LABELS);
    expect(fieldValue(message, "Lead")).toBe(
      `<https://app.close.com/lead/${LEAD_ID}/|Harbor &amp; Pine Logistics>`,
    );
    expect(fieldValue(message, "Lead ID")).toBe(LEAD_ID);
    expect(fieldValue(message, "Created")).toBe("20 Nov 2026, 14:03 UTC");
    expect(fieldValue(message, "Status")).toBe("Potential");
    expect(fieldValue(message, "Email")).toBe("maya.okafor@harborpine.example");
    expect(fieldValue(message, "Owner")).toBe("Priya Raman");
    expect(fieldValue(message, "Funnel")).toBe("Inbound Demo");
    expect(message.text).toBe(`New lead Harbor &amp; Pine Logistics (${LEAD_ID}), owner Priya Raman`);
  });

  it("renders every missing value as — and never as undefined or null", () => {
    const message = buildLeadMessage(EMPTY);
    expect(fieldTexts(message)).toHaveLength(7);
    for (const label of LABELS.filter((label) => label !== "Lead ID"))
      expect(fieldValue(message, label), label).toBe(MISSING);
    const json = JSON.stringify(message);
    expect(json).not.toMatch(/undefined|null/i);
    expect(message.text).toBe("New lead — (lead_a), owner —");
  });

  it("treats blank strings as missing", () => {
    const message = buildLeadMessage({
      ...EMPTY,
      name: " ",
      statusLabel: "\t",
      email: "",
      owner: "  ",
      funnel: "",
    });
    for (const label of ["Status", "Email", "Owner", "Funnel"])
      expect(fieldValue(message, label), label).toBe(MISSING);
    expect(JSON.stringify(message)).not.toMatch(/undefined|null/i);
  });

  it("escapes &, < and > so user text cannot make links, mentions or markup", () => {
    const message = buildLeadMessage(
      merged({
        name: "<script>alert(1)</script>",
        owner: "<!channel>",
        funnel: "<http://evil|x>",
        statusLabel: "<@U123> & <#C123>",
        email: "a&b@example.com",
      }),
    );
    expect(fieldValue(message, "Lead")).toBe(
      `<https://app.close.com/lead/${LEAD_ID}/|&lt;script&gt;alert(1)&lt;/script&gt;>`,
    );
    expect(fieldValue(message, "Owner")).toBe("&lt;!channel&gt;");
    expect(fieldValue(message, "Funnel")).toBe("&lt;http://evil|x&gt;");
    expect(fieldValue(message, "Status")).toBe("&lt;@U123&gt; &amp; &lt;#C123&gt;");
    expect(fieldValue(message, "Email")).toBe("a&amp;b@example.com");
    // The only Slack control sequence left is the one link to Close.
    const json = JSON.stringify(message);
    expect(json.match(/</g)).toHaveLength(1);
    expect(json).not.toContain("<!channel>");
    expect(json).not.toContain("<http://evil");
    expect(message.text).toContain("&lt;!channel&gt;");
  });

  it("escapes & before the others (no double escaping)", () => {
    expect(escapeSlack("&lt; <")).toBe("&amp;lt; &lt;");
  });

  it("keeps unicode and right-to-left names as they are", () => {
    for (const name of [
      "Łukasz Żółć — Nordlicht GmbH",
      "שלום עולם בע״מ",
      "شركة المستقبل",
      "\u200fمرحبا\u200f",
      "東京商事 🚀",
    ]) {
      const message = buildLeadMessage(merged({ name, owner: name }));
      expect(fieldValue(message, "Lead"), name).toBe(`<https://app.close.com/lead/${LEAD_ID}/|${name}>`);
      expect(fieldValue(message, "Owner"), name).toBe(name);
    }
  });

  it("strips control and bidi-override characters and folds line breaks that would break the layout", () => {
    const message = buildLeadMessage(
      merged({ owner: "Priya\u0000 Ra\u0007man\u001b\u202e", funnel: "Inbound\nDemo" }),
    );
    expect(fieldValue(message, "Owner")).toBe("Priya Raman");
    expect(fieldValue(message, "Funnel")).toBe("Inbound Demo");
  });

  it("links to Close from the lead id, not from the payload's html_url", () => {
    const verdict = classifyWebhook(
      closeFixture("lead-created.json").replace(
        `"html_url": "https://app.close.com/lead/${LEAD_ID}/"`,
        '"html_url": "https://evil.example/phish"',
      ),
    );
    if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
    expect(verdict.data.html_url).toBe("https://evil.example/phish");
    const message = buildLeadMessage(
      mergeLead(summarizeLead(verdict.leadId, verdict.data), ownerFixture(LEAD_ID), "2026-11-20T14:03:12Z"),
    );
    const json = JSON.stringify(message);
    expect(json).not.toContain("evil.example");
    expect(fieldValue(message, "Lead")).toMatch(
      new RegExp(`^<https://app\\.close\\.com/lead/${LEAD_ID}/\\|`),
    );
  });

  it("caps very long values", () => {
    const message = buildLeadMessage(merged({ owner: "x".repeat(5_000), funnel: "&".repeat(5_000) }));
    expect(fieldValue(message, "Owner")).toBe(`${"x".repeat(300)}…`);
    // Escaping comes after the cut, so even the worst case stays under Slack's 2,000 per field.
    expect(fieldValue(message, "Funnel")).toBe(`${"&amp;".repeat(300)}…`);
    expect(slackFields(merged()).map(([label]) => label)).toEqual(LABELS);
  });
});

describe("humanDate", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it("formats Close's microsecond timestamps as a human UTC date", () => {
    expect(humanDate("2026-11-20T14:03:11.198000+00:00")).toBe("20 Nov 2026, 14:03 UTC");
    expect(humanDate("2026-11-20T14:03:11Z")).toBe("20 Nov 2026, 14:03 UTC");
    expect(humanDate("2026-01-05T09:07:00.000Z")).toBe("5 Jan 2026, 09:07 UTC");
  });

  it("converts other offsets to UTC", () => {
    expect(humanDate("2026-11-20T23:30:00.000000-05:00")).toBe("21 Nov 2026, 04:30 UTC");
    expect(humanDate("2026-11-21T01:15:00+02:00")).toBe("20 Nov 2026, 23:15 UTC");
  });

  it("reads a timestamp without an offset as UTC whatever the host's time zone", () => {
    // Close writes event.date_created without an offset; it is UTC.
    for (const tz of ["UTC", "America/New_York", "Asia/Kolkata"]) {
      process.env.TZ = tz;
      expect(humanDate("2026-11-20T14:03:11.214000"), tz).toBe("20 Nov 2026, 14:03 UTC");
      expect(humanDate("2026-11-20T14:03:11.198000+00:00"), tz).toBe("20 Nov 2026, 14:03 UTC");
    }
  });

  it("shows — for nothing and the escaped text for something that is not a date", () => {
    expect(humanDate(null)).toBe(MISSING);
    expect(humanDate(undefined)).toBe(MISSING);
    expect(humanDate("  ")).toBe(MISSING);
    expect(humanDate("yesterday <b>")).toBe("yesterday &lt;b&gt;");
  });
});

describe("buildUnassignedMessage", () => {
  it("names the lead and how long it has waited, with — for a missing name", () => {
    const message = buildUnassignedMessage({ leadId: LEAD_ID, name: "Harbor & Pine" }, 190.4);
    expect(message.text).toBe(`Lead Harbor &amp; Pine (${LEAD_ID}) still has no owner after 190 minutes`);
    expect(JSON.stringify(message.blocks)).toContain(message.text);
    const nameless = buildUnassignedMessage({ leadId: LEAD_ID, name: null }, 10);
    expect(nameless.text).toBe(`Lead — (${LEAD_ID}) still has no owner after 10 minutes`);
    expect(JSON.stringify(nameless)).not.toMatch(/undefined|null/i);
  });
});
