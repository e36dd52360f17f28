import { createLogger } from "@leadrelay/functions/log";
import { createSourceIngest, type IngestEvent } from "@leadrelay/functions/source-ingest";
import { describe, expect, it } from "vitest";
import { MemoryStore, RecordingStarter } from "../../../functions/test/fakes";
import { lgmSource } from "../src/source";
import { fixtureText } from "./support";

const TOKEN = "tok_3nJ4kq8VxZ2pLw9Rb7Ys1Hc5";

/** `token: null`: the route was called without one. */
function request(body: string, token: string | null) {
  return {
    method: "POST",
    path: `/webhook/lgm/${token ?? ""}`,
    pathParameters: (token === null ? {} : { token }) as Record<string, string>,
    query: new URLSearchParams(),
    headers: { "content-type": "application/json" },
    body: Buffer.from(body),
  };
}
const receive = (body: string, token: string | null = TOKEN, secret = TOKEN) =>
  lgmSource.receive(request(body, token), { secrets: { LGM_WEBHOOK_TOKEN: secret }, now: 0 });

describe("lgm source: verdicts", () => {
  it("accepts a reply: one execution named after conversation and message, the raw body under sources/lgm", () => {
    const verdict = receive(fixtureText("reply-flat.json"));
    expect(verdict).toEqual({
      kind: "accept",
      rawKey: "sources/lgm/65f1a2b3c4d5e6f708192a01/66a0b1c2d3e4f50617283901.json",
      events: [
        {
          name: "lgm-65f1a2b3c4d5e6f708192a01-66a0b1c2d3e4f50617283901",
          input: {
            conversationKey: "65f1a2b3c4d5e6f708192a01",
            messageKey: "66a0b1c2d3e4f50617283901",
            rawKey: "sources/lgm/65f1a2b3c4d5e6f708192a01/66a0b1c2d3e4f50617283901.json",
            conversationId: "65f1a2b3c4d5e6f708192a01",
            messageId: "66a0b1c2d3e4f50617283901",
          },
        },
      ],
      fields: { reply: "lgm-65f1a2b3c4d5e6f708192a01-66a0b1c2d3e4f50617283901" },
    });
  });

  it("answers 404 to a wrong, missing or unconfigured token, saying nothing more", () => {
    for (const verdict of [
      receive(fixtureText("reply-flat.json"), "wrong"),
      receive(fixtureText("reply-flat.json"), null),
      receive(fixtureText("reply-flat.json"), TOKEN, ""),
      receive(fixtureText("reply-flat.json"), `${TOKEN}x`),
    ]) {
      expect(verdict.kind).toBe("answer");
      if (verdict.kind !== "answer") continue;
      expect(verdict.answer.status).toBe(404);
      expect(verdict.answer.body).toEqual({ error: "not found" });
    }
  });

  it("ignores what is not a reply, refuses what is not JSON, keeps an unkeyed reply", () => {
    expect(receive(fixtureText("sent-message.json"))).toMatchObject({
      kind: "answer",
      answer: { status: 202, body: { status: "ignored" } },
    });
    expect(receive("{")).toMatchObject({ kind: "answer", answer: { status: 400 } });
    expect(receive(fixtureText("reply-unkeyed.json"))).toMatchObject({
      kind: "reject",
      key: expect.stringMatching(/^sources\/lgm\/rejected\/[0-9a-f]{32}\.json$/),
    });
  });
});

describe("lgm source: through the ingest", () => {
  const ingestWith = (store: MemoryStore, starter: RecordingStarter) =>
    createSourceIngest({
      source: lgmSource,
      store,
      flows: [{ flow: "linkedin-replies", executions: starter }],
      secrets: { LGM_WEBHOOK_TOKEN: TOKEN },
      clock: () => Date.parse("2026-11-20T14:08:11.000Z"),
      log: createLogger("test", { level: "silent" }),
    });
  const event = (body: string, token = TOKEN): IngestEvent => ({
    body: Buffer.from(body).toString("base64"),
    isBase64Encoded: true,
    headers: { "content-type": "application/json" },
    rawPath: `/webhook/lgm/${token}`,
    pathParameters: { token },
    requestContext: { http: { method: "POST" } },
  });

  it("stores the raw body byte for byte, starts once, and answers a redelivery 200 duplicate", async () => {
    const store = new MemoryStore();
    const starter = new RecordingStarter();
    const ingest = ingestWith(store, starter);
    const body = fixtureText("reply-nested.json");
    const first = await ingest(event(body));
    expect(first.statusCode).toBe(202);
    expect(
      store
        .bytes("sources/lgm/65f1a2b3c4d5e6f708192a02/66a0b1c2d3e4f50617283902.json")
        ?.equals(Buffer.from(body)),
    ).toBe(true);
    expect(starter.started.map((s) => [s.name, s.input.receivedAt])).toEqual([
      ["lgm-65f1a2b3c4d5e6f708192a02-66a0b1c2d3e4f50617283902", "2026-11-20T14:08:11.000Z"],
    ]);
    const again = await ingest(event(body));
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body ?? "{}")).toMatchObject({ status: "duplicate" });
    expect(starter.started).toHaveLength(1);
  });

  it("stores nothing for a wrong token and never echoes it", async () => {
    const store = new MemoryStore();
    const starter = new RecordingStarter();
    const answer = await ingestWith(store, starter)(event(fixtureText("reply-flat.json"), "guess"));
    expect(answer.statusCode).toBe(404);
    expect(answer.body).not.toContain("guess");
    expect(store.keys()).toEqual([]);
    expect(starter.attempts).toEqual([]);
  });
});
