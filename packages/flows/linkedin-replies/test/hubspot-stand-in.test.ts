import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../../local/test/harness";
import { type HubSpotLoopback, hubspotLoopback } from "./support";

/**
 * The HubSpot stand-in enforces the rules the flow relies on; these tests speak HubSpot's wire
 * format to it directly, so they hold it to the real service's answers.
 */
let hubspot: HubSpotLoopback;
beforeEach(async () => {
  hubspot = await hubspotLoopback();
});
afterEach(async () => {
  await hubspot.close();
});

async function call(method: string, path: string, body?: unknown, token: string | null = "t") {
  const response = await fetch(`${hubspot.url}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read HubSpot's answers field by field
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}
const createContact = (properties: Record<string, string>) =>
  call("POST", "/crm/v3/objects/contacts", { properties });

describe("HubSpot stand-in: HubSpot's rules", () => {
  it("wants a Bearer token", async () => {
    const { status, json } = await call("GET", "/crm/v3/objects/contacts", undefined, null);
    expect(status).toBe(401);
    expect(json.category).toBe("INVALID_AUTHENTICATION");
  });

  it("keeps email unique, case-insensitively, with HubSpot's 409 body", async () => {
    const first = await createContact({ email: "ada@example.com" });
    expect(first.status).toBe(201);
    const again = await createContact({ email: "ADA@example.com", firstname: "Other" });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      status: "error",
      message: `Contact already exists. Existing ID: ${first.json.id}`,
      category: "CONFLICT",
      correlationId: expect.any(String),
    });
    const other = await createContact({ email: "b@example.com" });
    const patch = await call("PATCH", `/crm/v3/objects/contacts/${other.json.id}`, {
      properties: { email: "ada@example.com" },
    });
    expect([patch.status, patch.json.message]).toEqual([
      409,
      `Contact already exists. Existing ID: ${first.json.id}`,
    ]);
    expect((await hubspot.state()).contacts).toHaveLength(2);
  });

  it("refuses unknown and read-only properties until one is created", async () => {
    const unknown = await createContact({ email: "a@b.co", favourite_colour: "blue", hs_object_id: "1" });
    expect(unknown.status).toBe(400);
    expect(unknown.json.category).toBe("VALIDATION_ERROR");
    expect(unknown.json.message).toContain('"error":"PROPERTY_DOESNT_EXIST","name":"favourite_colour"');
    expect(unknown.json.message).toContain('"error":"READ_ONLY_VALUE","name":"hs_object_id"');
    const definition = {
      name: "favourite_colour",
      label: "Colour",
      type: "string",
      fieldType: "text",
      groupName: "contactinformation",
    };
    expect((await call("POST", "/crm/v3/properties/contacts", definition)).status).toBe(201);
    const exists = await call("POST", "/crm/v3/properties/contacts", definition);
    expect([exists.status, exists.json.category]).toEqual([409, "OBJECT_ALREADY_EXISTS"]);
    expect((await createContact({ email: "a@b.co", favourite_colour: "blue" })).status).toBe(201);
    expect((await hubspot.state()).contacts).toHaveLength(1);
  });

  it("checks a deal's stage against its pipeline and computes whether it is closed", async () => {
    const bad = await call("POST", "/crm/v3/objects/deals", {
      properties: { dealname: "x", pipeline: "default", dealstage: "nope" },
    });
    expect(bad.status).toBe(400);
    const lost = await call("POST", "/crm/v3/objects/deals", {
      properties: { dealname: "x", pipeline: "default", dealstage: "closedlost" },
    });
    expect(lost.json.properties).toMatchObject({ hs_is_closed: "true", hs_is_closed_won: "false" });
  });

  it("wants hs_timestamp on a note, and association types that fit the objects", async () => {
    const contact = await createContact({ email: "a@b.co" });
    expect((await call("POST", "/crm/v3/objects/notes", { properties: { hs_note_body: "x" } })).status).toBe(
      400,
    );
    const to = (id: string, typeId: number) => ({
      to: { id },
      types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: typeId }],
    });
    const note = { hs_timestamp: "2026-11-20T14:00:00Z", hs_note_body: "x" };
    const wrongType = await call("POST", "/crm/v3/objects/notes", {
      properties: note,
      associations: [to(contact.json.id, 214)],
    });
    expect(wrongType.status).toBe(400);
    const missing = await call("POST", "/crm/v3/objects/notes", {
      properties: note,
      associations: [to("999999", 202)],
    });
    expect(missing.status).toBe(400);
    expect(
      (
        await call("POST", "/crm/v3/objects/notes", {
          properties: note,
          associations: [to(contact.json.id, 202)],
        })
      ).status,
    ).toBe(201);
    expect((await hubspot.state()).notes).toHaveLength(1);
  });

  it("lists associations from either side, in v4 and v3", async () => {
    const contact = await createContact({ email: "a@b.co" });
    const deal = await call("POST", "/crm/v3/objects/deals", {
      properties: { dealname: "d" },
      associations: [
        {
          to: { id: contact.json.id },
          types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: 3 }],
        },
      ],
    });
    const fromContact = await call("GET", `/crm/v4/objects/contacts/${contact.json.id}/associations/deals`);
    // As HubSpot's v4 spec declares them (HubSpot/hubspot-api-nodejs,
    // codegen/crm/associations/v4/models/MultiAssociatedObjectWithLabel.ts: `toObjectId: string`;
    // AssociationSpecWithLabel.ts: `label?: string`): a string id, no `label: null`.
    expect(fromContact.json.results).toEqual([
      {
        toObjectId: String(deal.json.id),
        associationTypes: [{ category: "HUBSPOT_DEFINED", typeId: 4 }],
      },
    ]);
    expect(typeof fromContact.json.results[0].toObjectId).toBe("string");
    const fromDeal = await call("GET", `/crm/v3/objects/deals/${deal.json.id}/associations/contacts`);
    expect(fromDeal.json.results).toEqual([{ id: contact.json.id, type: "deals_to_contacts", typeIds: [3] }]);
    expect((await call("GET", "/crm/v4/objects/contacts/424242/associations/deals")).status).toBe(404);
  });

  it("upserts contacts by email in a batch", async () => {
    const upsert = (firstname: string) =>
      call("POST", "/crm/v3/objects/contacts/batch/upsert", {
        inputs: [{ id: "Ada@Example.com", idProperty: "email", properties: { firstname } }],
      });
    const first = await upsert("Ada");
    const second = await upsert("Augusta");
    expect(first.json.results[0]).toMatchObject({ new: true, properties: { firstname: "Ada" } });
    expect(second.json.results[0]).toMatchObject({
      new: false,
      id: first.json.results[0].id,
      properties: { firstname: "Augusta" },
    });
  });
});

describe("HubSpot stand-in: search lags writes", () => {
  const searchByName = async (firstname: string) =>
    (
      await call("POST", "/crm/v3/objects/contacts/search", {
        filterGroups: [{ filters: [{ propertyName: "firstname", operator: "EQ", value: firstname }] }],
      })
    ).json.total;

  it("misses a new record, then shows an updated one's old values, until the lag has passed", async () => {
    await hubspot.setSearchLag(2_000);
    const contact = await createContact({ email: "a@b.co", firstname: "Ada" });
    expect(await searchByName("Ada")).toBe(0);
    hubspot.advance(2_001);
    expect(await searchByName("Ada")).toBe(1);
    await call("PATCH", `/crm/v3/objects/contacts/${contact.json.id}`, {
      properties: { firstname: "Augusta" },
    });
    expect([await searchByName("Ada"), await searchByName("Augusta")]).toEqual([1, 0]);
    hubspot.advance(2_001);
    expect([await searchByName("Ada"), await searchByName("Augusta")]).toEqual([0, 1]);
  });

  it("refuses searches over HubSpot's filter limits", async () => {
    const filters = Array.from({ length: 11 }, () => ({ propertyName: "email", operator: "EQ", value: "x" }));
    expect(
      (await call("POST", "/crm/v3/objects/contacts/search", { filterGroups: [{ filters }] })).status,
    ).toBe(400);
  });
});

describe("HubSpot stand-in: state", () => {
  it("shows its state read only, and keeps it across a restart", async () => {
    expect((await fetch(`${hubspot.url}/_state`, { method: "POST" })).status).toBe(405);
    const dataDir = tempDir("hubspot-restart-");
    const before = await hubspotLoopback({ dataDir });
    await before.crm.createContact({ email: "a@b.co" });
    await before.close();
    const after = await hubspotLoopback({ dataDir, setUp: false });
    try {
      const state = await after.state();
      expect(state.contacts.map((contact) => contact.properties.email)).toEqual(["a@b.co"]);
    } finally {
      await after.close();
    }
  });
});
