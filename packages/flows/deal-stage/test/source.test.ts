import type { IngestEvent } from "@leadrelay/functions";
import { createLogger } from "@leadrelay/functions/log";
import { createSourceIngest } from "@leadrelay/functions/source-ingest";
import { beforeEach, describe, expect, it } from "vitest";
import { bodyOf, clock, MemoryStore, NOW, RecordingStarter } from "../../../functions/test/fakes";
import { crmSource } from "../src/source";
import { dealBody, fixtureBody } from "./fixtures";

const API_KEY = "crm-test-key-3f9a1c";
const silent = createLogger("test", { level: "silent" });

function delivery(
  body: string | Buffer,
  headers: Record<string, string | undefined> = {},
  method = "POST",
): IngestEvent {
  const all: Record<string, string | undefined> = {
    "content-type": "application/json",
    "x-api-key": API_KEY,
    "x-event": "deal_updated",
    ...headers,
  };
  for (const [name, value] of Object.entries(all)) if (value === undefined) delete all[name];
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return {
    body: raw.toString("base64"),
    isBase64Encoded: true,
    headers: all as Record<string, string>,
    rawPath: "/webhook/crm",
    requestContext: { http: { method } },
  };
}

let store: MemoryStore;
let starter: RecordingStarter;
let ingest: ReturnType<typeof createSourceIngest>;

beforeEach(() => {
  store = new MemoryStore();
  starter = new RecordingStarter();
  ingest = createSourceIngest({
    source: crmSource,
    store,
    flows: [{ flow: "deal-stage", executions: starter }],
    secrets: { CRM_WEBHOOK_API_KEY: API_KEY },
    clock,
    log: silent,
  });
});

describe("POST /webhook/crm: accepted deals", () => {
  it("stores the body once, byte for byte, and starts deal-{id}-{status} with keys only", async () => {
    const body = fixtureBody("deal-committed");
    const result = await ingest(delivery(body));

    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ status: "accepted", dealId: "D-100234", dealStatus: "committed" });
    const key = "sources/crm/deals/deal-D-100234-committed.json";
    expect(store.keys()).toEqual([key]);
    expect(store.bytes(key)?.equals(Buffer.from(body))).toBe(true);
    expect(starter.started).toEqual([
      {
        name: "deal-D-100234-committed",
        input: {
          dealId: "D-100234",
          status: "committed",
          rawKey: key,
          event: "deal_updated",
          receivedAt: new Date(NOW).toISOString(),
        },
        executionArn: expect.any(String),
      },
    ]);
    // The execution input never carries the customer's data.
    expect(JSON.stringify(starter.started)).not.toMatch(/Example\.com|555|Valéry/i);
  });

  it("a redelivery answers 200 duplicate and changes nothing; so does the same stage in another case", async () => {
    const body = fixtureBody("deal-committed");
    await ingest(delivery(body));
    const again = await ingest(delivery(body, { "x-event": "deal_created" }));
    const shouted = await ingest(
      delivery(dealBody("deal-committed", (d) => (d.dealDetails.status = "COMMITTED"))),
    );

    expect([again.statusCode, shouted.statusCode]).toEqual([200, 200]);
    expect(bodyOf(again)).toEqual({ status: "duplicate", dealId: "D-100234", dealStatus: "committed" });
    expect(starter.started).toHaveLength(1);
    expect(store.keys()).toHaveLength(1);
    expect(store.text("sources/crm/deals/deal-D-100234-committed.json")).toBe(body);
  });

  it("the same deal at another stage is another execution", async () => {
    await ingest(delivery(fixtureBody("deal-committed")));
    await ingest(delivery(dealBody("deal-committed", (d) => (d.dealDetails.status = "Qualified"))));
    expect(starter.started.map((execution) => execution.name)).toEqual([
      "deal-D-100234-committed",
      "deal-D-100234-qualified",
    ]);
  });

  it("storage down → 503 and nothing started; Step Functions down → 503 (the CRM delivers again)", async () => {
    store.failing = true;
    expect((await ingest(delivery(fixtureBody("deal-committed")))).statusCode).toBe(503);
    expect(starter.attempts).toEqual([]);

    store.failing = false;
    starter.failWith = new Error("ServiceUnavailable");
    expect((await ingest(delivery(fixtureBody("deal-committed")))).statusCode).toBe(503);

    starter.failWith = undefined;
    const retried = await ingest(delivery(fixtureBody("deal-committed")));
    expect(retried.statusCode).toBe(202);
    expect(starter.started).toHaveLength(1);
  });
});

