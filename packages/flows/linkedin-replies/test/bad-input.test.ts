import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { withCapturedLogs } from "../../../local/test/harness";
import { LGM_MAX_BODY_BYTES } from "../src/source";
import { crmState, engineOf, type FlowRuntime, replyBody, startFlowRuntime } from "./runtime";
import { fixtureText } from "./support";

/**
 * The bad-input corpus of `POST /webhook/lgm/{token}` against one running runtime: each case names
 * the status it must get and the execution it may start (or none). After the table: the bucket,
 * the executions and HubSpot hold exactly what the accepted cases made, and the token was never
 * printed, logged or answered.
 */

interface Request {
  method?: string;
  /** The path after the runtime's root; `TOKEN` in it is replaced by the runtime's token. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

interface Case {
  name: string;
  request: () => Request;
  status: number;
  /** The execution this request starts (its name), or false: nothing started. */
  starts: false | string;
  /** Kept under sources/lgm/rejected/ (acknowledged, not started). */
  kept?: true;
  /** How that execution ends. */
  ends?: "SUCCEEDED" | "FAILED";
  /** Matched against the answer's `error` or `reason`. */
  why?: RegExp;
}

const PATH = "/webhook/lgm/TOKEN";
const json = (body: unknown, path = PATH): Request => ({
  path,
  headers: { "content-type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
/** A reply whose conversation and message ids make a predictable execution name. */
const reply = (conversationId: string, messageId: string, more: Record<string, unknown> = {}) =>
  replyBody({ conversationId, messageId, ...more });

const refusedToken = (name: string, path: (token: string) => string, status = 404): Case => ({
  name,
  request: () => ({ ...json(reply("convForged01", "msgForged01")), path: path("TOKEN") }),
  status,
  starts: false,
});

const tokens: Case[] = [
  refusedToken("a wrong token", () => "/webhook/lgm/not-the-token"),
  refusedToken("the token with its last character changed", (t) => `/webhook/lgm/${t}~LAST`),
  refusedToken("the first half of the token", (t) => `/webhook/lgm/${t}~HALF`),
  refusedToken("the token and one more character", (t) => `/webhook/lgm/${t}x`),
  refusedToken("the token upper-cased", (t) => `/webhook/lgm/${t}~UPPER`),
  refusedToken("the token followed by an encoded slash", (t) => `/webhook/lgm/${t}%2Fx`),
  refusedToken("an empty token (no route)", () => "/webhook/lgm/"),
  refusedToken("the token in the query string instead of the path", (t) => `/webhook/lgm/x?token=${t}`),
  refusedToken("a 5,000-character token", () => `/webhook/lgm/${"a".repeat(5000)}`),
  // #22 finding 13: a path segment that does not percent-decode is a wrong token (404), never a 500.
  refusedToken("malformed percent-encoding in the token segment (%ZZ)", () => "/webhook/lgm/%ZZ"),
  refusedToken("the token followed by a lone %", (t) => `/webhook/lgm/${t}%`),
  refusedToken("an encoded lone surrogate as the token (%ED%A0%80)", () => "/webhook/lgm/%ED%A0%80"),
  {
    name: "the token in a header instead of the path",
    request: () => ({
      ...json(reply("convForged02", "msgForged02"), "/webhook/lgm/x"),
      headers: { authorization: "Bearer TOKEN" },
    }),
    status: 404,
    starts: false,
  },
  {
    name: "GET with the right token",
    request: () => ({ method: "GET", path: PATH }),
    status: 405,
    starts: false,
  },
  {
    name: "PUT with the right token and a reply",
    request: () => ({ ...json(reply("convForged03", "msgForged03")), method: "PUT" }),
    status: 405,
    starts: false,
  },
];

const nested = (levels: number) => `{"data":${"[".repeat(levels)}${"]".repeat(levels)}}`;

const bodies: Case[] = [
  {
    name: "not JSON",
    request: () => json("status=RECEIVED&text=hi"),
    status: 400,
    starts: false,
    why: /not JSON/,
  },
  { name: "an empty body", request: () => json(""), status: 400, starts: false, why: /not JSON/ },
  {
    name: "truncated JSON",
    request: () => json(JSON.stringify(reply("c", "m")).slice(0, 40)),
    status: 400,
    starts: false,
  },
  { name: "JSON null", request: () => json("null"), status: 400, starts: false, why: /JSON object/ },
  {
    name: "a JSON string",
    request: () => json('"RECEIVED"'),
    status: 400,
    starts: false,
    why: /JSON object/,
  },
  {
    name: "invalid UTF-8 between tokens",
    request: () => ({
      path: PATH,
      body: Buffer.concat([Buffer.from('{"status":'), Buffer.from([0xff, 0xfe]), Buffer.from("}")]),
    }),
    status: 400,
    starts: false,
  },
  {
    name: `a body over ${LGM_MAX_BODY_BYTES} bytes`,
    request: () =>
      json(JSON.stringify(reply("convHuge01", "msgHuge01", { text: "x".repeat(LGM_MAX_BODY_BYTES) }))),
    status: 413,
    starts: false,
  },
  { name: "100,000 levels of nesting", request: () => json(nested(100_000)), status: 202, starts: false },
  {
    name: "a JSON array of replies: kept for a person, not started",
    request: () => json([reply("convArray01", "msgArray01")]),
    status: 202,
    starts: false,
    kept: true,
    why: /JSON array/,
  },
  {
    name: "a reply with neither conversation nor lead id: kept, not started",
    request: () => json(fixtureText("reply-unkeyed.json")),
    status: 202,
    starts: false,
    kept: true,
    why: /without a conversation id or a lead id/,
  },
];

const notReplies: Case[] = [
  {
    name: "a message we sent (status SENT)",
    request: () => json(fixtureText("sent-message.json")),
    status: 202,
    starts: false,
    why: /status SENT/,
  },
  {
    name: "an event naming a sent message",
    request: () => json(fixtureText("sent-event.json")),
    status: 202,
    starts: false,
    why: /not a reply/,
  },
  {
    name: "no direction, status or event type",
    request: () => json({ conversationId: "convNoDir01", text: "hi", proEmail: "a@b.co" }),
    status: 202,
    starts: false,
    why: /no direction/,
  },
  {
    name: "RECEIVED hidden under __proto__",
    request: () => json('{"__proto__":{"status":"RECEIVED","conversationId":"convProto01"},"text":"x"}'),
    status: 202,
    starts: false,
  },
  {
    name: "a delivery status that says nothing about direction (SEND_FAILED)",
    request: () => json(reply("convFailed01", "msgFailed01", { lastMessageStatus: "SEND_FAILED" })),
    status: 202,
    starts: false,
  },
];

const hostileIds: Case[] = [
  {
    // #22 finding 14: encodeURIComponent throws on it (URIError), so it could never be fetched from LGM.
    name: "a conversation id holding a lone surrogate: kept as rejected, not started",
    request: () =>
      json(`{"status":"RECEIVED","conversationId":"conv\\ud800x","messageId":"msgLone01","text":"hi"}`),
    status: 202,
    starts: false,
    kept: true,
    why: /well-formed/,
  },
  {
    name: "a conversation id that tries to climb out of sources/lgm/",
    request: () => json(reply("../../flows/linkedin-replies/notes/x", "msgTraversal01")),
    status: 202,
    starts: "lgm-_flows_linkedin-replies_notes_x-msgTraversal01",
    ends: "SUCCEEDED",
  },
  {
    name: "a 5,000-character conversation id (the name and the keys stay bounded)",
    request: () => json(reply("c".repeat(5000), "msgLongConv01")),
    status: 202,
    starts: expect.stringMatching(/^lgm-c+-[0-9a-f]{12}$/) as unknown as string,
    ends: "SUCCEEDED",
  },
  {
    name: "a message id with controls, a bidi override and a slash",
    request: () => json(reply("convCtrl01", "m\u0007\u202e/../1")),
    status: 202,
    starts: "lgm-convCtrl01-m_1",
    ends: "SUCCEEDED",
  },
  {
    name: "a numeric conversation id",
    request: () => json(reply(4242424242 as unknown as string, "msgNumeric01")),
    status: 202,
    starts: "lgm-4242424242-msgNumeric01",
    ends: "SUCCEEDED",
  },
];

const hostileContent: Case[] = [
  {
    name: "markup, a bidi override and a fake field in the text (escaped in the note)",
    request: () =>
      json(
        reply("convMarkup01", "msgMarkup01", {
          text: '<script>alert(1)</script>\n\u202eCampaign: <a href="https://evil.example">x</a>',
        }),
      ),
    status: 202,
    starts: "lgm-convMarkup01-msgMarkup01",
    ends: "SUCCEEDED",
  },
  {
    name: "invalid UTF-8 inside the text (stored as sent, decoded with U+FFFD)",
    request: () => {
      const [before = "", after = ""] = JSON.stringify(
        reply("convUtf801", "msgUtf801", { text: "bad TEXT here" }),
      ).split("TEXT");
      return {
        path: PATH,
        body: Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from(after)]),
      };
    },
    status: 202,
    starts: "lgm-convUtf801-msgUtf801",
    ends: "SUCCEEDED",
  },
  {
    name: "text/plain content type (LGM's is not documented: the body decides)",
    request: () => ({
      ...json(reply("convPlain01", "msgPlain01")),
      headers: { "content-type": "text/plain" },
    }),
    status: 202,
    starts: "lgm-convPlain01-msgPlain01",
    ends: "SUCCEEDED",
  },
  {
    name: "an evil-domain profile, a bad email and no lead id: no one to write to",
    request: () =>
      json(
        reply("convNoOne01", "msgNoOne01", {
          leadId: undefined,
          proEmail: "not an email",
          linkedinUrl: "https://linkedin.com.evil.example/in/x",
        }),
      ),
    status: 202,
    starts: "lgm-convNoOne01-msgNoOne01",
    ends: "FAILED",
  },
];

// The same delivery twice: LGM retrying, or someone replaying a captured one.
const captured = json(reply("convTwice01", "msgTwice01"));
const redeliveries: Case[] = [
  {
    name: "a delivery, the first time",
    request: () => captured,
    status: 202,
    starts: "lgm-convTwice01-msgTwice01",
    ends: "SUCCEEDED",
  },
  {
    name: "the same delivery again → duplicate, nothing new",
    request: () => captured,
    status: 200,
    starts: false,
  },
];

const cases: Case[] = [
  ...tokens,
  ...bodies,
  ...notReplies,
  ...hostileIds,
  ...hostileContent,
  ...redeliveries,
];

describe("bad input on POST /webhook/lgm/{token}", () => {
  let runtime: FlowRuntime;
  let token: string;
  const printed: string[] = [];
  const logged: string[] = [];
  const answered: string[] = [];
  const started: Array<{ matcher: string; ends: string | undefined }> = [];

  async function keys(prefix = ""): Promise<string[]> {
    const listing = await (
      await fetch(`${runtime.s3Endpoint}/${runtime.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`)
    ).text();
    return [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1] ?? "").sort();
  }
  async function executionNames(): Promise<string[]> {
    const engine = engineOf(runtime);
    const { executions = [] } = await engine.listExecutions({
      stateMachineArn: engine.stateMachineArn,
      maxResults: 1000,
    });
    return executions.map((execution) => execution.name ?? "");
  }
  /** `TOKEN` and its variants in a path become the runtime's token (forged variants stay wrong). */
  function pathWith(path: string): string {
    const last = token.at(-1) === "A" ? "B" : "A";
    return path
      .replace("TOKEN~LAST", `${token.slice(0, -1)}${last}`)
      .replace("TOKEN~HALF", token.slice(0, Math.floor(token.length / 2)))
      .replace("TOKEN~UPPER", token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase())
      .replace("TOKEN", encodeURIComponent(token));
  }

  beforeAll(async () => {
    runtime = await withCapturedLogs(logged, () => startFlowRuntime({ print: (line) => printed.push(line) }));
    token = runtime.settings.LGM_WEBHOOK_TOKEN ?? "";
  });
  afterAll(async () => {
    await runtime?.stop();
    vi.restoreAllMocks();
  });

  it(`holds ${cases.length} cases, each named once`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(token.length).toBeGreaterThanOrEqual(32);
  });

  it.each(cases)("$status ← $name", async ({ request, status, starts, kept, ends, why }) => {
    const wire = request();
    // What the ingest stores (the executions of earlier cases write under flows/ meanwhile).
    const [keysBefore, namesBefore] = [await keys("sources/"), await executionNames()];
    const headers = Object.fromEntries(
      Object.entries(wire.headers ?? {}).map(([name, value]) => [name, value.replace("TOKEN", token)]),
    );
    const response = await fetch(`${runtime.url}${pathWith(wire.path ?? PATH)}`, {
      method: wire.method ?? "POST",
      headers,
      body: typeof wire.body === "string" || wire.body === undefined ? wire.body : new Uint8Array(wire.body),
    });
    const text = await response.text();
    answered.push(text);
    expect(response.status, text.slice(0, 200)).toBe(status);
    const answer = (() => {
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch {
        return {};
      }
    })();
    if (why) expect(`${answer.error ?? ""} ${answer.reason ?? ""}`).toMatch(why);
    if (status === 404) expect(answer.error).toMatch(/not found|no route/);

    const newKeys = (await keys("sources/")).filter((key) => !keysBefore.includes(key));
    const newNames = (await executionNames()).filter((name) => !namesBefore.includes(name));
    if (starts) {
      expect(answer).toMatchObject({ status: "accepted", reply: starts });
      expect(newNames).toEqual([starts]);
      expect(newKeys).toEqual([
        expect.stringMatching(/^sources\/lgm\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\.json$/),
      ]);
      started.push({ matcher: newNames[0] ?? "", ends });
    } else {
      expect(newNames).toEqual([]);
      expect(newKeys).toEqual(
        kept ? [expect.stringMatching(/^sources\/lgm\/rejected\/[0-9a-f]{32}\.json$/)] : [],
      );
    }
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
  });

  it("ran each accepted reply once, to its expected end", async () => {
    for (const { matcher, ends } of started) {
      expect((await engineOf(runtime).settled(matcher))?.status, matcher).toBe(ends);
    }
    expect((await executionNames()).sort()).toEqual(started.map((s) => s.matcher).sort());
  });

  it("kept every object inside the flow's and the source's prefixes", async () => {
    // `alerts/` is the runtime's own record of a failed execution (the failing case above).
    const ours = (await keys()).filter((key) => !key.startsWith("alerts/"));
    expect(ours.length).toBeGreaterThan(0);
    for (const key of ours)
      expect(key).toMatch(/^(sources\/lgm|flows\/linkedin-replies)\/[A-Za-z0-9_/-]+\.json$/);
  });

  it("wrote the hostile text into HubSpot escaped, never as markup", async () => {
    const { notes } = await crmState(runtime);
    expect(notes).toHaveLength(started.filter((s) => s.ends === "SUCCEEDED").length);
    const markup = notes.find((note) => note.properties.hs_note_body?.includes("alert(1)"));
    expect(markup?.properties.hs_note_body).toContain(
      "&lt;script&gt;alert(1)&lt;/script&gt;<br>Campaign: &lt;a href=&quot;",
    );
    expect(markup?.properties.hs_note_body).not.toMatch(/<script|\u202e|<a href="https:\/\/evil/);
    const utf8 = notes.find((note) => note.properties.hs_note_body?.includes("bad "));
    expect(utf8?.properties.hs_note_body).toContain("bad \uFFFD\uFFFD( here");
  });

  it("never printed, logged or answered the token", () => {
    expect(logged.some((line) => line.includes("webhook refused"))).toBe(true); // the capture works
    for (const output of [printed.join("\n"), logged.join(""), answered.join("\n")]) {
      expect(output).not.toContain(token);
    }
  });
});
