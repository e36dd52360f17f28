import { request as httpRequest } from "node:http";
import { META_SIGNATURE_HEADER, signMetaPayload } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listExecutions } from "../../../console/src/lead-operations";
import type { Runtime } from "../../../local/src/runtime";
import { startTestRuntime } from "../../../local/test/harness";
import { leadgenBody, leadsBody } from "./meta-requests";

/**
 * The bad-input corpus of `GET|POST /webhook/meta` against one running runtime: handshakes that
 * must not verify, deliveries that are not Meta's, signed deliveries that are not Page webhooks
 * and leadgen changes whose ids are not ids. Each case names its status; after the table, the
 * bucket and the executions hold exactly what the accepted cases made, and no answer ever held a
 * secret.
 */

const WEBHOOK = "/webhook/meta";
const MiB = 1024 * 1024;
const ACCEPTED_LEAD = "100000000000009001";
const REPLAYED_LEAD = "100000000000009002";
/** A well-formed leadgen delivery that no refused case may ever store or start. */
const FORGED_LEAD = "100000000000009666";
const FORGED_BODY = leadsBody(FORGED_LEAD);

let runtime: Runtime;
let appSecret: string;
let verifyToken: string;

interface Wire {
  method: string;
  /** Path and query. */
  path: string;
  headers: Array<[string, string]>;
  body?: string | Uint8Array;
  /** node:http: headers go out exactly as listed (repeated names included). */
  raw?: boolean;
}

interface Case {
  name: string;
  request: () => Wire;
  status: number;
  /** What the answer says (JSON `error`/`status`/`reason`, or the text). */
  says?: RegExp;
}

const signatureOf = (body: string | Uint8Array, secret = appSecret) => signMetaPayload(secret, body);
function signed(body: string | Uint8Array, headers: Array<[string, string]> = []): Wire {
  return {
    method: "POST",
    path: WEBHOOK,
    headers: [["content-type", "application/json"], [META_SIGNATURE_HEADER, signatureOf(body)], ...headers],
    body,
  };
}
function unsigned(body: string | Uint8Array, signature?: string): Wire {
  const headers: Array<[string, string]> = [["content-type", "application/json"]];
  if (signature !== undefined) headers.push([META_SIGNATURE_HEADER, signature]);
  return { method: "POST", path: WEBHOOK, headers, body };
}
const handshake = (query: string): Wire => ({ method: "GET", path: `${WEBHOOK}?${query}`, headers: [] });
const withToken = (token: string, more = "hub.mode=subscribe&hub.challenge=1158201444") =>
  handshake(`${more}&hub.verify_token=${encodeURIComponent(token)}`);
const rejectedChange = (leadgenId: string) =>
  `{"object":"page","entry":[{"id":1,"time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":${leadgenId}}}]}]}`;

