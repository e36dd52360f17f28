import { beforeEach, describe, expect, it } from "vitest";
import { clock, MemoryStore, NOW } from "../../../functions/test/fakes";
import { sha256Hex } from "../src/domain/meta-user-data";
import { build, createSendConversion } from "../src/send-conversion";
import { FakeConversions, storedDeal, unavailable } from "./handler-fakes";

const MARKER = "flows/deal-stage/conversions/deal-D-100234-committed.json";
let store: MemoryStore;
let capi: FakeConversions;
let send: ReturnType<typeof createSendConversion>;

beforeEach(() => {
  store = new MemoryStore();
  capi = new FakeConversions();
  send = createSendConversion({ store, capi, defaultPhoneCountryCode: "1", clock });
});

describe("SendConversion", () => {
  it("sends one Purchase event built from the stored deal and records it", async () => {
    const input = await storedDeal(store);
    const result = await send({ ...input, eventName: "Purchase" });

    expect(result).toEqual({
      ok: true,
      action: "purchase-event",
      status: "sent",
      at: new Date(NOW).toISOString(),
      markerKey: MARKER,
      eventName: "Purchase",
      eventId: "deal:D-100234:committed",
      eventsReceived: 1,
      fbtraceId: "AFL-fake",
    });
    expect(capi.batches).toHaveLength(1);
    expect(capi.batches[0]?.[0]).toMatchObject({
      event_name: "Purchase",
      event_time: Math.floor(NOW / 1000),
      user_data: { em: sha256Hex("valery.oconnor@example.com"), ph: sha256Hex("15035550147") },
      custom_data: { value: 485000, currency: "USD" },
    });
    expect(JSON.parse(store.text(MARKER) ?? "{}")).toMatchObject({ status: "sent" });
    // Nothing personal in what the history shows.
    expect(JSON.stringify(result)).not.toMatch(/example\.com|555/i);
  });

  it("a retry, a redrive or a replay finds the marker and does not send again", async () => {
    const input = await storedDeal(store);
    await send({ ...input, eventName: "Purchase" });
    const again = await send({ ...input, eventName: "Purchase" });

    expect(again).toMatchObject({ ok: true, status: "already-sent", eventId: "deal:D-100234:committed" });
    expect(capi.batches).toHaveLength(1);
  });

  it("a definite failure removes the marker and rethrows, so the ASL's Retry sends it", async () => {
    const input = await storedDeal(store);
    capi.failures.push(unavailable());
    await expect(send({ ...input, eventName: "Purchase" })).rejects.toMatchObject({
      name: "ServiceUnavailable",
    });
    expect(store.text(MARKER)).toBeUndefined();

    expect(await send({ ...input, eventName: "Purchase" })).toMatchObject({ status: "sent" });
    expect(capi.batches).toHaveLength(1);
  });

  it("an unanswered call leaves the marker: the next attempt fails OutcomeUncertain instead of sending", async () => {
    const input = await storedDeal(store);
    capi.failures.push(unavailable(true));
    await expect(send({ ...input, eventName: "Purchase" })).rejects.toMatchObject({
      name: "ServiceUnavailable",
    });
    await expect(send({ ...input, eventName: "Purchase" })).rejects.toMatchObject({
      name: "OutcomeUncertain",
      message: expect.stringContaining(MARKER),
    });
    expect(capi.batches).toHaveLength(0);
  });

  it("Lead for a qualified deal, under that deal's own marker", async () => {
    const input = await storedDeal(store, "deal-qualified");
    const result = await send({ ...input, eventName: "Lead" });
    expect(result).toMatchObject({
      action: "lead-event",
      status: "sent",
      eventId: "deal:D-100234:qualified",
    });
    expect(store.keys()).toContain("flows/deal-stage/conversions/deal-D-100234-qualified.json");
  });

  it("a stored deal that is gone or is another deal fails without sending", async () => {
    const input = await storedDeal(store);
    await expect(
      send({ ...input, rawKey: "sources/crm/deals/nope.json", eventName: "Purchase" }),
    ).rejects.toMatchObject({
      name: "RawEventMissing",
    });
    await expect(send({ ...input, dealId: "D-1", eventName: "Purchase" })).rejects.toMatchObject({
      name: "DealRecordInvalid",
    });
    await store.put(input.rawKey, "{broken");
    await expect(send({ ...input, eventName: "Purchase" })).rejects.toMatchObject({
      name: "DealRecordInvalid",
    });
    expect(capi.batches).toHaveLength(0);
  });

  it("refuses an event name the flow does not send", async () => {
    const input = await storedDeal(store);
    await expect(send({ ...input, eventName: "AddToCart" })).rejects.toThrow();
  });
});

describe("SendConversion built from its environment", () => {
  const kit = { log: undefined as never, aws: () => ({}) };

  it("skips, naming the missing credentials, without touching storage", async () => {
    const handler = build({ BUCKET_NAME: "b", META_PIXEL_ID: "123" }, kit);
    expect(await handler({ dealId: "D-1", status: "qualified", rawKey: "k", eventName: "Lead" })).toEqual({
      ok: true,
      action: "lead-event",
      status: "skipped",
      reason: "META_ACCESS_TOKEN is not set",
    });
    const none = build({ BUCKET_NAME: "b" }, kit);
    expect(
      await none({ dealId: "D-1", status: "committed", rawKey: "k", eventName: "Purchase" }),
    ).toMatchObject({
      status: "skipped",
      reason: "META_PIXEL_ID, META_ACCESS_TOKEN are not set",
    });
  });

  it("names a bad setting when it is built", () => {
    expect(() => build({ BUCKET_NAME: "b", META_API_VERSION: "21" }, kit)).toThrow(/META_API_VERSION/);
  });
});
