import { describe, expect, it } from "vitest";
import { conversionEvent, conversionEventId } from "../src/domain/conversion-event";
import { type Deal, parseDeal, parseDealBody, stageOf } from "../src/domain/deal";
import { dealBusinessKey, dealRawKey, rejectedKey } from "../src/domain/keys";
import { sha256Hex } from "../src/domain/meta-user-data";
import { dealBody, fixtureBody } from "./fixtures";

const parsed = (body: string): Deal => {
  const verdict = parseDealBody(body);
  if (!verdict.ok) throw new Error(verdict.reason);
  return verdict.deal;
};
const reasonOf = (body: string) => {
  const verdict = parseDealBody(body);
  return verdict.ok ? undefined : verdict.reason;
};

describe("status routing", () => {
  it.each([
    ["Qualified", "qualified"],
    ["QUALIFIED", "qualified"],
    [" qualified ", "qualified"],
    ["Committed", "committed"],
    ["cOmMiTtEd", "committed"],
    ["Prospecting", "other"],
    ["Closed Won", "other"],
    ["qualified-ish", "other"],
    ["Qualified\u0000", "other"],
  ])("%j → %s", (status, stage) => {
    expect(stageOf(status)).toBe(stage);
  });
});

describe("parsing the CRM's deal", () => {
  it("reads the committed fixture: ids as strings, status lower-cased, unknown fields ignored", () => {
    const deal = parsed(fixtureBody("deal-committed"));
    expect(deal).toEqual({
      dealId: "D-100234",
      status: "committed",
      dealName: "Harbor Lane townhouse",
      value: 485000,
      currency: "USD",
      customer: {
        contactId: "C-55012",
        firstName: "Valéry",
        lastName: "O'Connor-Smith",
        email: "Valery.OConnor@Example.com",
        phoneNumber: "(503) 555-0147",
      },
      property: {
        propertyId: "P-7781",
        address: "12 Harbor Lane",
        city: "Portland",
        state: "OR",
        zipCode: "97201",
        propertyType: "Townhouse",
        squareFootage: 1840,
      },
    });
  });

  it("takes amounts as decimal strings and currencies in any case; numeric deal ids become strings", () => {
    const deal = parsed(dealBody("deal-qualified", (data) => (data.dealId = 4711)));
    expect(deal).toMatchObject({ dealId: "4711", value: 485000, currency: "USD", status: "qualified" });
  });

  it("needs only the id and the status for a stage that reports nothing", () => {
    expect(parsed(fixtureBody("deal-prospecting"))).toMatchObject({
      dealId: "D-100236",
      status: "prospecting",
    });
  });

  it.each([
    ["a JSON array", "[]", /body must be a JSON object/],
    ["JSON null", "null", /body must be a JSON object/],
    ["no data", "{}", /^data: /],
    ["no deal id", dealBody("deal-committed", (d) => delete d.dealId), /^data\.dealId/],
    ["a deal id with a slash", dealBody("deal-committed", (d) => (d.dealId = "../x")), /^data\.dealId/],
    [
      "a deal id of 49 characters",
      dealBody("deal-committed", (d) => (d.dealId = "x".repeat(49))),
      /^data\.dealId/,
    ],
    ["a negative deal id", dealBody("deal-committed", (d) => (d.dealId = -1)), /^data\.dealId/],
    [
      "no status",
      dealBody("deal-committed", (d) => delete d.dealDetails.status),
      /^data\.dealDetails\.status/,
    ],
    ["a blank status", dealBody("deal-committed", (d) => (d.dealDetails.status = "  ")), /must not be blank/],
    [
      "a status of 65 characters",
      dealBody("deal-committed", (d) => (d.dealDetails.status = "q".repeat(65))),
      /status/,
    ],
    [
      "a number as the email",
      dealBody("deal-committed", (d) => (d.customer.email = 42)),
      /^data\.customer\.email/,
    ],
    [
      "an email without @",
      dealBody("deal-committed", (d) => (d.customer.email = "nobody")),
      /must be an email/,
    ],
    [
      "an email with a header break",
      dealBody("deal-committed", (d) => (d.customer.email = "a@b.co\nBcc: x@y.z")),
      /must be an email/,
    ],
    ["an unknown currency", dealBody("deal-committed", (d) => (d.dealDetails.currency = "XQQ")), /ISO 4217/],
    ["a negative value", dealBody("deal-committed", (d) => (d.dealDetails.dealValue = -5)), /dealValue/],
    ["a value in words", dealBody("deal-committed", (d) => (d.dealDetails.dealValue = "lots")), /dealValue/],
    [
      "a committed deal without email",
      dealBody("deal-committed", (d) => delete d.customer.email),
      /needs data\.customer\.email/,
    ],
    [
      "a committed deal without value",
      dealBody("deal-committed", (d) => delete d.dealDetails.dealValue),
      /dealValue and/,
    ],
    [
      "a committed deal without address",
      dealBody("deal-committed", (d) => delete d.propertyInformation),
      /address/,
    ],
    [
      "a qualified deal with no email nor phone",
      dealBody("deal-qualified", (d) => (d.customer = {})),
      /email or/,
    ],
    [
      "nesting 17 levels deep",
      JSON.stringify({
        data: {
          dealId: "D1",
          dealDetails: { status: "x" },
          extra: JSON.parse(`${"[".repeat(15)}${"]".repeat(15)}`),
        },
      }),
      /nested too deeply/,
    ],
  ])("rejects %s with a reason naming the field", (_what, body, reason) => {
    expect(reasonOf(body)).toMatch(reason);
  });

  it("never echoes a value in its reason", () => {
    const reason = reasonOf(
      dealBody("deal-committed", (d) => (d.customer.email = "<script>alert(1)</script>")),
    );
    expect(reason).toBeDefined();
    expect(reason).not.toContain("script");
  });

  it("tells a body that is not JSON apart from JSON that is not a deal", () => {
    expect(parseDealBody("{oops")).toMatchObject({ ok: false, notJson: true });
    expect(parseDealBody("[]")).not.toHaveProperty("notJson");
    expect(parseDeal({ data: 1 })).toMatchObject({ ok: false });
  });
});

