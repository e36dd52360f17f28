import { rawEventKey, SIGNATURE_HEADER, signCloseWebhook, TIMESTAMP_HEADER } from "@leadrelay/core";
import { beforeEach, describe, expect, it } from "vitest";
import { closeFixture, closeFixtureJson, LEAD_IDS } from "../../core/test/fixture-files";
import { createLogger } from "../src/log";
import { createSourceIngest, type IngestEvent } from "../src/source-ingest";
import { closeSource, CLOSE_MAX_BODY_BYTES as MAX_BODY_BYTES } from "../src/sources/close";
import { bodyOf, clock, closeIngest, MemoryStore, NOW, RecordingStarter, SECRET, signedEvent } from "./fakes";

const LEAD_ID = LEAD_IDS["lead-created.json"];
const BODY = closeFixture("lead-created.json");

let store: MemoryStore;
let starter: RecordingStarter;
let logLines: string[];
let ingest: ReturnType<typeof closeIngest>;

beforeEach(() => {
  store = new MemoryStore();
  starter = new RecordingStarter();
  logLines = [];
  ingest = closeIngest({
    store,
    executions: starter,
    secretHex: SECRET,
    clock,
    log: createLogger("ingest", { level: "debug", write: (line) => logLines.push(line) }),
  });
});

function expectNothingDone() {
  expect(store.keys()).toEqual([]);
  expect(starter.attempts).toEqual([]);
}

/** The same lead delivered again as a new Close event (Close retries, or sends twice). */
function redelivery(eventId: string): string {
  const webhook = closeFixtureJson("lead-created.json");
  return JSON.stringify({ ...webhook, event: { ...webhook.event, id: eventId } });
}

describe("202 accepted", () => {
  it("stores the raw body byte for byte and starts the lead's execution", async () => {
    const result = await ingest(signedEvent(BODY));

    expect(result.statusCode).toBe(202);
    const executionArn = starter.started[0]?.executionArn;
    expect(bodyOf(result)).toEqual({
      status: "accepted",
      leadId: LEAD_ID,
      executionArn,
      executions: [{ flow: "announce", name: LEAD_ID, status: "started", executionArn }],
    });
    expect(store.keys()).toEqual([rawEventKey(LEAD_ID)]);
    expect(store.bytes(rawEventKey(LEAD_ID))?.equals(Buffer.from(BODY, "utf8"))).toBe(true);
    expect(starter.started).toHaveLength(1);
    expect(starter.started[0]?.name).toBe(LEAD_ID);
    expect(starter.started[0]?.input).toEqual({
      leadId: LEAD_ID,
      rawKey: `crm_event_${LEAD_ID}.json`,
      receivedAt: new Date(NOW).toISOString(),
      eventId: closeFixtureJson("lead-created.json").event.id,
    });
  });

  it.each(Object.entries(LEAD_IDS))("accepts %s under its lead id", async (name, leadId) => {
    const body = closeFixture(name as keyof typeof LEAD_IDS);
    const result = await ingest(signedEvent(body));
    expect(result.statusCode).toBe(202);
    expect(starter.started.map((execution) => execution.name)).toEqual([leadId]);
    expect(store.text(rawEventKey(leadId))).toBe(body);
  });

  it("accepts a base64-encoded body and stores the decoded bytes, unicode intact", async () => {
    const body = closeFixture("lead-created-data-id-only.json");
    const event = signedEvent(body, { base64: true });
    expect(event.isBase64Encoded).toBe(true);
    expect(event.body).not.toContain("Łukasz");

    const result = await ingest(event);

    const leadId = LEAD_IDS["lead-created-data-id-only.json"];
    expect(result.statusCode).toBe(202);
    expect(store.bytes(rawEventKey(leadId))?.equals(Buffer.from(body, "utf8"))).toBe(true);
    expect(store.text(rawEventKey(leadId))).toContain("Łukasz Żółć");
    expect(starter.started.map((execution) => execution.name)).toEqual([leadId]);
  });

  it("accepts JSON content types with parameters or a +json suffix, and a missing content type", async () => {
    for (const [index, contentType] of [
      "application/json; charset=utf-8",
      "Application/JSON",
      "application/vnd.close+json",
      undefined,
    ].entries()) {
      const leadId = `lead_ct${index}`;
      const body = JSON.stringify({
        event: { id: `ev_${index}`, object_type: "lead", action: "created", lead_id: leadId },
      });
      const result = await ingest(signedEvent(body, { headers: { "content-type": contentType } }));
      expect(result.statusCode, String(contentType)).toBe(202);
    }
    expect(starter.started).toHaveLength(4);
  });
});

