import { HUBSPOT_SIGNATURE_HEADER, HUBSPOT_TIMESTAMP_HEADER, signHubSpotV3 } from "@leadrelay/core";
import { beforeEach, describe, expect, it } from "vitest";
import { flowSources, SourceChoiceError } from "../src/flow-spec";
import { createSourceIngest, type IngestEvent } from "../src/source-ingest";
import { closeSource } from "../src/sources/close";
import { hubspotRawKey, hubspotSource, signedUri } from "../src/sources/hubspot";
import { bodyOf, clock, MemoryStore, NOW, RecordingStarter } from "./fakes";

const CLIENT_SECRET = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const HOST = "abc123.execute-api.us-east-1.amazonaws.com";
const URI = `https://${HOST}/webhook/hubspot`;

let store: MemoryStore;
let starter: RecordingStarter;
let settings: Record<string, string | undefined>;

const ingest = (event: IngestEvent) =>
  createSourceIngest({
    source: hubspotSource,
    store,
    flows: [{ flow: "triage", executions: starter }],
    secrets: { HUBSPOT_CLIENT_SECRET: CLIENT_SECRET },
    settings,
    clock,
  })(event);

beforeEach(() => {
  store = new MemoryStore();
  starter = new RecordingStarter();
  settings = {};
});

const event = (over: Record<string, unknown> = {}) => ({
  eventId: 1,
  subscriptionId: 25,
  portalId: 62515,
  appId: 54321,
  occurredAt: NOW - 2000,
  subscriptionType: "contact.creation",
  attemptNumber: 0,
  objectId: 101,
  changeFlag: "CREATED",
  changeSource: "CRM_UI",
  sourceId: "userId:1",
  ...over,
});

interface Delivery {
  uri?: string;
  timestamp?: number | string;
  secret?: string;
  headers?: Record<string, string | undefined>;
  method?: string;
}

/** A delivery as HubSpot makes it: POST to the public URI, signed over what it called. */
function delivery(body: string, options: Delivery = {}): IngestEvent {
  const url = new URL(options.uri ?? URI);
  const timestamp = String(options.timestamp ?? NOW);
  const headers: Record<string, string | undefined> = {
    host: url.host,
    "x-forwarded-proto": url.protocol.replace(":", ""),
    "content-type": "application/json",
    [HUBSPOT_TIMESTAMP_HEADER]: timestamp,
    [HUBSPOT_SIGNATURE_HEADER]: signHubSpotV3({
      clientSecret: options.secret ?? CLIENT_SECRET,
      method: options.method ?? "POST",
      uri: options.uri ?? URI,
      rawBody: body,
      timestamp,
    }),
    ...options.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value === undefined) delete headers[name];
  return {
    body,
    isBase64Encoded: false,
    headers: headers as Record<string, string>,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    requestContext: { http: { method: options.method ?? "POST" } },
  };
}

