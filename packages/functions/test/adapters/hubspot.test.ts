import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHubSpotCrm } from "../../src/adapters/hubspot";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555";
const CORRELATION = "aeb5f871-7f07-4993-9211-075dc63e7cbf";

let hubspot: VendorServer;
let crm: ReturnType<typeof createHubSpotCrm>;

beforeAll(async () => {
  hubspot = await startVendorServer(() => ({ status: 200, json: { id: "512", properties: {} } }));
  crm = createHubSpotCrm({ baseUrl: hubspot.url, token: TOKEN }, { timeoutMs: 300 });
});
afterAll(async () => {
  await hubspot.close();
});
beforeEach(() => hubspot.reset());

const bodyOf = (index = 0) => JSON.parse(hubspot.requests[index]?.body ?? "null");

describe("HubSpot adapter: requests", () => {
  it("upserts a contact by email with batch/upsert and a Bearer token", async () => {
    hubspot.next({
      status: 200,
      json: {
        status: "COMPLETE",
        results: [{ id: "777", new: false, properties: { email: "ada@example.com" } }],
        startedAt: "2026-11-20T14:00:00Z",
        completedAt: "2026-11-20T14:00:00Z",
      },
    });
    const result = await crm.upsertContactByEmail("ada@example.com", { firstname: "Ada" });
    const request = hubspot.only();
    expect([request.method, request.url]).toEqual(["POST", "/crm/v3/objects/contacts/batch/upsert"]);
    expect(header(request.headers, "authorization")).toBe(`Bearer ${TOKEN}`);
    expect(bodyOf()).toEqual({
      inputs: [{ id: "ada@example.com", idProperty: "email", properties: { firstname: "Ada" } }],
    });
    expect(result).toEqual({ id: "777", created: false });
  });

  it("reads HubSpot's 409 on create as the id of the contact that has the email", async () => {
    hubspot.next({
      status: 409,
      json: {
        status: "error",
        message: "Contact already exists. Existing ID: 777",
        correlationId: CORRELATION,
        category: "CONFLICT",
      },
    });
    expect(await crm.createContact({ email: "ada@example.com" })).toEqual({
      status: "exists",
      existingId: "777",
    });
    hubspot.next({ status: 201, json: { id: "901", properties: { email: "new@example.com" } } });
    expect(await crm.createContact({ email: "new@example.com" })).toEqual({ status: "created", id: "901" });
    expect(hubspot.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /crm/v3/objects/contacts",
      "POST /crm/v3/objects/contacts",
    ]);
  });

  it("refuses a 409 that names no existing id instead of guessing", async () => {
    hubspot.next({ status: 409, json: { status: "error", message: "Conflict", category: "CONFLICT" } });
    const error = await failureOf(crm.createContact({ email: "a@b.co" }));
    expect(error.name).toBe("ServiceRejected");
  });

  it("patches a contact, telling missing and conflicting apart", async () => {
    hubspot.next(
      { status: 200, json: { id: "512", properties: {} } },
      { status: 404, json: { status: "error", message: "resource not found", category: "OBJECT_NOT_FOUND" } },
      {
        status: 409,
        json: { status: "error", message: "Contact already exists. Existing ID: 88", category: "CONFLICT" },
      },
    );
    expect(await crm.updateContact("512", { firstname: "Ada" })).toEqual({ status: "updated", id: "512" });
    expect(await crm.updateContact("513", {})).toEqual({ status: "missing" });
    expect(await crm.updateContact("514", { email: "x@y.co" })).toEqual({
      status: "conflict",
      existingId: "88",
    });
    expect(hubspot.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "PATCH /crm/v3/objects/contacts/512",
      "PATCH /crm/v3/objects/contacts/513",
      "PATCH /crm/v3/objects/contacts/514",
    ]);
    expect(bodyOf()).toEqual({ properties: { firstname: "Ada" } });
  });

  it("searches with one EQ filter", async () => {
    hubspot.next({
      status: 200,
      json: { total: 1, results: [{ id: 42, properties: { leadrelay_linkedin_url: "u" } }] },
    });
    const found = await crm.searchContacts("leadrelay_linkedin_url", "u", ["leadrelay_linkedin_url"]);
    expect(found).toEqual([{ id: "42", properties: { leadrelay_linkedin_url: "u" } }]);
    expect(bodyOf()).toEqual({
      filterGroups: [{ filters: [{ propertyName: "leadrelay_linkedin_url", operator: "EQ", value: "u" }] }],
      properties: ["leadrelay_linkedin_url"],
      limit: 10,
    });
  });

  it("lists v4 associations across pages and treats an unknown object as none", async () => {
    hubspot.next(
      {
        status: 200,
        json: {
          results: [{ toObjectId: 1, associationTypes: [{ category: "HUBSPOT_DEFINED", typeId: 4 }] }],
          paging: { next: { after: "MQ%3D%3D" } },
        },
      },
      { status: 200, json: { results: [{ toObjectId: 2, associationTypes: [] }] } },
      { status: 404, json: { status: "error", message: "not found" } },
    );
    expect(await crm.associatedIds("contacts", "512", "deals")).toEqual(["1", "2"]);
    expect(hubspot.requests.map((r) => r.url)).toEqual([
      "/crm/v4/objects/contacts/512/associations/deals?limit=500",
      "/crm/v4/objects/contacts/512/associations/deals?limit=500&after=MQ%253D%253D",
    ]);
    expect(await crm.associatedIds("contacts", "999", "deals")).toEqual([]);
  });

  it("reads in batches of 100", async () => {
    hubspot.next({ status: 200, json: { results: [{ id: "1", properties: { dealname: "a" } }] } });
    hubspot.next({ status: 200, json: { results: [{ id: "101", properties: { dealname: null } }] } });
    const ids = Array.from({ length: 101 }, (_, i) => String(i + 1));
    const deals = await crm.readBatch("deals", ids, ["dealname"]);
    expect(deals).toEqual([
      { id: "1", properties: { dealname: "a" } },
      { id: "101", properties: { dealname: null } },
    ]);
    expect(bodyOf(0).inputs).toHaveLength(100);
    expect(bodyOf(1)).toEqual({ properties: ["dealname"], inputs: [{ id: "101" }] });
  });

  it("creates a deal and a note with HUBSPOT_DEFINED associations", async () => {
    hubspot.next({ status: 201, json: { id: "3001", properties: {} } });
    expect(
      await crm.createObject(
        "notes",
        { hs_timestamp: "2026-11-20T14:00:00.000Z", hs_note_body: "<p>x</p>" },
        [
          { toId: "512", typeId: 202 },
          { toId: "77", typeId: 214 },
        ],
      ),
    ).toEqual({ id: "3001" });
    expect(hubspot.only().url).toBe("/crm/v3/objects/notes");
    expect(bodyOf()).toEqual({
      properties: { hs_timestamp: "2026-11-20T14:00:00.000Z", hs_note_body: "<p>x</p>" },
      associations: [
        { to: { id: "512" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 202 }] },
        { to: { id: "77" }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 214 }] },
      ],
    });
  });

  it("creates a property, a 409 meaning it exists", async () => {
    const definition = {
      name: "p",
      label: "P",
      type: "string" as const,
      fieldType: "text" as const,
      groupName: "contactinformation",
    };
    hubspot.next(
      { status: 201, json: definition },
      {
        status: 409,
        json: {
          status: "error",
          message: "Property named 'p' already exists.",
          category: "OBJECT_ALREADY_EXISTS",
        },
      },
    );
    expect(await crm.createProperty("contacts", definition)).toBe("created");
    expect(await crm.createProperty("contacts", definition)).toBe("exists");
    expect(hubspot.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /crm/v3/properties/contacts",
      "POST /crm/v3/properties/contacts",
    ]);
  });
});

