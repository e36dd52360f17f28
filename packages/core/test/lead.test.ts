import { describe, expect, it } from "vitest";
import { type CloseLeadData, classifyWebhook } from "../src/close-webhook";
import { closeLeadUrl, type LeadSummary, mergeLead, summarizeLead } from "../src/lead";
import type { OwnerRecord } from "../src/owner-record";
import { type CloseFixture, closeFixture, LEAD_IDS, ownerFixture } from "./fixture-files";

const RECEIVED_AT = "2026-11-20T14:03:12.000Z";

function dataOf(name: CloseFixture): { leadId: string; data: CloseLeadData } {
  const verdict = classifyWebhook(closeFixture(name));
  if (verdict.kind !== "lead-created") throw new Error(`${name} is ${verdict.kind}`);
  return { leadId: verdict.leadId, data: verdict.data };
}

function summaryOf(name: CloseFixture): LeadSummary {
  const { leadId, data } = dataOf(name);
  return summarizeLead(leadId, data);
}

const NO_OWNER_FIELDS: OwnerRecord = {
  lead_id: null,
  display_name: null,
  lead_email: null,
  lead_owner: null,
  funnel: null,
  status_label: null,
  date_created: null,
};

describe("summarizeLead", () => {
  it("takes name, created date and status from the webhook; no contacts means no email", () => {
    expect(summaryOf("lead-created.json")).toEqual({
      leadId: LEAD_IDS["lead-created.json"],
      name: "Harbor & Pine Logistics",
      createdAt: "2026-11-20T14:03:11.198000+00:00",
      statusLabel: "Potential",
      email: null,
    });
    expect(summaryOf("lead-created-no-contact.json").email).toBeNull();
  });

  it("uses the first contact email", () => {
    expect(summaryOf("lead-created-data-id-only.json")).toMatchObject({
      name: "Łukasz Żółć — Nordlicht GmbH",
      email: "lukasz@nordlicht.example",
    });
  });

  it("skips blank and missing emails and contacts without emails", () => {
    const data: CloseLeadData = {
      contacts: [
        { name: "No emails" },
        { name: "Empty", emails: [] },
        { name: "Blank", emails: [{ email: "   " }, { email: null }, { type: "office" }] },
        { name: "Second", emails: [{ email: " second@example.com " }, { email: "third@example.com" }] },
      ],
    };
    expect(summarizeLead("lead_a", data).email).toBe("second@example.com");
  });

  it("falls back from display_name to name and turns blanks into null", () => {
    expect(summarizeLead("lead_a", { display_name: "  ", name: "Acme" }).name).toBe("Acme");
    expect(summarizeLead("lead_a", { display_name: " Acme Ltd ", name: "Acme" }).name).toBe("Acme Ltd");
    expect(summarizeLead("lead_a", {})).toEqual({
      leadId: "lead_a",
      name: null,
      createdAt: null,
      statusLabel: null,
      email: null,
    });
  });
});

describe("mergeLead", () => {
  it("lets the owner file win where both have a value", () => {
    const lead = summaryOf("lead-created-data-id-only.json");
    const leadId = LEAD_IDS["lead-created-data-id-only.json"];
    const owner = ownerFixture(leadId);
    // The two sources disagree on the creation date: the owner file is the later truth.
    expect(lead.createdAt).not.toBe(owner.date_created);
    const merged = mergeLead(
      lead,
      { ...owner, status_label: "Customer", display_name: "Nordlicht" },
      RECEIVED_AT,
    );
    expect(merged).toEqual({
      leadId,
      name: "Nordlicht",
      createdAt: owner.date_created,
      statusLabel: "Customer",
      email: "lukasz@nordlicht.example",
      owner: "Diego Alvarez",
      funnel: "Partner Referral",
      closeUrl: `https://app.close.com/lead/${leadId}/`,
      receivedAt: RECEIVED_AT,
    });
  });

  it("takes the email from the owner file when the webhook has no contact", () => {
    const leadId = LEAD_IDS["lead-created.json"];
    const merged = mergeLead(summaryOf("lead-created.json"), ownerFixture(leadId), RECEIVED_AT);
    expect(merged).toMatchObject({
      email: "maya.okafor@harborpine.example",
      owner: "Priya Raman",
      funnel: "Inbound Demo",
    });
  });

  it("falls back to the first contact email when the owner file has none", () => {
    const lead = summaryOf("lead-created-data-id-only.json");
    for (const lead_email of [null, undefined, "", "   "]) {
      const merged = mergeLead(lead, { ...ownerFixture(lead.leadId), lead_email }, RECEIVED_AT);
      expect(merged.email, String(lead_email)).toBe("lukasz@nordlicht.example");
    }
  });

  it("keeps null where neither source has a value", () => {
    const leadId = LEAD_IDS["lead-created-no-contact.json"];
    const merged = mergeLead(summaryOf("lead-created-no-contact.json"), ownerFixture(leadId), RECEIVED_AT);
    expect(merged.email).toBeNull();
    const empty = mergeLead(summarizeLead("lead_a", {}), NO_OWNER_FIELDS, RECEIVED_AT);
    expect(empty).toEqual({
      leadId: "lead_a",
      name: null,
      createdAt: null,
      statusLabel: null,
      email: null,
      owner: null,
      funnel: null,
      closeUrl: "https://app.close.com/lead/lead_a/",
      receivedAt: RECEIVED_AT,
    });
  });

  it("keeps the webhook values where the owner file has nulls or blanks", () => {
    const lead = summaryOf("lead-created.json");
    const merged = mergeLead(
      lead,
      { ...NO_OWNER_FIELDS, lead_owner: " Priya Raman ", funnel: "" },
      RECEIVED_AT,
    );
    expect(merged).toMatchObject({
      name: lead.name,
      createdAt: lead.createdAt,
      statusLabel: lead.statusLabel,
      owner: "Priya Raman",
      funnel: null,
    });
  });

  it("never takes the lead id or the link from the owner file or html_url", () => {
    const { leadId, data } = dataOf("lead-created.json");
    const lead = summarizeLead(leadId, { ...data, html_url: "https://evil.example/phish" });
    const merged = mergeLead(lead, { ...ownerFixture(leadId), lead_id: "lead_other" }, RECEIVED_AT);
    expect(merged.leadId).toBe(leadId);
    expect(merged.closeUrl).toBe(closeLeadUrl(leadId));
    expect(merged.closeUrl).toBe(`https://app.close.com/lead/${leadId}/`);
  });

  it("is deterministic", () => {
    const leadId = LEAD_IDS["lead-created.json"];
    const once = mergeLead(summaryOf("lead-created.json"), ownerFixture(leadId), RECEIVED_AT);
    const twice = mergeLead(summaryOf("lead-created.json"), ownerFixture(leadId), RECEIVED_AT);
    expect(JSON.stringify(twice)).toBe(JSON.stringify(once));
  });
});
