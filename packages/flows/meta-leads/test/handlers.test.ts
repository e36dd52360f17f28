import {
  type BusinessEvent,
  type EventPublisher,
  type GraphLead,
  type LeadAdsReader,
  type MemberDirectory,
  RawEventMissing,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { createLogger } from "@leadrelay/functions/log";
import { beforeEach, describe, expect, it } from "vitest";
import { clock, MemoryStore } from "../../../functions/test/fakes";
import { type CategorizeResult, createCategorize } from "../src/categorize";
import { leadRecordKey } from "../src/domain/keys";
import { normaliseLead } from "../src/domain/meta-lead";
import { MetaChangeInvalid } from "../src/errors";
import { createFetchLead } from "../src/fetch-lead";
import { createPublish } from "../src/publish";
import { fixtureText } from "./meta-requests";

const RAW_KEY = "sources/meta/0000.json";
const LEAD_ID = "12345678901234568";
const silent = createLogger("test", { level: "silent" });

const graphLead = (id: string): GraphLead => ({
  id,
  created_time: "2026-11-20T14:04:52+0000",
  form_id: "447333180259108",
  field_data: [
    { name: "full_name", values: ["Bruno Former"] },
    { name: "email", values: ["Bruno.Former@example.com"] },
  ],
});

class FakeGraph implements LeadAdsReader {
  calls: string[] = [];
  failWith: Error | undefined;
  async fetchLead(leadgenId: string) {
    this.calls.push(leadgenId);
    if (this.failWith) throw this.failWith;
    return graphLead(leadgenId);
  }
}

class FakeMembers implements MemberDirectory {
  readonly members = new Map<string, string>();
  calls: string[] = [];
  failWith: Error | undefined;
  async lookup(email: string) {
    this.calls.push(email);
    if (this.failWith) throw this.failWith;
    const status = this.members.get(email);
    return status === undefined ? ({ found: false } as const) : ({ found: true, status } as const);
  }
}

class FakeBus implements EventPublisher {
  readonly published: BusinessEvent[] = [];
  /** Errors for the next calls, in order. */
  script: Error[] = [];
  async publish(event: BusinessEvent) {
    const failure = this.script.shift();
    if (failure) throw failure;
    this.published.push(structuredClone(event));
    return { eventId: `event-${this.published.length}` };
  }
}

let store: MemoryStore;
beforeEach(() => {
  store = new MemoryStore();
});

const input = (overrides: Record<string, unknown> = {}) => ({
  leadgenId: LEAD_ID,
  rawKey: RAW_KEY,
  entry: 0,
  change: 1,
  receivedAt: "2026-11-20T14:05:00.000Z",
  ...overrides,
});

describe("FetchLead", () => {
  let graph: FakeGraph;
  beforeEach(() => {
    graph = new FakeGraph();
    store.objects.set(RAW_KEY, Buffer.from(fixtureText("leadgen-two-changes.json")));
  });

  it("keeps the change and Graph's lead, and hands on the normalised lead with the webhook's ids", async () => {
    const result = await createFetchLead({ store, graph })(input());

    expect(graph.calls).toEqual([LEAD_ID]);
    expect(result).toEqual({
      status: "fetched",
      lead: normaliseLead(graphLead(LEAD_ID)),
      webhook: {
        pageId: "153125381133",
        formId: "447333180259108",
        adId: "23849853425890183",
        adgroupId: "23849853425900183",
      },
      changeKey: leadRecordKey(LEAD_ID, "change"),
      leadKey: leadRecordKey(LEAD_ID, "lead"),
    });
    const change = JSON.parse(store.text(leadRecordKey(LEAD_ID, "change")) ?? "");
    expect(change).toMatchObject({ field: "leadgen", value: { leadgen_id: LEAD_ID, page_id: 153125381133 } });
    expect(JSON.parse(store.text(leadRecordKey(LEAD_ID, "lead")) ?? "")).toEqual(graphLead(LEAD_ID));
  });

  it("keeps the first copy of the change on a retry", async () => {
    store.objects.set(leadRecordKey(LEAD_ID, "change"), Buffer.from("first"));
    await createFetchLead({ store, graph })(input());
    expect(store.text(leadRecordKey(LEAD_ID, "change"))).toBe("first");
  });

  it("RawEventMissing when the delivery is gone; MetaChangeInvalid when the change is not this lead's", async () => {
    await expect(
      createFetchLead({ store, graph })(input({ rawKey: "sources/meta/gone.json" })),
    ).rejects.toBeInstanceOf(RawEventMissing);
    const wrong = [input({ change: 0 }), input({ change: 7 }), input({ entry: 3 })];
    for (const event of wrong) {
      await expect(createFetchLead({ store, graph })(event)).rejects.toBeInstanceOf(MetaChangeInvalid);
    }
    expect(graph.calls).toEqual([]);
  });

  it("refuses an input that is not an execution of this flow (a zod error, not retried)", async () => {
    await expect(
      createFetchLead({ store, graph })(input({ leadgenId: 12345678901234568 })),
    ).rejects.toThrow();
    await expect(createFetchLead({ store, graph })(input({ rawKey: "crm_event_x.json" }))).rejects.toThrow();
  });

  it("without a Page token: keeps the change, fetches nothing, says which variable is missing", async () => {
    const result = await createFetchLead({ store, missing: ["META_PAGE_ACCESS_TOKEN"] })(input());
    expect(result).toMatchObject({ status: "skipped", reason: "META_PAGE_ACCESS_TOKEN is not set" });
    expect(store.keys()).toContain(leadRecordKey(LEAD_ID, "change"));
    expect(store.keys()).not.toContain(leadRecordKey(LEAD_ID, "lead"));
  });

  it("lets Graph's classified errors through for the ASL to retry or catch", async () => {
    graph.failWith = new ServiceRejected({ service: "meta", status: 400, code: "190", detail: "token" });
    await expect(createFetchLead({ store, graph })(input())).rejects.toBeInstanceOf(ServiceRejected);
  });
});

describe("Categorize", () => {
  let members: FakeMembers;
  beforeEach(() => {
    members = new FakeMembers();
  });
  const run = (email: string | null, deps: Partial<Parameters<typeof createCategorize>[0]> = {}) =>
    createCategorize({ store, members, clock, ...deps })({ leadgenId: LEAD_ID, email });

  const cases: Array<[string, string | undefined, Partial<CategorizeResult>]> = [
    ["an active member", "active", { category: "already_subscribed", membership: "active" }],
    ["a terminated member", "terminated", { category: "terminated", membership: "terminated" }],
    ["a cancelled member", "cancelled", { category: "terminated", membership: "cancelled" }],
    ["someone unknown", undefined, { category: "pending", membership: "not_found" }],
    ["a member in another status", "trial", { category: "pending", membership: "trial" }],
  ];
  for (const [name, status, expected] of cases) {
    it(`${name} → ${expected.category}, kept in category.json`, async () => {
      if (status) members.members.set("bruno.former@example.com", status);
      const result = await run("bruno.former@example.com");
      expect(result).toEqual({
        status: "categorized",
        ...expected,
        categoryKey: leadRecordKey(LEAD_ID, "category"),
      });
      expect(JSON.parse(store.text(leadRecordKey(LEAD_ID, "category")) ?? "")).toEqual({
        status: "categorized",
        ...expected,
        at: new Date(clock()).toISOString(),
      });
    });
  }

  it("a lead without an email is pending without asking the directory", async () => {
    expect(await run(null)).toMatchObject({ category: "pending", membership: "no_email" });
    expect(await run("not an email")).toMatchObject({ category: "pending", membership: "no_email" });
    expect(members.calls).toEqual([]);
  });

  it("without MEMBERS_BASE_URL the lead stays pending, unchecked, and the result says why", async () => {
    expect(await run("bruno.former@example.com", { members: undefined })).toMatchObject({
      status: "skipped",
      category: "pending",
      membership: "unchecked",
      reason: "MEMBERS_BASE_URL is not set",
    });
  });

  it("lets the directory's errors through (retried or caught by the ASL)", async () => {
    members.failWith = new ServiceUnavailable({
      service: "members",
      status: 503,
      detail: "GET /members: HTTP 503",
    });
    await expect(run("bruno.former@example.com")).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(store.keys()).toEqual([]);
  });
});

describe("Publish", () => {
  let bus: FakeBus;
  beforeEach(() => {
    bus = new FakeBus();
  });
  const publishInput = (category = "pending") => ({
    leadgenId: LEAD_ID,
    lead: normaliseLead(graphLead(LEAD_ID)),
    webhook: { pageId: "153125381133", formId: null, adId: null, adgroupId: null },
    category,
    membership: "not_found",
    receivedAt: "2026-11-20T14:05:00.000Z",
  });
  const publish = () => createPublish({ store, events: bus, clock, log: silent });
  const markerKey = leadRecordKey(LEAD_ID, "published");

  it("publishes meta-lead.<category> once and records it", async () => {
    const result = await publish()(publishInput("terminated"));
    expect(result).toEqual({
      status: "published",
      eventId: "event-1",
      detailType: "meta-lead.terminated",
      markerKey,
    });
    expect(bus.published).toHaveLength(1);
    expect(bus.published[0]).toMatchObject({
      source: "leadrelay.meta-leads",
      detailType: "meta-lead.terminated",
      detail: { leadgenId: LEAD_ID, category: "terminated", lead: { email: "bruno.former@example.com" } },
    });
    expect(JSON.parse(store.text(markerKey) ?? "")).toMatchObject({
      status: "sent",
      result: { eventId: "event-1" },
    });
  });

  it("a retry, redrive or replay finds the marker and publishes nothing more, even with another category", async () => {
    await publish()(publishInput("pending"));
    const again = await publish()(publishInput("already_subscribed"));
    expect(again).toEqual({
      status: "already-published",
      eventId: "event-1",
      detailType: "meta-lead.pending",
      markerKey,
    });
    expect(bus.published).toHaveLength(1);
  });

  it("a definite failure removes the marker so the ASL's Retry publishes (once) on the next attempt", async () => {
    bus.script = [new ServiceUnavailable({ service: "events", status: 500, detail: "PutEvents: Internal" })];
    await expect(publish()(publishInput())).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(store.keys()).toEqual([]);
    expect((await publish()(publishInput())).status).toBe("published");
    expect(bus.published).toHaveLength(1);
  });

  it("a call left unanswered keeps the marker: the next attempt does not publish again", async () => {
    bus.script = [
      new ServiceUnavailable({ service: "events", detail: "PutEvents: timed out", unanswered: true }),
    ];
    await expect(publish()(publishInput())).rejects.toBeInstanceOf(ServiceUnavailable);
    expect(await publish()(publishInput())).toMatchObject({
      status: "uncertain",
      detailType: "meta-lead.pending",
    });
    expect(bus.published).toHaveLength(0);
  });

  it("without EVENT_BUS_NAME: skipped, and the result says why", async () => {
    expect(await createPublish({ store, clock, log: silent })(publishInput())).toEqual({
      status: "skipped",
      reason: "EVENT_BUS_NAME is not set",
    });
    expect(store.keys()).toEqual([]);
  });

  it("refuses a category that is not one of the three", async () => {
    await expect(publish()(publishInput("vip"))).rejects.toThrow();
    expect(bus.published).toHaveLength(0);
  });
});
