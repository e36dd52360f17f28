import { describe, expect, it } from "vitest";
import { cleanName, displayName, normalizeEmail, normalizeLinkedinUrl } from "../src/domain/contact-identity";
import { contactProperties } from "../src/domain/contact-properties";
import { campaignKey, dealName, dealProperties, isOpenDealFor } from "../src/domain/deal";
import {
  CAMPAIGN_PROPERTY,
  LAST_REPLY_PROPERTY,
  LINKEDIN_URL_PROPERTY,
} from "../src/domain/hubspot-properties";
import {
  dealMarkerKey,
  keySegment,
  linkedinContactKey,
  noteMarkerKey,
  rawReplyKey,
  replyExecutionName,
} from "../src/domain/keys";
import { escapeHtml, NOTE_BODY_MAX, noteBody, textAsHtml } from "../src/domain/note-body";
import { mayTakeOver, parseClaim } from "../src/domain/write-claim";
import { summary } from "./support";

describe("contact identity", () => {
  it("normalizes emails and refuses what HubSpot would", () => {
    expect(normalizeEmail("  Ada@Example.COM ")).toBe("ada@example.com");
    for (const bad of ["ada", "ada@", "@x.com", "a b@x.com", "a@x", `${"a".repeat(65)}@x.com`, "<a@x.com>"]) {
      expect(normalizeEmail(bad)).toBeUndefined();
    }
  });

  it("writes one LinkedIn profile one way, however it was pasted", () => {
    const forms = [
      "https://www.linkedin.com/in/Ada-L/",
      "http://linkedin.com/in/ada-l",
      "linkedin.com/in/ada-l?trk=abc#x",
      "https://fr.linkedin.com/in/ada-l/details/experience/",
    ];
    for (const form of forms) expect(normalizeLinkedinUrl(form)).toBe("https://www.linkedin.com/in/ada-l");
    expect(normalizeLinkedinUrl("https://www.linkedin.com/in/j%C3%B6rg")).toBe(
      "https://www.linkedin.com/in/j%C3%B6rg",
    );
    expect(normalizeLinkedinUrl("https://www.linkedin.com/sales/lead/ACwAAB,NAME_SEARCH")).toBe(
      "https://www.linkedin.com/sales/lead/ACwAAB%2CNAME_SEARCH",
    );
    for (const bad of [
      "https://linkedin.com.evil.io/in/a",
      "https://evil.io/?u=linkedin.com/in/a",
      "https://user:pw@linkedin.com/in/a",
      "https://www.linkedin.com/",
      "https://www.linkedin.com/in/%2e%2e",
      "javascript:alert(1)",
      "https://www.linkedin.com/in/a b",
    ]) {
      expect(normalizeLinkedinUrl(bad)).toBeUndefined();
    }
  });

  it("cleans names and picks what to call the contact", () => {
    expect(cleanName("  Ada \u202e\n Lovelace ")).toBe("Ada Lovelace");
    expect(cleanName(42)).toBeUndefined();
    expect(displayName({ firstname: "Ada" })).toBe("Ada");
    expect(displayName({ email: "a@b.co" })).toBe("a@b.co");
    expect(displayName({ linkedinUrl: "https://www.linkedin.com/in/j%C3%B6rg" })).toBe("jörg");
    expect(displayName({})).toBe("LinkedIn lead");
  });
});

describe("what a reply writes", () => {
  it("sets names, profile and reply time, never blanks a name, and the email only when asked", () => {
    const reply = summary({ lastname: undefined });
    expect(contactProperties(reply, { withEmail: false })).toEqual({
      [LAST_REPLY_PROPERTY]: "2026-11-20T14:00:00.000Z",
      firstname: "Ada",
      [LINKEDIN_URL_PROPERTY]: "https://www.linkedin.com/in/ada",
    });
    expect(contactProperties(reply, { withEmail: true }).email).toBe("ada@example.com");
  });

  it("names the deal after the contact and the campaign, one deal per campaign whatever its case", () => {
    expect(dealName(summary())).toBe("Ada Lovelace — Q4 Founders");
    expect(dealName(summary({ campaign: undefined, campaignId: undefined }))).toBe(
      "Ada Lovelace — LinkedIn reply",
    );
    expect(campaignKey({ campaign: " Q4  founders " })).toBe(campaignKey({ campaign: "Q4 Founders" }));
    expect(dealProperties(summary(), "default", "appointmentscheduled")).toEqual({
      dealname: "Ada Lovelace — Q4 Founders",
      pipeline: "default",
      dealstage: "appointmentscheduled",
      [CAMPAIGN_PROPERTY]: "Q4 Founders",
    });
  });

  it("reuses only an open deal of the pipeline for the same campaign", () => {
    const deal = (properties: Record<string, string | null>) => ({ id: "1", properties });
    const reply = summary();
    expect(
      isOpenDealFor(
        deal({ pipeline: "default", hs_is_closed: "false", [CAMPAIGN_PROPERTY]: "q4 founders" }),
        reply,
        "default",
      ),
    ).toBe(true);
    expect(
      isOpenDealFor(
        deal({ pipeline: "default", hs_is_closed: "true", [CAMPAIGN_PROPERTY]: "Q4 Founders" }),
        reply,
        "default",
      ),
    ).toBe(false);
    expect(
      isOpenDealFor(deal({ pipeline: "sales2", [CAMPAIGN_PROPERTY]: "Q4 Founders" }), reply, "default"),
    ).toBe(false);
    expect(isOpenDealFor(deal({ pipeline: "default", [CAMPAIGN_PROPERTY]: "Other" }), reply, "default")).toBe(
      false,
    );
    // Made by hand: no campaign property, the campaign in its name.
    expect(isOpenDealFor(deal({ dealname: "Ada — Q4 Founders (manual)" }), reply, "default")).toBe(true);
    expect(isOpenDealFor(deal({ dealname: "Ada — renewal" }), reply, "default")).toBe(false);
  });
});

