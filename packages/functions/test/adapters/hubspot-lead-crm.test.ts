import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHubSpotCrm } from "../../src/adapters/hubspot";
import { createHubSpotLeadCrm, hubspotNoteBody } from "../../src/adapters/hubspot-lead-crm";
import { failureOf, startVendorServer, type VendorServer } from "./vendor-server";

const TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555";
const NOW = Date.parse("2026-12-07T22:00:00.000Z");
const LEAD = "hubspot-62515-101";

let hubspot: VendorServer;
let crm: ReturnType<typeof createHubSpotLeadCrm>;

beforeAll(async () => {
  hubspot = await startVendorServer(() => ({ status: 200, json: { id: "101", properties: {} } }));
  crm = createHubSpotLeadCrm(createHubSpotCrm({ baseUrl: hubspot.url, token: TOKEN }, { timeoutMs: 5_000 }), {
    messageProperty: "message",
    labelProperty: "leadrelay_triage_label",
    now: () => NOW,
  });
});
afterAll(async () => {
  await hubspot.close();
});
beforeEach(() => hubspot.reset());

const bodyOf = (index = 0) => JSON.parse(hubspot.requests[index]?.body ?? "null");
const rateLimited = (policyName: string) => ({
  status: 429,
  headers: { "x-hubspot-ratelimit-interval-milliseconds": "10000" },
  json: {
    status: "error",
    message: `You have reached your ${policyName.toLowerCase()} limit.`,
    errorType: "RATE_LIMIT",
    correlationId: "c0ffee",
    policyName,
  },
});

describe("HubSpot behind the CRM port", () => {
  it("reads the contact's name, company, email, phone and message property with batch/read", async () => {
    hubspot.next({
      status: 200,
      json: {
        status: "COMPLETE",
        results: [
          {
            id: "101",
            properties: {
              firstname: "Ada",
              lastname: "Lovelace",
              company: "Analytical Engines",
              email: "ada@example.com",
              phone: null,
              mobilephone: "+15550100",
              message: "<p>We need 40 seats <b>today</b></p>",
              hs_object_id: "101",
            },
            createdAt: "2026-12-07T21:59:58Z",
            updatedAt: "2026-12-07T21:59:58Z",
            archived: false,
          },
        ],
      },
    });
    const record = await crm.readLead(LEAD);
    const request = hubspot.only();
    expect([request.method, request.url]).toEqual(["POST", "/crm/v3/objects/contacts/batch/read"]);
    expect(bodyOf()).toEqual({
      properties: ["firstname", "lastname", "company", "email", "phone", "mobilephone", "message"],
      inputs: [{ id: "101" }],
    });
    expect(record).toEqual({
      name: "Ada Lovelace",
      company: "Analytical Engines",
      email: "ada@example.com",
      phone: "+15550100",
      message: "<p>We need 40 seats <b>today</b></p>",
      messageField: "message",
      url: "https://app.hubspot.com/contacts/62515/record/0-1/101",
    });
  });

  it("a contact gone from HubSpot (207 with an error, no result) is a rejection, not an empty lead", async () => {
    hubspot.next({
      status: 207,
      json: {
        status: "COMPLETE",
        results: [],
        numErrors: 1,
        errors: [
          { status: "error", category: "OBJECT_NOT_FOUND", message: "Could not get some CONTACT objects" },
        ],
      },
    });
    const error = await failureOf(crm.readLead(LEAD));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("contact 101 is not in portal 62515");
  });

  it("writes the label property with PATCH and adds one note associated with the contact (type 202)", async () => {
    hubspot.next(
      { status: 200, json: { id: "101", properties: { leadrelay_triage_label: "URGENT_BUYER" } } },
      { status: 201, json: { id: "9001", properties: {} } },
    );
    expect(await crm.writeLabel(LEAD, "URGENT_BUYER")).toEqual({
      key: "leadrelay_triage_label",
      value: "URGENT_BUYER",
    });
    expect(await crm.addNote(LEAD, "leadrelay triage: URGENT_BUYER\n- sms: done <SM1>")).toEqual({
      noteId: "9001",
    });
    expect(hubspot.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PATCH /crm/v3/objects/contacts/101",
      "POST /crm/v3/objects/notes",
    ]);
    expect(bodyOf(0)).toEqual({ properties: { leadrelay_triage_label: "URGENT_BUYER" } });
    expect(bodyOf(1)).toEqual({
      properties: {
        hs_timestamp: "2026-12-07T22:00:00.000Z",
        hs_note_body: "leadrelay triage: URGENT_BUYER<br>- sms: done &lt;SM1&gt;",
      },
      associations: [
        { to: { id: "101" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 202 }] },
      ],
    });
  });

  it("a 404 or 409 on the label write fails the write instead of claiming it was done", async () => {
    hubspot.next({
      status: 404,
      json: { status: "error", message: "resource not found", category: "OBJECT_NOT_FOUND" },
    });
    expect((await failureOf(crm.writeLabel(LEAD, "SPAM"))).message).toContain("deleted or merged");
    hubspot.next({
      status: 409,
      json: { status: "error", message: "Contact already exists. Existing ID: 777", category: "CONFLICT" },
    });
    const conflict = await failureOf(crm.writeLabel(LEAD, "SPAM"));
    expect(conflict.name).toBe("ServiceRejected");
    expect(conflict.message).toContain("contact 777");
  });

  it("a rolling 429 is retryable (ServiceRateLimited with HubSpot's interval), a DAILY one is not", async () => {
    hubspot.next(rateLimited("TEN_SECONDLY_ROLLING"));
    const limited = await failureOf(crm.addNote(LEAD, "note"));
    expect([limited.name, limited.retryAfterSeconds]).toEqual(["ServiceRateLimited", 10]);
    hubspot.next(rateLimited("DAILY"));
    expect((await failureOf(crm.writeLabel(LEAD, "SPAM"))).name).toBe("ServiceQuotaExhausted");
  });

  it("an unknown label property names the setup command", async () => {
    hubspot.next({
      status: 400,
      json: {
        status: "error",
        message:
          'Property values were not valid: [{"error":"PROPERTY_DOESNT_EXIST","name":"leadrelay_triage_label"}]',
        category: "VALIDATION_ERROR",
      },
    });
    const error = await failureOf(crm.writeLabel(LEAD, "SPAM"));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("pnpm leadrelay hubspot setup");
  });

  it("refuses a lead id that is not a HubSpot contact without calling HubSpot", async () => {
    expect((await failureOf(crm.readLead("lead_abc"))).name).toBe("ServiceRejected");
    expect(hubspot.requests).toEqual([]);
  });

  it("escapes the note as HTML and keeps it within HubSpot's 65,536 characters", () => {
    expect(hubspotNoteBody('<script>"x"</script>\nline')).toBe(
      "&lt;script&gt;&quot;x&quot;&lt;/script&gt;<br>line",
    );
    expect(hubspotNoteBody("a".repeat(70_000))).toHaveLength(65_536);
  });
});