describe("200 duplicate", () => {
  it("a second delivery of the same lead with another event id stores nothing new and starts nothing new", async () => {
    const first = await ingest(signedEvent(BODY));
    const second = await ingest(signedEvent(redelivery("ev_redelivered")));

    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    expect(bodyOf(second)).toEqual({ status: "duplicate", leadId: LEAD_ID });
    expect(store.keys()).toEqual([rawEventKey(LEAD_ID)]);
    // The first body is kept: the raw object is never overwritten.
    expect(store.text(rawEventKey(LEAD_ID))).toBe(BODY);
    expect(starter.started).toHaveLength(1);
    expect(starter.attempts).toEqual([LEAD_ID, LEAD_ID]);
  });

  it("the very same delivery twice is a duplicate too", async () => {
    expect((await ingest(signedEvent(BODY))).statusCode).toBe(202);
    expect((await ingest(signedEvent(BODY))).statusCode).toBe(200);
    expect(starter.started).toHaveLength(1);
  });
});

describe("401 unauthorized: nothing stored, nothing started", () => {
  const stale = String(NOW / 1000 - 301);
  const future = String(NOW / 1000 + 301);
  const cases: Array<[string, IngestEvent, string]> = [
    [
      "no signature header",
      signedEvent(BODY, { headers: { [SIGNATURE_HEADER]: undefined } }),
      "missing-signature",
    ],
    [
      "no timestamp header",
      signedEvent(BODY, { headers: { [TIMESTAMP_HEADER]: undefined } }),
      "missing-timestamp",
    ],
    ["no headers at all", { ...signedEvent(BODY), headers: {} }, "missing-signature"],
    [
      "signed with another key",
      signedEvent(BODY, { secret: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" }),
      "bad-signature",
    ],
    [
      "a tampered body",
      { ...signedEvent(BODY), body: BODY.replace("Harbor & Pine", "Harbour & Pine") },
      "bad-signature",
    ],
    ["a stale timestamp", signedEvent(BODY, { timestamp: stale }), "stale-timestamp"],
    ["a timestamp in the future", signedEvent(BODY, { timestamp: future }), "stale-timestamp"],
    [
      "a non-hex signature",
      signedEvent(BODY, { headers: { [SIGNATURE_HEADER]: "not-a-signature" } }),
      "bad-signature",
    ],
    [
      "a truncated signature",
      signedEvent(BODY, {
        headers: { [SIGNATURE_HEADER]: signCloseWebhook(SECRET, String(NOW / 1000), BODY).slice(2) },
      }),
      "bad-signature",
    ],
    ["a malformed timestamp", signedEvent(BODY, { timestamp: "yesterday" }), "bad-timestamp"],
  ];

  it.each(cases)("%s", async (_label, event, reason) => {
    const result = await ingest(event);
    expect(result.statusCode).toBe(401);
    // The answer does not tell a prober what was wrong; the log does.
    expect(bodyOf(result)).toEqual({ error: "unauthorized" });
    expect(result.body).not.toContain(reason);
    expect(logLines.join("\n")).toContain(reason);
    expectNothingDone();
  });

  it("is checked before the body is parsed: an unsigned malformed body is 401, not 400", async () => {
    const result = await ingest({ ...signedEvent("{nope"), headers: { "content-type": "application/json" } });
    expect(result.statusCode).toBe(401);
    expectNothingDone();
  });

  it("logs the reason but never the secret or the signature", async () => {
    await ingest(
      signedEvent(BODY, { secret: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" }),
    );
    const log = logLines.join("\n");
    expect(log).toContain("bad-signature");
    expect(log).not.toContain(SECRET);
  });
});

describe("400 bad request", () => {
  it.each([
    ["malformed JSON", "{not json"],
    ["a JSON array", "[1,2,3]"],
    ["no event", JSON.stringify({ subscription_id: "whsub_1" })],
    [
      "a lead.created without a lead id",
      JSON.stringify({ event: { id: "ev_1", object_type: "lead", action: "created" } }),
    ],
    ["a lead id that could escape its key", redelivery("ev_1").replaceAll(LEAD_ID, "lead_../../x")],
    ["a lead id of 200 characters", redelivery("ev_1").replaceAll(LEAD_ID, `lead_${"a".repeat(195)}`)],
  ])("%s", async (_label, body) => {
    const result = await ingest(signedEvent(body));
    expect(result.statusCode).toBe(400);
    expect(typeof bodyOf(result).error).toBe("string");
    expectNothingDone();
  });
});

describe("413 payload too large", () => {
  it("refuses a body over 1 MiB before anything else", async () => {
    const body = `{"pad":"${"x".repeat(MAX_BODY_BYTES)}"}`;
    const result = await ingest(signedEvent(body));
    expect(result.statusCode).toBe(413);
    expectNothingDone();
    // Unsigned too: size is checked first so a huge body costs no HMAC.
    expect((await ingest({ ...signedEvent(body), headers: {} })).statusCode).toBe(413);
  });

  it("counts bytes, not characters", async () => {
    const body = `{"pad":"${"ż".repeat(MAX_BODY_BYTES / 2)}"}`;
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    expect((await ingest(signedEvent(body))).statusCode).toBe(413);
    expect((await ingest(signedEvent(body, { base64: true }))).statusCode).toBe(413);
  });
});

describe("415 unsupported media type", () => {
  it.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
  ])("%s", async (contentType) => {
    const result = await ingest(signedEvent(BODY, { headers: { "content-type": contentType } }));
    expect(result.statusCode).toBe(415);
    expectNothingDone();
  });
});

describe("405 method not allowed", () => {
  it.each(["GET", "PUT", "DELETE"])("%s", async (method) => {
    const result = await ingest(signedEvent(BODY, { method }));
    expect(result.statusCode).toBe(405);
    expectNothingDone();
  });
});

describe("202 ignored", () => {
  it.each(["lead-updated.json", "note-created.json"] as const)(
    "%s is acknowledged, nothing stored",
    async (name) => {
      const result = await ingest(signedEvent(closeFixture(name)));
      expect(result.statusCode).toBe(202);
      expect(bodyOf(result)).toMatchObject({ status: "ignored" });
      expectNothingDone();
    },
  );
});

describe("503 so that Close delivers again", () => {
  it("when storage fails: nothing started", async () => {
    store.failing = true;
    const result = await ingest(signedEvent(BODY));
    expect(result.statusCode).toBe(503);
    expect(store.keys()).toEqual([]);
    expect(starter.attempts).toEqual([]);
  });

  it("when Step Functions fails; Close's next delivery then starts the execution", async () => {
    starter.failWith = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    const result = await ingest(signedEvent(BODY));
    expect(result.statusCode).toBe(503);
    expect(starter.started).toEqual([]);
    // The raw object may already be there; a redelivery must still start the lead.
    expect(store.text(rawEventKey(LEAD_ID))).toBe(BODY);

    starter.failWith = undefined;
    const retried = await ingest(signedEvent(redelivery("ev_retry")));
    expect(retried.statusCode).toBe(202);
    expect(starter.started.map((execution) => execution.name)).toEqual([LEAD_ID]);
    expect(store.text(rawEventKey(LEAD_ID))).toBe(BODY);
  });

  it("does not leak the failure to the caller", async () => {
    store.failing = true;
    const result = await ingest(signedEvent(BODY));
    expect(result.body).not.toContain("fake S3");
  });
});

describe("one source, several flows", () => {
  it("starts the lead in every subscribed flow under the same name; a redelivery is a duplicate in all", async () => {
    const triage = new RecordingStarter();
    const fanout = createSourceIngest({
      source: closeSource,
      store,
      flows: [
        { flow: "announce", executions: starter },
        { flow: "triage", executions: triage },
      ],
      secrets: { CLOSE_WEBHOOK_SECRET: SECRET },
      clock,
    });
    const first = await fanout(signedEvent(BODY));
    expect(first.statusCode).toBe(202);
    expect((bodyOf(first).executions as Array<{ flow: string }>).map((execution) => execution.flow)).toEqual([
      "announce",
      "triage",
    ]);
    expect(starter.started.map((execution) => execution.name)).toEqual([LEAD_ID]);
    expect(triage.started.map((execution) => execution.name)).toEqual([LEAD_ID]);
    expect(triage.started[0]?.input).toEqual(starter.started[0]?.input);

    const again = await fanout(signedEvent(redelivery("ev_again")));
    expect(again.statusCode).toBe(200);
    expect(bodyOf(again)).toEqual({ status: "duplicate", leadId: LEAD_ID });
  });

  it("answers 503 when one flow cannot be started; the retry starts only what is missing (a duplicate for the first flow)", async () => {
    const triage = new RecordingStarter();
    triage.failWith = new Error("Step Functions is down");
    const fanout = createSourceIngest({
      source: closeSource,
      store,
      flows: [
        { flow: "announce", executions: starter },
        { flow: "triage", executions: triage },
      ],
      secrets: { CLOSE_WEBHOOK_SECRET: SECRET },
      clock,
    });
    expect((await fanout(signedEvent(BODY))).statusCode).toBe(503);
    triage.failWith = undefined;
    const retry = await fanout(signedEvent(BODY));
    expect(retry.statusCode).toBe(200);
    expect(starter.started).toHaveLength(1);
    expect(triage.started).toHaveLength(1);
    expect(bodyOf(retry)).toEqual({ status: "duplicate", leadId: LEAD_ID });
  });
});