describe("the note", () => {
  it("escapes the lead's words and keeps the reply key, the campaign and the profile", () => {
    const body = noteBody({
      ...summary({ campaign: "Q4 <b>" }),
      text: `<img src=x onerror=alert(1)>\n"quoted" & 'single'`,
    });
    expect(body).toContain("&lt;img src=x onerror=alert(1)&gt;<br>&quot;quoted&quot; &amp; &#39;single&#39;");
    expect(body).not.toContain("<img");
    expect(body).toContain("Campaign: Q4 &lt;b&gt;");
    expect(body).toContain('LinkedIn: <a href="https://www.linkedin.com/in/ada">');
    expect(body).toContain("Reply key: lgm-conv1-msg1");
    expect(body).toMatch(/^<p><strong>LinkedIn reply from Ada Lovelace<\/strong>/);
  });

  it("fits HubSpot's 65,536 characters whatever the text, cutting whole characters", () => {
    const body = noteBody({ ...summary(), text: "<😀>".repeat(40_000) });
    expect(body.length).toBeLessThanOrEqual(NOTE_BODY_MAX);
    expect(textAsHtml("ab😀", 3)).toBe("ab…");
    expect(escapeHtml(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&#39;");
  });
});

describe("keys", () => {
  it("keeps plain ids readable and turns anything else into a safe, distinct segment", () => {
    expect(keySegment("65f1a2b3c4d5e6f708192a01")).toBe("65f1a2b3c4d5e6f708192a01");
    expect(keySegment("../../etc")).toMatch(/^_etc-[0-9a-f]{16}$/);
    expect(keySegment("a/b")).not.toBe(keySegment("a_b"));
    expect(rawReplyKey("../x", "m")).toMatch(/^sources\/lgm\/[A-Za-z0-9_-]+\/m\.json$/);
    expect(replyExecutionName("conv", "msg")).toBe("lgm-conv-msg");
    expect(replyExecutionName("c".repeat(60), "m".repeat(60))).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it("puts every marker under the flow's prefix", () => {
    for (const key of [
      linkedinContactKey("https://www.linkedin.com/in/a"),
      dealMarkerKey("123", "q4"),
      noteMarkerKey("c", "m"),
    ]) {
      expect(key.startsWith("flows/linkedin-replies/")).toBe(true);
    }
    expect(dealMarkerKey("123", "q4")).not.toBe(dealMarkerKey("123", "q5"));
  });
});

describe("write claims", () => {
  const NOW = Date.parse("2026-11-20T14:00:00Z");
  const claim = (by: string, agoMs: number) => ({
    status: "writing" as const,
    at: new Date(NOW - agoMs).toISOString(),
    by,
  });

  it("lets the same reply take its own claim over when the lookup is consistent", () => {
    expect(
      mayTakeOver(claim("r1", 1_000), {
        owner: "r1",
        now: NOW,
        staleAfterMs: 60_000,
        consistentLookup: true,
      }),
    ).toBe(true);
    expect(
      mayTakeOver(claim("r1", 1_000), {
        owner: "r1",
        now: NOW,
        staleAfterMs: 60_000,
        consistentLookup: false,
      }),
    ).toBe(false);
  });

  it("waits for another reply's fresh claim and takes a stale one over", () => {
    expect(
      mayTakeOver(claim("r2", 1_000), {
        owner: "r1",
        now: NOW,
        staleAfterMs: 60_000,
        consistentLookup: true,
      }),
    ).toBe(false);
    expect(
      mayTakeOver(claim("r2", 61_000), {
        owner: "r1",
        now: NOW,
        staleAfterMs: 60_000,
        consistentLookup: true,
      }),
    ).toBe(true);
  });

  it("reads markers defensively", () => {
    expect(parseClaim(undefined)).toBeUndefined();
    expect(parseClaim('{"status":"written","at":"x","by":"r","id":"9"}')).toEqual({
      status: "written",
      at: "x",
      by: "r",
      id: "9",
    });
    expect(parseClaim("garbage")).toEqual({ status: "writing", at: "1970-01-01T00:00:00.000Z", by: "" });
  });
});
