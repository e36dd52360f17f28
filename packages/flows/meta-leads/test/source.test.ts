import { createHash } from "node:crypto";
import { META_SIGNATURE_HEADER, StorageUnavailable, signMetaPayload } from "@leadrelay/core";
import { createSourceIngest, type IngestEvent } from "@leadrelay/functions/source-ingest";
import { beforeEach, describe, expect, it } from "vitest";
import { clock, MemoryStore, RecordingStarter } from "../../../functions/test/fakes";
import { metaSource } from "../src/source";
import { fixtureText, leadgenBody, leadsBody } from "./meta-requests";

const APP_SECRET = "meta-app-secret-for-source-tests";
const VERIFY_TOKEN = "verify-token-for-source-tests";

let store: MemoryStore;
let executions: RecordingStarter;
const ingest = () =>
  createSourceIngest({
    source: metaSource,
    store,
    flows: [{ flow: "meta-leads", executions }],
    secrets: { META_APP_SECRET: APP_SECRET, META_VERIFY_TOKEN: VERIFY_TOKEN },
    clock,
  });

function post(
  body: string | Uint8Array,
  options: { headers?: Record<string, string | undefined>; base64?: boolean; secret?: string } = {},
): IngestEvent {
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const headers: Record<string, string | undefined> = {
    "content-type": "application/json",
    [META_SIGNATURE_HEADER]: signMetaPayload(options.secret ?? APP_SECRET, raw),
    ...options.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value === undefined) delete headers[name];
  return {
    body: options.base64 === false ? raw.toString("utf8") : raw.toString("base64"),
    isBase64Encoded: options.base64 !== false,
    headers: headers as Record<string, string>,
    rawPath: "/webhook/meta",
    requestContext: { http: { method: "POST" } },
  };
}

function get(query: string): IngestEvent {
  return {
    body: undefined,
    isBase64Encoded: false,
    headers: {},
    rawPath: "/webhook/meta",
    rawQueryString: query,
    requestContext: { http: { method: "GET" } },
  };
}

const json = (result: { body?: string }) => JSON.parse(result.body ?? "null") as Record<string, unknown>;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

beforeEach(() => {
  store = new MemoryStore();
  executions = new RecordingStarter();
});

describe("GET /webhook/meta: the verification handshake", () => {
  it("answers the raw challenge as text/plain when the mode and token match", async () => {
    const result = await ingest()(
      get(`hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}`),
    );
    expect(result.statusCode).toBe(200);
    expect(result.body).toBe("1158201444");
    expect(result.headers?.["content-type"]).toMatch(/^text\/plain/);
  });

  it("reads the raw query keys (dots included) and decodes the token", async () => {
    const token = "tøken with spaces&=";
    const source = createSourceIngest({
      source: metaSource,
      store,
      flows: [{ flow: "meta-leads", executions }],
      secrets: { META_VERIFY_TOKEN: token, META_APP_SECRET: APP_SECRET },
    });
    const query = `hub.verify_token=${encodeURIComponent(token)}&hub.challenge=42&hub.mode=subscribe`;
    expect((await source(get(query))).body).toBe("42");
  });

  const refused: Array<[string, string]> = [
    ["a wrong token", "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong"],
    ["no token", "hub.mode=subscribe&hub.challenge=1"],
    ["another mode", `hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=${VERIFY_TOKEN}`],
    ["no challenge", `hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}`],
    [
      "a challenge that is markup",
      `hub.mode=subscribe&hub.challenge=%3Cscript%3E%20x&hub.verify_token=${VERIFY_TOKEN}`,
    ],
    ["PHP-style keys", `hub_mode=subscribe&hub_challenge=1&hub_verify_token=${VERIFY_TOKEN}`],
  ];
  for (const [name, query] of refused) {
    it(`403 for ${name}, saying nothing about why`, async () => {
      const result = await ingest()(get(query));
      expect(result.statusCode).toBe(403);
      expect(json(result)).toEqual({ error: "forbidden" });
    });
  }

  it("403 when META_VERIFY_TOKEN is not set, whatever is sent", async () => {
    const source = createSourceIngest({
      source: metaSource,
      store,
      flows: [{ flow: "meta-leads", executions }],
      secrets: {},
    });
    expect((await source(get("hub.mode=subscribe&hub.challenge=1&hub.verify_token="))).statusCode).toBe(403);
  });
});

describe("POST /webhook/meta: signature", () => {
  it("401 and nothing stored or started for a missing, malformed or wrong signature", async () => {
    const body = leadsBody("12345678901234567");
    const forged = [
      post(body, { headers: { [META_SIGNATURE_HEADER]: undefined } }),
      post(body, { headers: { [META_SIGNATURE_HEADER]: "sha256=abc" } }),
      post(body, { secret: "not-the-app-secret" }),
      post(body, { headers: { [META_SIGNATURE_HEADER]: undefined, "x-hub-signature": "sha1=0123" } }),
    ];
    for (const event of forged) {
      const result = await ingest()(event);
      expect(result.statusCode).toBe(401);
      expect(json(result)).toEqual({ error: "unauthorized" });
    }
    expect(store.keys()).toEqual([]);
    expect(executions.attempts).toEqual([]);
  });

  it("verifies the exact bytes whether API Gateway passed them base64-encoded or not, whatever the header casing", async () => {
    const body = leadgenBody([[{ leadgenId: "12345678901234567" }]]).replace(
      '"page"',
      '"page","note":"Zoë – café"',
    );
    const signature = signMetaPayload(APP_SECRET, body);
    const upper = post(body, {
      headers: { [META_SIGNATURE_HEADER]: undefined, "X-Hub-Signature-256": signature },
    });
    expect((await ingest()(upper)).statusCode).toBe(200);
    expect((await ingest()(post(body, { base64: false }))).statusCode).toBe(200);
  });

  it("401 when META_APP_SECRET is not set", async () => {
    const source = createSourceIngest({
      source: metaSource,
      store,
      flows: [{ flow: "meta-leads", executions }],
      secrets: { META_VERIFY_TOKEN: VERIFY_TOKEN },
    });
    expect((await source(post(leadsBody("1"), { secret: "" }))).statusCode).toBe(401);
  });
});

