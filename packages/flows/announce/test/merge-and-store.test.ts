import { classifyWebhook, enrichedKey, rawEventKey, summarizeLead } from "@leadrelay/core";
import { beforeEach, describe, expect, it } from "vitest";
import { closeFixture, LEAD_IDS, ownerFixture } from "../../../core/test/fixture-files";
import { MemoryStore } from "../../../functions/test/fakes";
import { createMergeAndStore } from "../src/merge-and-store";

const LEAD_ID = LEAD_IDS["lead-created.json"];
const RAW = closeFixture("lead-created.json");
const RECEIVED_AT = "2026-11-20T14:03:12.000Z";

function mergeInput() {
  const verdict = classifyWebhook(RAW);
  if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
  return {
    leadId: LEAD_ID,
    rawKey: rawEventKey(LEAD_ID),
    receivedAt: RECEIVED_AT,
    eventId: verdict.eventId,
    lead: summarizeLead(LEAD_ID, verdict.data),
    owner: ownerFixture(LEAD_ID),
  };
}

let store: MemoryStore;
let mergeAndStore: ReturnType<typeof createMergeAndStore>;

beforeEach(async () => {
  store = new MemoryStore();
  mergeAndStore = createMergeAndStore({ store });
  await store.put(rawEventKey(LEAD_ID), RAW);
});

describe("merge-and-store", () => {
  it("writes the enriched record: merged fields, the raw webhook and the owner file", async () => {
    const result = await mergeAndStore(mergeInput());

    const merged = {
      leadId: LEAD_ID,
      name: "Harbor & Pine Logistics",
      createdAt: "2026-11-20T14:03:11.198000+00:00",
      statusLabel: "Potential",
      email: "maya.okafor@harborpine.example",
      owner: "Priya Raman",
      funnel: "Inbound Demo",
      closeUrl: `https://app.close.com/lead/${LEAD_ID}/`,
      receivedAt: RECEIVED_AT,
    };
    expect(result).toEqual({ ...merged, enrichedKey: `enriched/crm_event_${LEAD_ID}.json` });
    const stored = JSON.parse(store.text(enrichedKey(LEAD_ID)) ?? "null");
    expect(stored).toEqual({ ...merged, raw: JSON.parse(RAW), ownerRecord: ownerFixture(LEAD_ID) });
    expect(stored).not.toHaveProperty("notifiedAt");
    // The raw object is left alone.
    expect(store.text(rawEventKey(LEAD_ID))).toBe(RAW);
    expect(store.keys()).toEqual([rawEventKey(LEAD_ID), enrichedKey(LEAD_ID)].sort());
  });

  it("is deterministic: running it again writes the same bytes and returns the same result", async () => {
    const first = await mergeAndStore(mergeInput());
    const firstBytes = store.bytes(enrichedKey(LEAD_ID));
    const second = await mergeAndStore(mergeInput());
    expect(second).toEqual(first);
    expect(store.bytes(enrichedKey(LEAD_ID))?.equals(firstBytes ?? Buffer.alloc(0))).toBe(true);
  });

  it("throws RawEventMissing when the raw object is gone", async () => {
    await store.delete(rawEventKey(LEAD_ID));
    await expect(mergeAndStore(mergeInput())).rejects.toMatchObject({ name: "RawEventMissing" });
    expect(store.text(enrichedKey(LEAD_ID))).toBeUndefined();
  });

  it("lets StorageUnavailable through for the state machine to retry", async () => {
    store.failing = new Set(["put"]);
    await expect(mergeAndStore(mergeInput())).rejects.toMatchObject({ name: "StorageUnavailable" });
  });

  it("refuses an input without the owner record", async () => {
    const { owner: _owner, ...withoutOwner } = mergeInput();
    await expect(mergeAndStore(withoutOwner)).rejects.toThrow();
  });
});