describe("HubSpot adapter: failures", () => {
  const rateLimited = (policyName: string, headers: Record<string, string> = {}) => ({
    status: 429,
    headers,
    json: {
      status: "error",
      message: `You have reached your ${policyName.toLowerCase()} limit.`,
      errorType: "RATE_LIMIT",
      correlationId: CORRELATION,
      policyName,
    },
  });

  it("TEN_SECONDLY_ROLLING is a rate limit worth retrying, after Retry-After when sent", async () => {
    hubspot.next(
      rateLimited("TEN_SECONDLY_ROLLING", { "retry-after": "3", "x-hubspot-ratelimit-max": "190" }),
    );
    const error = await failureOf(crm.createObject("deals", { dealname: "x" }, []));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.retryAfterSeconds).toBe(3);
    expect(error.code).toBe("TEN_SECONDLY_ROLLING");
    expect(error.message).toContain("hubspot rate limited the call (HTTP 429, code TEN_SECONDLY_ROLLING)");
    expect(error.message).toContain("x-hubspot-ratelimit-max: 190");
  });

  it("…else after the rolling interval HubSpot names", async () => {
    hubspot.next(
      rateLimited("TEN_SECONDLY_ROLLING", { "x-hubspot-ratelimit-interval-milliseconds": "10000" }),
    );
    const error = await failureOf(crm.upsertContactByEmail("a@b.co", {}));
    expect([error.name, error.retryAfterSeconds]).toEqual(["ServiceRateLimited", 10]);
    hubspot.next(rateLimited("SECONDLY"));
    expect((await failureOf(crm.searchContacts("email", "a@b.co", []))).name).toBe("ServiceRateLimited");
  });

  it("DAILY is a used-up quota: not retried, and the cause says until when", async () => {
    hubspot.next(rateLimited("DAILY", { "x-hubspot-ratelimit-daily-remaining": "0" }));
    const error = await failureOf(crm.createObject("notes", { hs_timestamp: "1" }, []));
    expect(error.name).toBe("ServiceQuotaExhausted");
    expect(error.code).toBe("DAILY");
    expect(error.message).toContain("daily API quota is used up");
    expect(error.message).toContain("midnight in the portal's time zone");
  });

  it("an unknown property points at the setup command", async () => {
    hubspot.next({
      status: 400,
      json: {
        status: "error",
        message:
          'Property values were not valid: [{"isValid":false,"message":"Property \\"leadrelay_linkedin_url\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"leadrelay_linkedin_url"}]',
        category: "VALIDATION_ERROR",
      },
    });
    const error = await failureOf(crm.createContact({ leadrelay_linkedin_url: "x" }));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("PROPERTY_DOESNT_EXIST");
    expect(error.message).toContain("pnpm leadrelay hubspot setup");
  });

  it("a bad token is rejected for good and never shows the token", async () => {
    hubspot.next({
      status: 401,
      json: {
        status: "error",
        message: "Authentication credentials not found.",
        category: "INVALID_AUTHENTICATION",
      },
    });
    const error = await failureOf(crm.updateContact("1", {}));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("HUBSPOT_TOKEN");
    expect(error.message).not.toContain(TOKEN);
  });

  it("5xx and timeouts are worth a retry", async () => {
    hubspot.next({ status: 502, text: "Bad Gateway" }, { status: 200, hang: true });
    expect((await failureOf(crm.createObject("deals", {}, []))).name).toBe("ServiceUnavailable");
    const timeout = await failureOf(crm.createObject("deals", {}, []));
    expect(timeout.name).toBe("ServiceUnavailable");
    expect(timeout.message).toContain("no answer within 300 ms");
  });

  it("a batch upsert answered 207 with our input's error is a refusal", async () => {
    hubspot.next({
      status: 207,
      json: {
        status: "COMPLETE",
        results: [],
        numErrors: 1,
        errors: [{ status: "error", message: "Email is invalid" }],
      },
    });
    const error = await failureOf(crm.upsertContactByEmail("bad", {}));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("Email is invalid");
  });
});
