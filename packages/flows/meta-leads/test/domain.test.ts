import type { GraphLead } from "@leadrelay/core";
import { describe, expect, it } from "vitest";
import { EVENT_SOURCE, leadEvent } from "../src/domain/lead-event";
import { changeAt, readLeadgenPayload } from "../src/domain/leadgen-webhook";
import { categoryOf, membershipOf } from "../src/domain/membership";
import { MetaLead, normaliseLead } from "../src/domain/meta-lead";
import { fixtureText, leadgenBody } from "./meta-requests";

describe("readLeadgenPayload", () => {
  it("reads Meta's own sample: two leadgen changes in one entry, ids as JSON numbers", () => {
    const payload = readLeadgenPayload(fixtureText("meta-sample.json"));
    expect(payload).toEqual({
      kind: "leads",
      leads: [
        {
          leadgenId: "123123123123",
          entry: 0,
          change: 0,
          pageId: "123123123",
          formId: "12312312312",
          adId: "12312312312",
          adgroupId: "12312312312",
          createdTime: 1440120384,
        },
        expect.objectContaining({ leadgenId: "123123123124", entry: 0, change: 1 }),
      ],
      malformed: [],
      otherChanges: 0,
    });
  });

  it("keeps 17-digit ids exactly, although as JS numbers the two are the same value", () => {
    const payload = readLeadgenPayload(fixtureText("leadgen-two-changes.json"));
    expect(payload.kind === "leads" && payload.leads.map((lead) => [lead.leadgenId, lead.adgroupId])).toEqual(
      [
        ["12345678901234567", "23849853425900183"],
        ["12345678901234568", "23849853425900183"],
      ],
    );
  });

  it("reads ids sent as strings the same way", () => {
    const payload = readLeadgenPayload(leadgenBody([[{ leadgenId: "12345678901234567", as: "string" }]]));
    expect(payload.kind === "leads" && payload.leads[0]?.leadgenId).toBe("12345678901234567");
  });

  it("walks every entry and every change, skipping other fields and duplicate lead ids", () => {
    const body = leadgenBody([
      [
        { leadgenId: "111111111111111" },
        { leadgenId: "999", field: "feed" },
        { leadgenId: "222222222222222" },
      ],
      [{ leadgenId: "111111111111111" }, { leadgenId: "333333333333333" }],
    ]);
    const payload = readLeadgenPayload(body);
    expect(payload.kind).toBe("leads");
    if (payload.kind !== "leads") return;
    expect(payload.leads.map((lead) => [lead.leadgenId, lead.entry, lead.change])).toEqual([
      ["111111111111111", 0, 0],
      ["222222222222222", 0, 2],
      ["333333333333333", 1, 1],
    ]);
    expect(payload.otherChanges).toBe(1);
  });

  it("counts leadgen changes without a readable id as malformed", () => {
    const body = JSON.stringify({
      object: "page",
      entry: [
        {
          changes: [
            { field: "leadgen", value: { leadgen_id: "12a" } },
            { field: "leadgen", value: { leadgen_id: 1.5 } },
            { field: "leadgen", value: "nope" },
            { field: "leadgen", value: { leadgen_id: "444444444444444" } },
          ],
        },
      ],
    });
    const payload = readLeadgenPayload(body);
    expect(payload.kind === "leads" && payload.leads.map((lead) => lead.leadgenId)).toEqual([
      "444444444444444",
    ]);
    expect(payload.kind === "leads" && payload.malformed.map((item) => item.reason)).toEqual([
      "leadgen_id is not an id",
      "leadgen_id is not an id",
      "value is not an object",
    ]);
  });

  it("ignores other objects and deliveries without leadgen changes; refuses what is not a Page webhook", () => {
    expect(readLeadgenPayload('{"object":"instagram","entry":[]}')).toMatchObject({ kind: "ignored" });
    expect(readLeadgenPayload(leadgenBody([[{ leadgenId: "1", field: "feed" }]]))).toMatchObject({
      kind: "ignored",
      reason: "no leadgen change",
    });
    expect(readLeadgenPayload('{"object":"page","entry":[]}')).toMatchObject({ kind: "ignored" });
    expect(readLeadgenPayload("not json")).toEqual({ kind: "invalid", reason: "body is not JSON" });
    expect(readLeadgenPayload("[]")).toMatchObject({ kind: "invalid" });
    expect(readLeadgenPayload('{"entry":[]}')).toMatchObject({
      kind: "invalid",
      reason: "object must be a string",
    });
    expect(readLeadgenPayload('{"object":"page","entry":{}}')).toMatchObject({ kind: "invalid" });
  });

  it("changeAt finds one change of a stored delivery, its large ids as digits", () => {
    const change = changeAt(fixtureText("leadgen-two-changes.json"), 0, 1) as {
      value: { leadgen_id: unknown };
    };
    expect(change.value.leadgen_id).toBe("12345678901234568");
    expect(changeAt(fixtureText("leadgen-two-changes.json"), 0, 2)).toBeUndefined();
    expect(changeAt("{", 0, 0)).toBeUndefined();
  });
});

