import { describe, expect, it } from "vitest";
import {
  classifyHubSpotEvent,
  crmLeadRef,
  hubspotLeadId,
  signHubSpotV3,
  verifyHubSpotV3,
} from "../src/hubspot-webhook";

// integrations.md §13. LOCALLY COMPUTED test vector: derived with Python's `hmac` from HubSpot's
// documented v3 algorithm, not a vector HubSpot publishes.
const VECTOR = {
  clientSecret: "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
  method: "POST",
  uri: "https://www.example.com/webhook_uri",
  body: '{"example_field":"example_value"}',
  timestamp: "1700000000000",
  signature: "rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=",
};

const verify = (over: Partial<Parameters<typeof verifyHubSpotV3>[0]> = {}) =>
  verifyHubSpotV3({
    clientSecret: VECTOR.clientSecret,
    method: VECTOR.method,
    uri: VECTOR.uri,
    rawBody: Buffer.from(VECTOR.body),
    signature: VECTOR.signature,
    timestamp: VECTOR.timestamp,
    now: Number(VECTOR.timestamp) + 1000,
    ...over,
  });

describe("HubSpot v3 signature (§13, locally computed vector)", () => {
  it("signs the vector to the locally computed value", () => {
    expect(
      signHubSpotV3({
        clientSecret: VECTOR.clientSecret,
        method: "post",
        uri: VECTOR.uri,
        rawBody: VECTOR.body,
        timestamp: VECTOR.timestamp,
      }),
    ).toBe(VECTOR.signature);
  });

  it("accepts the vector within 5 minutes and refuses it after", () => {
    expect(verify()).toEqual({ ok: true });
    expect(verify({ now: Number(VECTOR.timestamp) + 300_000 })).toEqual({ ok: true });
    expect(verify({ now: Number(VECTOR.timestamp) + 300_001 })).toEqual({
      ok: false,
      reason: "stale-timestamp",
    });
  });

  it("refuses any change to method, URI, body, timestamp or secret", () => {
    expect(verify({ method: "PUT" }).ok).toBe(false);
    expect(verify({ uri: "https://www.example.com/webhook_uri?x=1" }).ok).toBe(false);
    expect(verify({ uri: "http://www.example.com/webhook_uri" }).ok).toBe(false);
    expect(verify({ rawBody: Buffer.from(`${VECTOR.body} `) }).ok).toBe(false);
    expect(verify({ timestamp: "1700000000001" }).ok).toBe(false);
    expect(verify({ clientSecret: "zzzz" }).ok).toBe(false);
  });

  it("names what is missing or malformed", () => {
    expect(verify({ clientSecret: undefined })).toEqual({ ok: false, reason: "no-secret" });
    expect(verify({ signature: undefined })).toEqual({ ok: false, reason: "missing-signature" });
    expect(verify({ timestamp: undefined })).toEqual({ ok: false, reason: "missing-timestamp" });
    expect(verify({ timestamp: "17e11" })).toEqual({ ok: false, reason: "bad-timestamp" });
    expect(verify({ signature: "not base64 !" })).toEqual({ ok: false, reason: "bad-signature" });
    expect(verify({ signature: "AAAA" })).toEqual({ ok: false, reason: "bad-signature" });
  });
});

const creation = (over: Record<string, unknown> = {}) => ({
  eventId: 100,
  subscriptionId: 25,
  portalId: 62515,
  appId: 54321,
  occurredAt: 1700000000000,
  subscriptionType: "contact.creation",
  attemptNumber: 0,
  objectId: 123,
  changeFlag: "CREATED",
  changeSource: "CRM_UI",
  sourceId: "userId:1",
  ...over,
});

describe("HubSpot events", () => {
  it("triages a contact.creation, read from subscriptionType or eventType", () => {
    expect(classifyHubSpotEvent(creation())).toEqual({
      kind: "contact",
      portalId: "62515",
      contactId: "123",
      eventId: "100",
    });
    const legacy = creation({ subscriptionType: undefined, eventType: "contact.creation" });
    expect(classifyHubSpotEvent(legacy).kind).toBe("contact");
  });

  it("leaves imports, other subscription types and leadrelay's own contacts", () => {
    expect(classifyHubSpotEvent(creation({ changeSource: "IMPORT" })).kind).toBe("ignored");
    expect(classifyHubSpotEvent(creation({ subscriptionType: "contact.propertyChange" })).kind).toBe(
      "ignored",
    );
    expect(classifyHubSpotEvent(creation({ subscriptionType: "deal.creation" })).kind).toBe("ignored");
    // Created through the API by the subscribing app itself (linkedin-replies' upsert).
    expect(classifyHubSpotEvent(creation({ changeSource: "INTEGRATION", sourceId: "54321" })).kind).toBe(
      "ignored",
    );
    expect(classifyHubSpotEvent(creation({ changeSource: "API", sourceId: "app:54321" })).kind).toBe(
      "ignored",
    );
    // Another app's integration (a form tool, a sync) is a real lead; a named own app is not.
    expect(classifyHubSpotEvent(creation({ changeSource: "INTEGRATION", sourceId: "999" })).kind).toBe(
      "contact",
    );
    expect(
      classifyHubSpotEvent(creation({ changeSource: "INTEGRATION", sourceId: "999" }), ["999"]).kind,
    ).toBe("ignored");
  });

  it("ignores events without usable ids instead of inventing a lead", () => {
    for (const bad of [
      null,
      "contact.creation",
      [creation()],
      creation({ objectId: undefined }),
      creation({ objectId: -1 }),
      creation({ objectId: 1.5 }),
      creation({ portalId: "62515; DROP" }),
      creation({ objectId: "../../x" }),
      creation({ objectId: 2 ** 60 }),
    ]) {
      expect(classifyHubSpotEvent(bad).kind).toBe("ignored");
    }
  });

  it("names the lead hubspot-{portal}-{contact} and reads the CRM back from it", () => {
    const leadId = hubspotLeadId("62515", "123");
    expect(leadId).toBe("hubspot-62515-123");
    expect(crmLeadRef(leadId)).toEqual({ crm: "hubspot", leadId, portalId: "62515", contactId: "123" });
    expect(crmLeadRef("lead_abc")).toEqual({ crm: "close", leadId: "lead_abc" });
    expect(crmLeadRef("hubspot-x-1").crm).toBe("close");
  });
});