describe("business keys and storage keys", () => {
  it("names one execution per deal and lower-cased status", () => {
    expect(dealBusinessKey("D-100234", "Committed")).toBe("deal-D-100234-committed");
    expect(dealBusinessKey("D-100234", "committed")).toBe(dealBusinessKey("D-100234", "COMMITTED"));
    expect(dealRawKey(dealBusinessKey("D-100234", "committed"))).toBe(
      "sources/crm/deals/deal-D-100234-committed.json",
    );
  });

  it("keeps names in the execution-name alphabet and within 64 characters", () => {
    const name = dealBusinessKey("x".repeat(48), "Closed: lost / reopened (by mistake) — again and again");
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(name.startsWith(`deal-${"x".repeat(40)}`)).toBe(true);
    // A long name keeps its head and a hash of the whole: two long keys never collide.
    expect(
      dealBusinessKey("x".repeat(48), "Closed: lost / reopened (by mistake) — again and once more"),
    ).not.toBe(name);
  });

  it("keeps a rejected delivery under its arrival time and a hash of its bytes", () => {
    const at = Date.parse("2026-11-20T14:08:11.123Z");
    const key = rejectedKey(Buffer.from("[]"), at);
    expect(key).toBe(`sources/crm/rejected/20261120T140811Z-${sha256Hex("[]").slice(0, 16)}.json`);
    expect(rejectedKey(Buffer.from("[1]"), at)).not.toBe(key);
  });
});

describe("the Conversions API event", () => {
  const NOW = Date.parse("2026-11-20T14:08:11.900Z");

  it("Purchase: deterministic event id, seconds, system_generated, hashed user data, value and currency", () => {
    const deal = parsed(fixtureBody("deal-committed"));
    const event = conversionEvent(deal, "Purchase", { now: NOW, defaultPhoneCountryCode: "1" });
    expect(event).toEqual({
      event_name: "Purchase",
      event_time: Math.floor(NOW / 1000),
      event_id: "deal:D-100234:committed",
      action_source: "system_generated",
      user_data: {
        em: sha256Hex("valery.oconnor@example.com"),
        ph: sha256Hex("15035550147"),
        fn: sha256Hex("valéry"),
        ln: sha256Hex("oconnorsmith"),
        external_id: sha256Hex("c-55012"),
      },
      custom_data: { value: 485000, currency: "USD" },
    });
    expect(JSON.stringify(event)).not.toMatch(/Example\.com|555|Valéry/);
  });

  it("Lead: the same id for every attempt of one deal and stage, another for another stage", () => {
    const deal = parsed(fixtureBody("deal-qualified"));
    const first = conversionEvent(deal, "Lead", { now: NOW });
    const later = conversionEvent(deal, "Lead", { now: NOW + 3_600_000 });
    expect(later.event_id).toBe(first.event_id);
    expect(first.event_id).toBe(conversionEventId("D-100234", "Qualified"));
    expect(conversionEventId("D-100234", "committed")).not.toBe(first.event_id);
    expect(first.user_data.ph).toBe(sha256Hex("15035550147"));
  });

  it("leaves custom_data out when the deal has no value", () => {
    const deal = parsed(dealBody("deal-qualified", (d) => delete d.dealDetails.dealValue));
    expect(conversionEvent(deal, "Lead", { now: NOW })).not.toHaveProperty("custom_data");
  });
});