describe("POST /webhook/hubspot", () => {
  it("starts triage once per created contact of a mixed batch, named hubspot-{portal}-{contact}", async () => {
    const body = JSON.stringify([
      event({ objectId: 101 }),
      event({ objectId: 102, eventId: 1 }), // eventId is not unique: the contact is the key
      event({ objectId: 103, subscriptionType: "contact.propertyChange", propertyName: "email" }),
      event({ objectId: 104, changeSource: "IMPORT" }),
      event({ objectId: 105, changeSource: "INTEGRATION", sourceId: "54321" }),
      event({ objectId: 106, subscriptionType: "deal.creation" }),
      event({ objectId: 101, eventId: 9 }), // the same contact twice in one delivery
    ]);
    const result = await ingest(delivery(body));

    expect(result.statusCode).toBe(202);
    expect(starter.started.map((execution) => execution.name)).toEqual([
      "hubspot-62515-101",
      "hubspot-62515-102",
    ]);
    expect(starter.started[0]?.input).toEqual({
      leadId: "hubspot-62515-101",
      crm: "hubspot",
      portalId: "62515",
      contactId: "101",
      eventId: "1",
      rawKey: expect.stringMatching(/^sources\/hubspot\/[0-9a-f]{64}\.json$/),
      receivedAt: new Date(NOW).toISOString(),
    });
    expect(bodyOf(result)).toMatchObject({ status: "accepted", ignored: 4 });
    expect(store.keys()).toEqual([starter.started[0]?.input.rawKey]);
    expect(store.text(starter.started[0]?.input.rawKey as string)).toBe(body);
  });

  it("answers a redelivery 200 and starts nothing new", async () => {
    const body = JSON.stringify([event({ objectId: 101 }), event({ objectId: 102 })]);
    expect((await ingest(delivery(body))).statusCode).toBe(202);
    // HubSpot's retry: a new attempt number and timestamp, the same contacts.
    const again = JSON.stringify([event({ objectId: 102, attemptNumber: 1 }), event({ objectId: 101 })]);
    const result = await ingest(delivery(again, { timestamp: NOW - 1000 }));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ status: "duplicate" });
    expect(starter.started).toHaveLength(2);
  });

  it("answers 200 to a batch with nothing to triage, storing and starting nothing", async () => {
    for (const body of [
      "[]",
      JSON.stringify([event({ changeSource: "IMPORT" })]),
      JSON.stringify([event({ subscriptionType: "company.creation" }), event({ changeSource: "IMPORT" })]),
    ]) {
      const result = await ingest(delivery(body));
      expect(result.statusCode).toBe(200);
      expect(bodyOf(result).status).toBe("ignored");
    }
    expect(starter.attempts).toEqual([]);
    expect(store.keys()).toEqual([]);
  });

  it("refuses a bad, stale, missing or replayed-elsewhere signature with 401 and does nothing", async () => {
    const body = JSON.stringify([event()]);
    const refused = [
      delivery(body, { secret: "wrong-secret" }),
      delivery(body, { timestamp: NOW - 300_001 }),
      delivery(body, { headers: { [HUBSPOT_SIGNATURE_HEADER]: undefined } }),
      delivery(body, { headers: { [HUBSPOT_TIMESTAMP_HEADER]: undefined } }),
      delivery(body, { headers: { [HUBSPOT_TIMESTAMP_HEADER]: String(NOW - 1) } }),
      // Signed for another URL, then sent here.
      (() => {
        const elsewhere = delivery(body, { uri: "https://other.example.com/webhook/hubspot" });
        return { ...elsewhere, headers: { ...elsewhere.headers, host: HOST } };
      })(),
      { ...delivery(body), body: JSON.stringify([event({ objectId: 999 })]) },
    ];
    for (const request of refused) {
      const result = await ingest(request as IngestEvent);
      expect(result.statusCode).toBe(401);
      expect(bodyOf(result)).toEqual({ error: "unauthorized" });
    }
    expect(starter.attempts).toEqual([]);
    expect(store.keys()).toEqual([]);
  });

  it("verifies against HUBSPOT_WEBHOOK_URL when the public URL differs from the request's", async () => {
    const body = JSON.stringify([event()]);
    const publicUrl = "https://hooks.example.com/leadrelay/webhook/hubspot?team=1";
    const signed = delivery(body, { uri: publicUrl });
    // What API Gateway sees behind the custom domain: another host and path.
    const arrived = {
      ...signed,
      rawPath: "/webhook/hubspot",
      rawQueryString: "",
      headers: { ...signed.headers, host: HOST },
    };
    expect((await ingest(arrived)).statusCode).toBe(401);
    settings = { HUBSPOT_WEBHOOK_URL: publicUrl };
    expect((await ingest(arrived)).statusCode).toBe(202);
  });

  it("rebuilds the URI from the forwarded protocol, host, path and query", () => {
    const request = {
      method: "POST",
      path: "/webhook/hubspot",
      pathParameters: {},
      query: new URLSearchParams("a=1&b=2"),
      headers: { host: HOST, "x-forwarded-proto": "https" },
      body: Buffer.alloc(0),
    };
    expect(signedUri(request, undefined)).toBe(`https://${HOST}/webhook/hubspot?a=1&b=2`);
    expect(signedUri(request, " https://x.example/h ")).toBe("https://x.example/h");
  });

  describe("hostile input, signed (HubSpot's key leaked or a bug upstream): nothing starts, nothing is retried", () => {
    const hostile: Array<[string, string]> = [
      ["not JSON", "{not json"],
      ["an object, not a batch", JSON.stringify(event())],
      ["a string", JSON.stringify("contact.creation")],
      ["null", "null"],
      ["deep nesting", `${"[".repeat(5000)}${"]".repeat(5000)}`],
      ["ids as objects", JSON.stringify([event({ objectId: { $gt: 0 } })])],
      ["ids with path tricks", JSON.stringify([event({ objectId: "1/../../2" })])],
      ["a negative portal", JSON.stringify([event({ portalId: -5 })])],
      [
        "an id past 2^53",
        `[${JSON.stringify(event()).replace('"objectId":101', '"objectId":9007199254740993')}]`,
      ],
      [
        "prototype pollution",
        '[{"__proto__":{"subscriptionType":"contact.creation"},"objectId":1,"portalId":2}]',
      ],
      ["non-ASCII type", JSON.stringify([event({ subscriptionType: "contact.creatíon" })])],
      ["a huge string", JSON.stringify([event({ subscriptionType: "x".repeat(100_000) })])],
    ];
    it.each(hostile)("%s", async (_name, body) => {
      const result = await ingest(delivery(body));
      expect(result.statusCode).toBeLessThan(300);
      expect(starter.attempts).toEqual([]);
      // Kept only when it is not a batch at all, so a person can look at it.
      for (const key of store.keys()) expect(key).toMatch(/^sources\/hubspot\/rejected\//);
    });

    it("refuses a non-JSON content type and a body over the limit", async () => {
      const body = JSON.stringify([event()]);
      expect((await ingest(delivery(body, { headers: { "content-type": "text/plain" } }))).statusCode).toBe(
        415,
      );
      const big = JSON.stringify([event({ pad: "x".repeat(300 * 1024) })]);
      expect((await ingest(delivery(big))).statusCode).toBe(413);
      expect((await ingest(delivery(body, { method: "GET" }))).statusCode).toBe(405);
      expect(starter.attempts).toEqual([]);
    });
  });

  it("stores the batch under one key per body", async () => {
    const body = JSON.stringify([event()]);
    await ingest(delivery(body));
    expect(store.keys()).toEqual([starter.started[0]?.input.rawKey]);
    expect(String(starter.started[0]?.input.rawKey)).toBe(
      hubspotRawKey(String(starter.started[0]?.input.rawKey).slice(16, 80)),
    );
  });
});

