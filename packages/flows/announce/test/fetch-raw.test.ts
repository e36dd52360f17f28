import { rawEventKey } from "@leadrelay/core";
import { beforeEach, describe, expect, it } from "vitest";
import { closeFixture, LEAD_IDS } from "../../../core/test/fixture-files";
import { MemoryStore } from "../../../functions/test/fakes";
import { createFetchRaw } from "../src/fetch-raw";

const LEAD_ID = LEAD_IDS["lead-created-data-id-only.json"];
const input = { leadId: LEAD_ID, rawKey: rawEventKey(LEAD_ID), receivedAt: "2026-11-20T14:03:12.000Z" };

let store: MemoryStore;
let fetchRaw: ReturnType<typeof createFetchRaw>;

beforeEach(() => {
  store = new MemoryStore();
  fetchRaw = createFetchRaw({ store });
});

describe("fetch-raw", () => {
  it("hands on a small summary of the stored webhook, not the raw body", async () => {
    await store.put(input.rawKey, closeFixture("lead-created-data-id-only.json"));
    const summary = await fetchRaw({ ...input, eventId: "ev_1", extra: "ignored" });
    expect(summary).toEqual({
      leadId: LEAD_ID,
      name: "Łukasz Żółć — Nordlicht GmbH",
      createdAt: "2026-11-20T22:41:07.551000+00:00",
      statusLabel: "Qualified",
      email: "lukasz@nordlicht.example",
    });
    expect(JSON.stringify(summary)).not.toContain("Inbound demo request");
  });

  it("throws RawEventMissing when the raw object is not there", async () => {
    await expect(fetchRaw(input)).rejects.toMatchObject({ name: "RawEventMissing", key: input.rawKey });
  });

  it("throws RawEventInvalid when the stored object is for another lead", async () => {
    await store.put(input.rawKey, closeFixture("lead-created.json"));
    await expect(fetchRaw(input)).rejects.toMatchObject({
      name: "RawEventInvalid",
      message: expect.stringContaining(LEAD_IDS["lead-created.json"]),
    });
  });

  it("throws RawEventInvalid when the stored object is not a lead.created webhook", async () => {
    await store.put(input.rawKey, closeFixture("lead-updated.json"));
    await expect(fetchRaw(input)).rejects.toMatchObject({ name: "RawEventInvalid" });
    await store.put(input.rawKey, "{truncated");
    await expect(fetchRaw(input)).rejects.toMatchObject({ name: "RawEventInvalid" });
  });

  it("lets StorageUnavailable through for the state machine to retry", async () => {
    store.failing = true;
    await expect(fetchRaw(input)).rejects.toMatchObject({ name: "StorageUnavailable" });
  });

  it("refuses an input without the execution fields", async () => {
    await expect(fetchRaw({ leadId: LEAD_ID })).rejects.toThrow();
  });
});