describe("POST /webhook/crm: refused, ignored and rejected deliveries", () => {
  it.each([
    ["no x-api-key", { "x-api-key": undefined }, "missing-api-key"],
    ["a wrong x-api-key", { "x-api-key": "crm-test-key-3f9a1d" }, "bad-api-key"],
    ["the key with a trailing space", { "x-api-key": `${API_KEY} ` }, "bad-api-key"],
  ])("401 for %s, with a body that does not say which", async (_what, headers, reason) => {
    const verdict = crmSource.receive(
      {
        method: "POST",
        path: "/webhook/crm",
        pathParameters: {},
        query: new URLSearchParams(),
        headers: { "x-event": "deal_updated", ...headers },
        body: Buffer.from(fixtureBody("deal-committed")),
      },
      { secrets: { CRM_WEBHOOK_API_KEY: API_KEY }, now: NOW },
    );
    expect(verdict).toEqual({
      kind: "answer",
      answer: { status: 401, body: { error: "unauthorized" }, logReason: reason },
    });
  });

  it("401 for everyone while CRM_WEBHOOK_API_KEY is unset, even for an empty key", async () => {
    const open = createSourceIngest({
      source: crmSource,
      store,
      flows: [{ flow: "deal-stage", executions: starter }],
      secrets: {},
      log: silent,
    });
    expect((await open(delivery(fixtureBody("deal-committed"), { "x-api-key": "" }))).statusCode).toBe(401);
    expect(store.keys()).toEqual([]);
  });

  it("400 without x-event; 202 ignored for another event, nothing stored or started", async () => {
    const missing = await ingest(delivery(fixtureBody("deal-committed"), { "x-event": undefined }));
    expect(missing.statusCode).toBe(400);
    expect(bodyOf(missing)).toEqual({ error: "the x-event header is required" });

    const other = await ingest(delivery(fixtureBody("deal-committed"), { "x-event": "deal_deleted" }));
    expect(other.statusCode).toBe(202);
    expect(bodyOf(other)).toEqual({
      status: "ignored",
      reason: "x-event is not deal_created or deal_updated",
    });
    expect(store.keys()).toEqual([]);
    expect(starter.attempts).toEqual([]);
  });

  it("400 for a body that is not JSON, nothing stored", async () => {
    const result = await ingest(delivery("data=1&dealId=2"));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({ error: "body is not valid JSON" });
    expect(store.keys()).toEqual([]);
  });

  it("202 rejected with a reason for JSON that is not a usable deal, kept under sources/crm/rejected/", async () => {
    const body = dealBody("deal-committed", (d) => delete d.customer.email);
    const result = await ingest(delivery(body));

    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({
      status: "rejected",
      reason: "a Committed deal needs data.customer.email",
    });
    const [key, ...others] = store.keys();
    expect(others).toEqual([]);
    expect(key).toMatch(/^sources\/crm\/rejected\/20261120T140811Z-[0-9a-f]{16}\.json$/);
    expect(store.bytes(key as string)?.equals(Buffer.from(body))).toBe(true);
    expect(starter.attempts).toEqual([]);
  });

  it("a rejected delivery that cannot be kept answers 503, so the CRM sends it again", async () => {
    store.failing = true;
    expect((await ingest(delivery("[]"))).statusCode).toBe(503);
  });

  it("405 for another method, 413 for a body over 256 KiB", async () => {
    expect((await ingest(delivery(fixtureBody("deal-committed"), {}, "GET"))).statusCode).toBe(405);
    const huge = dealBody("deal-committed", (d) => (d.padding = "x".repeat(256 * 1024)));
    expect((await ingest(delivery(huge))).statusCode).toBe(413);
    expect(store.keys()).toEqual([]);
  });
});