describe("POST /webhook/meta: batches", () => {
  it("starts one execution per leadgen change, named meta-<leadgen_id>, and stores the body once, byte for byte", async () => {
    const body = fixtureText("leadgen-two-changes.json");
    const result = await ingest()(post(body));

    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({
      status: "accepted",
      leadgenIds: ["12345678901234567", "12345678901234568"],
    });
    const rawKey = `sources/meta/${sha256(body)}.json`;
    expect(store.keys()).toEqual([rawKey]);
    expect(store.bytes(rawKey)?.equals(Buffer.from(body, "utf8"))).toBe(true);
    expect(executions.started.map(({ name, input }) => ({ name, input }))).toEqual([
      {
        name: "meta-12345678901234567",
        input: {
          leadgenId: "12345678901234567",
          rawKey,
          entry: 0,
          change: 0,
          receivedAt: expect.any(String),
        },
      },
      {
        name: "meta-12345678901234568",
        input: {
          leadgenId: "12345678901234568",
          rawKey,
          entry: 0,
          change: 1,
          receivedAt: expect.any(String),
        },
      },
    ]);
  });

  it("fans out across entries and skips other fields", async () => {
    const body = leadgenBody([
      [{ leadgenId: "100000000000001" }, { leadgenId: "5", field: "feed" }],
      [{ leadgenId: "100000000000002" }, { leadgenId: "100000000000003" }],
    ]);
    await ingest()(post(body));
    expect(
      executions.started.map((execution) => [execution.name, execution.input.entry, execution.input.change]),
    ).toEqual([
      ["meta-100000000000001", 0, 0],
      ["meta-100000000000002", 1, 0],
      ["meta-100000000000003", 1, 1],
    ]);
  });

  it("a redelivery is acknowledged 200 and starts nothing new", async () => {
    const body = fixtureText("leadgen-two-changes.json");
    await ingest()(post(body));
    const again = await ingest()(post(body));
    expect(again.statusCode).toBe(200);
    expect(json(again)).toMatchObject({ status: "duplicate" });
    expect(executions.started).toHaveLength(2);
    expect(store.keys()).toHaveLength(1);
  });

  it("the same lead in another batch starts no second execution", async () => {
    await ingest()(post(leadsBody("100000000000001")));
    const other = await ingest()(post(leadsBody("100000000000001", "100000000000009")));
    expect(other.statusCode).toBe(200);
    expect(executions.started.map((execution) => execution.name)).toEqual([
      "meta-100000000000001",
      "meta-100000000000009",
    ]);
  });

  it("a POST without any leadgen change is acknowledged 200, nothing stored or started", async () => {
    const result = await ingest()(post(leadgenBody([[{ leadgenId: "1", field: "feed" }]])));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({ status: "ignored" });
    expect(store.keys()).toEqual([]);
    expect(executions.attempts).toEqual([]);
  });

  it("leadgen changes with no readable id are kept aside (acknowledged), nothing started", async () => {
    const body = '{"object":"page","entry":[{"changes":[{"field":"leadgen","value":{"leadgen_id":"x"}}]}]}';
    const result = await ingest()(post(body));
    expect(result.statusCode).toBe(200);
    expect(store.keys()).toEqual([`sources/meta/rejected/${sha256(body)}.json`]);
    expect(executions.attempts).toEqual([]);
  });

  it("storage down → 503 and nothing started; Step Functions down → 503: Meta delivers again", async () => {
    store.failing = new Set(["putIfAbsent"]);
    expect((await ingest()(post(leadsBody("100000000000001")))).statusCode).toBe(503);
    expect(executions.attempts).toEqual([]);

    store.failing = false;
    executions.failWith = new StorageUnavailable("pretend SFN is down");
    expect((await ingest()(post(leadsBody("100000000000001")))).statusCode).toBe(503);

    executions.failWith = undefined;
    expect((await ingest()(post(leadsBody("100000000000001")))).statusCode).toBe(200);
    expect(executions.started.map((execution) => execution.name)).toEqual(["meta-100000000000001"]);
  });

  it("400 for a signed body that is not a Page webhook; 415 for another content type", async () => {
    expect((await ingest()(post("not json"))).statusCode).toBe(400);
    expect((await ingest()(post('{"object":"page"}'))).statusCode).toBe(400);
    const typed = post(leadsBody("1"), { headers: { "content-type": "text/plain" } });
    expect((await ingest()(typed)).statusCode).toBe(415);
    expect(store.keys()).toEqual([]);
  });
});