const cases: Case[] = [
  // ── the handshake: only the right token, mode and a plain challenge verify ──
  { name: "GET without any query", request: () => handshake(""), status: 403, says: /forbidden/ },
  {
    name: "GET with a wrong verify token",
    request: () => withToken("guess"),
    status: 403,
    says: /forbidden/,
  },
  {
    name: "GET with the token in another case",
    request: () => withToken(verifyToken.toUpperCase()),
    status: 403,
  },
  { name: "GET with a prefix of the token", request: () => withToken(verifyToken.slice(0, -1)), status: 403 },
  { name: "GET with the app secret as the token", request: () => withToken(appSecret), status: 403 },
  {
    name: "GET with mode unsubscribe",
    request: () => withToken(verifyToken, "hub.mode=unsubscribe&hub.challenge=1"),
    status: 403,
  },
  {
    name: "GET with markup as the challenge (reflected text)",
    request: () =>
      withToken(verifyToken, "hub.mode=subscribe&hub.challenge=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    status: 403,
  },
  {
    name: "GET with a 300-character challenge",
    request: () => withToken(verifyToken, `hub.mode=subscribe&hub.challenge=${"9".repeat(300)}`),
    status: 403,
  },
  {
    name: "GET with a wrong token first and the right one repeated",
    request: () =>
      handshake(`hub.mode=subscribe&hub.challenge=1&hub.verify_token=x&hub.verify_token=${verifyToken}`),
    status: 403,
  },
  {
    name: "GET with the right token verifies (the control case)",
    request: () => withToken(verifyToken),
    status: 200,
    says: /^1158201444$/,
  },

  // ── authenticity: every POST not signed over its exact bytes with the app secret ──
  {
    name: "POST without X-Hub-Signature-256",
    request: () => unsigned(FORGED_BODY),
    status: 401,
    says: /^unauthorized$/,
  },
  { name: "POST with an empty signature", request: () => unsigned(FORGED_BODY, ""), status: 401 },
  {
    name: "POST with only the legacy sha1 X-Hub-Signature",
    request: () => ({
      ...unsigned(FORGED_BODY),
      headers: [
        ["content-type", "application/json"],
        ["x-hub-signature", "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709"],
      ],
    }),
    status: 401,
  },
  {
    name: "POST signed with another secret",
    request: () => unsigned(FORGED_BODY, signatureOf(FORGED_BODY, "not-the-secret")),
    status: 401,
  },
  {
    name: "POST signed with the verify token",
    request: () => unsigned(FORGED_BODY, signatureOf(FORGED_BODY, verifyToken)),
    status: 401,
  },
  {
    name: "POST whose signature is for another body",
    request: () => unsigned(FORGED_BODY, signatureOf(leadsBody("1"))),
    status: 401,
  },
  {
    name: "POST with one byte added after signing",
    request: () => unsigned(`${FORGED_BODY} `, signatureOf(FORGED_BODY)),
    status: 401,
  },
  {
    name: "POST re-serialised after signing (\\u escapes, same JSON)",
    request: () => {
      const body = FORGED_BODY.replace('"page"', '"page","note":"Zoë"');
      return unsigned(body.replace("ë", "\\u00eb"), signatureOf(body));
    },
    status: 401,
  },
  {
    name: "POST with a truncated signature",
    request: () => unsigned(FORGED_BODY, signatureOf(FORGED_BODY).slice(0, 40)),
    status: 401,
  },
  {
    name: "POST with the bare hex digest (no sha256= prefix)",
    request: () => unsigned(FORGED_BODY, signatureOf(FORGED_BODY).slice(7)),
    status: 401,
  },
  {
    name: "POST with a wrong signature header and then the right one (joined by the gateway)",
    request: () => ({
      ...unsigned(FORGED_BODY),
      headers: [
        ["content-type", "application/json"],
        [META_SIGNATURE_HEADER, "sha256=00"],
        [META_SIGNATURE_HEADER, signatureOf(FORGED_BODY)],
      ],
      raw: true,
    }),
    status: 401,
  },

  // ── signed, but not a Page webhook ──
  {
    name: "signed body that is not JSON",
    request: () => signed("object=page&entry=1"),
    status: 400,
    says: /not JSON/,
  },
  { name: "signed JSON array", request: () => signed("[1,2,3]"), status: 400 },
  {
    name: "signed object without entry",
    request: () => signed('{"object":"page"}'),
    status: 400,
    says: /entry/,
  },
  {
    name: "signed entry smuggled through __proto__",
    request: () => signed(`{"object":"page","__proto__":{"entry":[]}}`),
    status: 400,
  },
  {
    name: "signed bytes that are not UTF-8",
    request: () => signed(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
    status: 400,
  },
  {
    name: "signed body 100 000 arrays deep",
    request: () => signed(`{"object":"page","entry":${"[".repeat(100_000)}${"]".repeat(100_000)}}`),
    status: 400,
    says: /not JSON/,
  },
  {
    name: "signed, but sent as text/plain",
    request: () => ({
      ...signed(FORGED_BODY),
      headers: [
        ["content-type", "text/plain"],
        [META_SIGNATURE_HEADER, signatureOf(FORGED_BODY)],
      ],
    }),
    status: 415,
  },
  {
    name: "signed Instagram object",
    request: () =>
      signed('{"object":"instagram","entry":[{"changes":[{"field":"leadgen","value":{"leadgen_id":1}}]}]}'),
    status: 200,
    says: /ignored/,
  },
  {
    name: "signed Page webhook without leadgen changes",
    request: () => signed(leadgenBody([[{ leadgenId: "7", field: "feed" }]])),
    status: 200,
    says: /ignored/,
  },
  { name: "PUT", request: () => ({ ...signed(FORGED_BODY), method: "PUT" }), status: 405 },
  { name: "signed body over 1 MiB", request: () => signed(FORGED_BODY + " ".repeat(MiB)), status: 413 },

  // ── signed leadgen changes whose ids are not ids: acknowledged, kept aside, nothing started ──
  {
    name: "leadgen_id that is a path",
    request: () => signed(rejectedChange('"../../me/accounts"')),
    status: 200,
    says: /rejected/,
  },
  {
    name: "leadgen_id of 25 digits",
    request: () => signed(rejectedChange("1234567890123456789012345")),
    status: 200,
  },
  { name: "negative leadgen_id", request: () => signed(rejectedChange("-12345678901234567")), status: 200 },
  {
    name: "leadgen_id with an exponent",
    request: () => signed(rejectedChange("1.2345678901234567e16")),
    status: 200,
  },
  { name: "leadgen_id as an object", request: () => signed(rejectedChange('{"$gt":""}')), status: 200 },

  // ── the accepted ones ──
  {
    name: "a signed leadgen delivery (the control case)",
    request: () => signed(leadsBody(ACCEPTED_LEAD)),
    status: 200,
    says: /accepted/,
  },
  {
    name: "a signed delivery, first time",
    request: () => signed(leadsBody(REPLAYED_LEAD)),
    status: 200,
    says: /accepted/,
  },
  {
    name: "the same delivery again (Meta retrying)",
    request: () => signed(leadsBody(REPLAYED_LEAD)),
    status: 200,
    says: /duplicate/,
  },
];

interface Answer {
  status: number;
  text: string;
}

async function send(wire: Wire): Promise<Answer> {
  if (wire.raw) return overNodeHttp(wire);
  const response = await fetch(`${runtime.url}${wire.path}`, {
    method: wire.method,
    headers: wire.headers,
    body: typeof wire.body === "string" || wire.body === undefined ? wire.body : new Uint8Array(wire.body),
  });
  return { status: response.status, text: await response.text() };
}

function overNodeHttp(wire: Wire): Promise<Answer> {
  const port = Number(new URL(runtime.url).port);
  return new Promise((resolve, reject) => {
    const headers = ["host", `127.0.0.1:${port}`, ...wire.headers.flat()];
    if (wire.body !== undefined) headers.push("content-length", String(Buffer.byteLength(wire.body)));
    const req = httpRequest(
      { host: "127.0.0.1", port, method: wire.method, path: wire.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(wire.body);
  });
}

/** What the answer says: its JSON `error`, `status` and `reason`, or its text. */
function saying(answer: Answer): string {
  try {
    const json = JSON.parse(answer.text) as Record<string, unknown>;
    if (typeof json === "object" && json !== null) {
      return [json.error, json.status, json.reason].filter((part) => typeof part === "string").join(" ");
    }
  } catch {
    // plain text (the handshake's challenge)
  }
  return answer.text;
}

async function storedKeys(prefix: string): Promise<string[]> {
  const response = await fetch(
    `${runtime.s3Endpoint}/${runtime.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`,
  );
  return [...(await response.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((match) => match[1] as string);
}

const answers: Answer[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ flows: "meta-leads", retryIntervalMs: 20 });
  appSecret = runtime.settings.META_APP_SECRET ?? "";
  verifyToken = runtime.settings.META_VERIFY_TOKEN ?? "";
  expect(appSecret.length).toBeGreaterThan(20);
  expect(verifyToken.length).toBeGreaterThan(20);
});

afterAll(async () => {
  await runtime?.stop();
});

describe("bad input to /webhook/meta", () => {
  it("has at least 20 hostile cases", () => {
    expect(cases.filter((c) => !/control case|first time|again/.test(c.name)).length).toBeGreaterThanOrEqual(
      20,
    );
  });

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const answer = await send(c.request());
      answers.push(answer);
      expect(answer.status, answer.text.slice(0, 200)).toBe(c.status);
      if (c.says) expect(saying(answer)).toMatch(c.says);
      if (c.status === 401) expect(JSON.parse(answer.text)).toEqual({ error: "unauthorized" });
      if (c.status === 403) expect(JSON.parse(answer.text)).toEqual({ error: "forbidden" });
    });
  }

  it("stored and started exactly what the accepted cases made, nothing of the forged lead", async () => {
    for (const id of [ACCEPTED_LEAD, REPLAYED_LEAD]) {
      expect((await runtime.engines["meta-leads"]?.settled(`meta-${id}`))?.status).toBe("SUCCEEDED");
    }
    const { executions } = await listExecutions({
      sfn: runtime.sfnClient,
      stateMachineArn: runtime.engines["meta-leads"]?.stateMachineArn ?? "",
    });
    expect(executions.map((execution) => execution.name).sort()).toEqual([
      `meta-${ACCEPTED_LEAD}`,
      `meta-${REPLAYED_LEAD}`,
    ]);
    const raw = await storedKeys("sources/meta/");
    const kept = raw.filter((key) => !key.startsWith("sources/meta/rejected/"));
    expect(kept).toHaveLength(2);
    // The five signed deliveries whose leadgen ids were not ids are kept aside, for a person to look at.
    expect(raw.filter((key) => key.startsWith("sources/meta/rejected/"))).toHaveLength(5);
    expect(await storedKeys(`flows/meta-leads/${FORGED_LEAD}`)).toEqual([]);
    for (const key of kept) expect(await runtime.store.get(key)).not.toContain(FORGED_LEAD);
  });

  it("never put a secret in an answer", () => {
    expect(answers.length).toBe(cases.length);
    for (const answer of answers) {
      expect(answer.text).not.toContain(appSecret);
      expect(answer.text).not.toContain(verifyToken);
    }
  });
});