describe("TRIAGE_SOURCES: a flow's sources are a setting", () => {
  const flow = {
    id: "triage",
    source: closeSource,
    sourceChoice: { setting: "TRIAGE_SOURCES", sources: [closeSource, hubspotSource], default: ["close"] },
  };
  const ids = (value: string | undefined) => flowSources(flow, { TRIAGE_SOURCES: value }).map((s) => s.id);

  it("chooses close by default, hubspot, or both", () => {
    expect(ids(undefined)).toEqual(["close"]);
    expect(ids(" ")).toEqual(["close"]);
    expect(ids("hubspot")).toEqual(["hubspot"]);
    expect(ids("close,hubspot")).toEqual(["close", "hubspot"]);
    expect(ids(" HubSpot , close ")).toEqual(["close", "hubspot"]);
  });

  it("refuses an unknown source or an empty list, naming the setting and the choices", () => {
    expect(() => ids("close,salesforce")).toThrow(SourceChoiceError);
    expect(() => ids("close,salesforce")).toThrow(
      /TRIAGE_SOURCES names unknown source\(s\) salesforce.*close, hubspot/,
    );
    expect(() => ids(",")).toThrow(/TRIAGE_SOURCES names no source/);
  });

  it("a flow without a choice keeps its one source", () => {
    expect(flowSources({ id: "announce", source: closeSource }, { TRIAGE_SOURCES: "hubspot" })).toEqual([
      closeSource,
    ]);
  });
});