const graphLead = (fields: Array<[string, string[]]>, extra: Partial<GraphLead> = {}): GraphLead => ({
  id: "668610767661077",
  field_data: fields.map(([name, values]) => ({ name, values })),
  ...extra,
});

describe("normaliseLead", () => {
  it("lifts full_name, email and phone_number out; custom questions keep their keys", () => {
    const lead = normaliseLead(
      graphLead(
        [
          ["email", ["  Someone@Example.COM "]],
          ["phone_number", ["+923023729184"]],
          ["full_name", ["Shazad Rana"]],
          ["which_plan_interests_you", ["annual"]],
          ["what_matters_most", ["price", "location"]],
        ],
        {
          created_time: "2022-02-03T16:16:51+0000",
          ad_id: "23849853425890183",
          platform: "fb",
          is_organic: false,
        },
      ),
    );
    expect(lead).toEqual({
      leadgenId: "668610767661077",
      createdTime: "2022-02-03T16:16:51+0000",
      formId: null,
      adId: "23849853425890183",
      adsetId: null,
      campaignId: null,
      isOrganic: false,
      platform: "fb",
      fullName: "Shazad Rana",
      email: "someone@example.com",
      phone: "+923023729184",
      answers: { which_plan_interests_you: "annual", what_matters_most: ["price", "location"] },
    });
    expect(MetaLead.safeParse(lead).success).toBe(true);
  });

  it("builds the name from first_name and last_name when there is no full_name", () => {
    const lead = normaliseLead(
      graphLead([
        ["first_name", ["Bruno"]],
        ["last_name", ["Former"]],
      ]),
    );
    expect(lead.fullName).toBe("Bruno Former");
    expect(lead.answers).toEqual({ first_name: "Bruno", last_name: "Former" });
  });

  it("keeps an email that is not an address as an answer, not as the email", () => {
    const lead = normaliseLead(graphLead([["email", ["call me maybe"]]]));
    expect(lead.email).toBeNull();
    expect(lead.answers).toEqual({ email: "call me maybe" });
  });

  it("takes control and bidi characters out and bounds every value", () => {
    const lead = normaliseLead(
      graphLead([
        ["full_name", ["Eve\u202e\u0000 Hacker\n\tEsq."]],
        ["essay", ["x".repeat(5000)]],
      ]),
    );
    expect(lead.fullName).toBe("Eve Hacker Esq.");
    expect((lead.answers.essay as string).length).toBe(500);
  });

  it("stays small whatever the form holds: answers beyond the budget are counted, not kept", () => {
    const fields: Array<[string, string[]]> = Array.from({ length: 400 }, (_, i) => [
      `question_${i}`,
      Array.from({ length: 30 }, () => "y".repeat(500)),
    ]);
    const lead = normaliseLead(graphLead(fields));
    expect(Buffer.byteLength(JSON.stringify(lead))).toBeLessThan(20 * 1024);
    expect(lead.answersOmitted).toBeGreaterThan(0);
    expect(Object.keys(lead.answers).length + (lead.answersOmitted ?? 0)).toBe(400);
  });
});

describe("categoryOf", () => {
  const cases: Array<[string, Parameters<typeof categoryOf>[0], string, string]> = [
    ["active", { found: true, status: "active" }, "already_subscribed", "active"],
    ["ACTIVE (any case)", { found: true, status: " ACTIVE " }, "already_subscribed", "active"],
    ["terminated", { found: true, status: "terminated" }, "terminated", "terminated"],
    ["cancelled", { found: true, status: "cancelled" }, "terminated", "cancelled"],
    ["canceled", { found: true, status: "canceled" }, "terminated", "canceled"],
    ["not found", { found: false }, "pending", "not_found"],
    ["paused (anything else)", { found: true, status: "paused" }, "pending", "paused"],
    ["a status that is not a plain word", { found: true, status: "<script>" }, "pending", "other"],
  ];
  for (const [name, lookup, category, membership] of cases) {
    it(`${name} → ${category}`, () => {
      expect(categoryOf(lookup)).toBe(category);
      expect(membershipOf(lookup)).toBe(membership);
    });
  }
});

describe("leadEvent", () => {
  it("is meta-lead.<category> from leadrelay.meta-leads with the lead, category and source ids", () => {
    const lead = normaliseLead(graphLead([["email", ["a@b.co"]]]));
    const webhook = { pageId: "153125381133", formId: "447333180259108", adId: null, adgroupId: null };
    const event = leadEvent({
      lead,
      category: "terminated",
      membership: "cancelled",
      webhook,
      receivedAt: "t",
    });
    expect(event).toEqual({
      source: EVENT_SOURCE,
      detailType: "meta-lead.terminated",
      detail: {
        leadgenId: lead.leadgenId,
        category: "terminated",
        membership: "cancelled",
        lead,
        source: { leadgenId: lead.leadgenId, ...webhook, receivedAt: "t" },
      },
    });
    expect(EVENT_SOURCE).toBe("leadrelay.meta-leads");
  });
});
