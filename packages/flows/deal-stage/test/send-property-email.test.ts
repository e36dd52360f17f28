import { deterministicUuid } from "@leadrelay/core";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryStore, NOW } from "../../../functions/test/fakes";
import { build, createSendPropertyEmail } from "../src/send-property-email";
import { FakeEmail, storedDeal, unavailable } from "./handler-fakes";

const MARKER = "flows/deal-stage/emails/deal-D-100234-committed.json";
const KEY = deterministicUuid("deal-stage", "deal-D-100234-committed", "property-email");
const FROM = "homes@leadrelay.example";
let store: MemoryStore;
let now: number;
const clock = () => now;

beforeEach(() => {
  store = new MemoryStore();
  now = NOW;
});

describe("SendPropertyEmail", () => {
  it("emails the buyer the property details once, with an idempotency key derived from the deal", async () => {
    const email = new FakeEmail("ses");
    const send = createSendPropertyEmail({ store, email, from: FROM, clock });
    const input = await storedDeal(store);

    const result = await send(input);
    expect(result).toEqual({
      ok: true,
      action: "property-email",
      status: "sent",
      at: new Date(NOW).toISOString(),
      markerKey: MARKER,
      provider: "ses",
      messageId: "<msg-1@fake>",
    });
    expect(email.sent).toHaveLength(1);
    const { message, key } = email.sent[0] as (typeof email.sent)[number];
    expect(key).toBe(KEY);
    expect(message).toMatchObject({
      from: { email: FROM },
      to: { email: "Valery.OConnor@Example.com", name: "Valéry O'Connor-Smith" },
      subject: "Your property: 12 Harbor Lane, Portland, OR 97201",
      tags: ["leadrelay", "deal-stage"],
    });
    expect(message.text).toContain("Deal value: $485,000.00");
    expect(message).not.toHaveProperty("templateId");

    expect(await send(input)).toMatchObject({ status: "already-sent", messageId: "<msg-1@fake>" });
    expect(email.sent).toHaveLength(1);
  });

  it("uses BREVO_PROPERTY_TEMPLATE_ID with Brevo, with the formatted facts as params", async () => {
    const email = new FakeEmail("brevo");
    const send = createSendPropertyEmail({ store, email, from: FROM, templateId: 42, clock });
    await send(await storedDeal(store));
    expect(email.sent[0]?.message).toMatchObject({
      templateId: 42,
      params: {
        firstName: "Valéry",
        dealValue: "$485,000.00",
        size: "1,840 sq ft",
        propertyType: "Townhouse",
      },
    });
  });

  it("a template id means nothing to SES: it sends the text and HTML", async () => {
    const email = new FakeEmail("ses");
    await createSendPropertyEmail({ store, email, from: FROM, templateId: 42, clock })(
      await storedDeal(store),
    );
    expect(email.sent[0]?.message).not.toHaveProperty("templateId");
  });

  it("Brevo: an unanswered send is tried again within Brevo's key window, with the same key", async () => {
    const email = new FakeEmail("brevo");
    const send = createSendPropertyEmail({ store, email, from: FROM, clock });
    const input = await storedDeal(store);
    email.failures.push(unavailable(true));
    await expect(send(input)).rejects.toMatchObject({ name: "ServiceUnavailable" });
    expect(JSON.parse(store.text(MARKER) ?? "{}")).toMatchObject({ status: "sending" });

    now = NOW + 60_000;
    expect(await send(input)).toMatchObject({ status: "sent" });
    expect(email.sent.map((sent) => sent.key)).toEqual([KEY]);
  });

  it("SES (no idempotency key): an unanswered send is never repeated; the next attempt fails OutcomeUncertain", async () => {
    const email = new FakeEmail("ses");
    const send = createSendPropertyEmail({ store, email, from: FROM, clock });
    const input = await storedDeal(store);
    email.failures.push(unavailable(true));
    await expect(send(input)).rejects.toMatchObject({ name: "ServiceUnavailable" });
    await expect(send(input)).rejects.toMatchObject({ name: "OutcomeUncertain" });
    expect(email.sent).toHaveLength(0);
  });

  it("Brevo: a dangling marker older than the key window is not repeated either", async () => {
    const email = new FakeEmail("brevo");
    const send = createSendPropertyEmail({ store, email, from: FROM, clock });
    const input = await storedDeal(store);
    email.failures.push(unavailable(true));
    await expect(send(input)).rejects.toThrow();
    now = NOW + 31 * 60_000;
    await expect(send(input)).rejects.toMatchObject({ name: "OutcomeUncertain" });
    expect(email.sent).toHaveLength(0);
  });
});

describe("SendPropertyEmail built from its environment", () => {
  const kit = { log: undefined as never, aws: () => ({}) };
  const input = { dealId: "D-1", status: "committed", rawKey: "k" };

  it("skips without EMAIL_FROM, or without the Brevo key when Brevo is chosen", async () => {
    expect(await build({ BUCKET_NAME: "b", EMAIL_PROVIDER: "ses" }, kit)(input)).toEqual({
      ok: true,
      action: "property-email",
      status: "skipped",
      reason: "EMAIL_FROM is not set",
    });
    expect(
      await build({ BUCKET_NAME: "b", EMAIL_PROVIDER: "brevo", EMAIL_FROM: FROM }, kit)(input),
    ).toMatchObject({
      status: "skipped",
      reason: "BREVO_API_KEY is not set",
    });
  });

  it("names a bad template id when it is built", () => {
    expect(() => build({ BUCKET_NAME: "b", BREVO_PROPERTY_TEMPLATE_ID: "welcome" }, kit)).toThrow(
      /BREVO_PROPERTY_TEMPLATE_ID/,
    );
  });
});
