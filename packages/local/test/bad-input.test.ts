import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { rawEventKey, signCloseWebhook } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeRecord } from "../src/journal";
import type { Runtime } from "../src/runtime";
import { closeHeaders } from "../src/sample-request";
import {
  fixture,
  ownerServer,
  SECRET,
  type SlackMessage,
  slackRecorder,
  startTestRuntime,
  tempDir,
  withCapturedLogs,
} from "./harness";

/**
 * The bad-input corpus: hostile or broken deliveries to POST /webhook/close against one runtime.
 * Each case names the status it must get and the one lead it may store and start (or none).
 * After the table: the bucket, the executions and Slack hold exactly what the accepted cases made.
 */

const MiB = 1024 * 1024;
const WEBHOOK = "/webhook/close";
const OWNER = "Olga Owner";
const SAMPLE = JSON.parse(fixture("lead-created.json"));
/** The sample's "Harbor & Pine Logistics" as Slack must show it. */
const SAMPLE_NAME_SHOWN = "Harbor &amp; Pine Logistics";
/** A well-formed lead.created that no refused case may ever store or start. */
const FORGED_LEAD = "lead_MustNeverBeStored01";

// ── Building requests ──

let eventSerial = 0;

/** A lead.created from the sample; `data` and `event` patch it (undefined drops a field). */
function leadCreated(
  leadId: unknown,
  data: Record<string, unknown> = {},
  event: Record<string, unknown> = {},
) {
  return JSON.stringify({
    ...SAMPLE,
    event: {
      ...SAMPLE.event,
      id: `ev_BadInput${++eventSerial}`,
      lead_id: leadId,
      object_id: leadId,
      data: { ...SAMPLE.event.data, id: leadId, ...data },
      ...event,
    },
  });
}

const FORGED_BODY = leadCreated(FORGED_LEAD);
const leadUpdated = () => JSON.stringify(JSON.parse(fixture("lead-updated.json")));

/** Sent with fetch, or with node:http where fetch would change it (raw path, repeated headers, no content-type). */
interface HttpWire {
  via?: "fetch" | "node:http";
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body?: string | Uint8Array;
  /** node:http: stream the body without a Content-Length. */
  chunked?: boolean;
}
/** Bytes written to a socket as they are, for Content-Length lies. */
interface SocketWire {
  via: "socket";
  bytes: Buffer;
  hangUp?: boolean;
}
type Wire = HttpWire | SocketWire;

const signatureOf = (body: string | Uint8Array) => closeHeaders(SECRET, body)["close-sig-hash"] as string;
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

function signed(body: string | Uint8Array, at = Date.now(), secret = SECRET): HttpWire {
  return { method: "POST", path: WEBHOOK, headers: Object.entries(closeHeaders(secret, body, at)), body };
}

/** Signed correctly, then one header replaced, added again (`also`) or dropped (undefined). */
function signedWith(
  body: string | Uint8Array,
  name: string,
  value: string | undefined,
  also = false,
): HttpWire {
  const wire = signed(body);
  const kept = also ? wire.headers : wire.headers.filter(([key]) => key !== name);
  return { ...wire, headers: value === undefined ? kept : [...kept, [name, value]] };
}

/** A correct HMAC over a timestamp header of any shape. */
function signedAtTimestamp(timestamp: string, body = FORGED_BODY): HttpWire {
  const headers: Array<[string, string]> = [
    ["content-type", "application/json"],
    ["close-sig-timestamp", timestamp],
    ["close-sig-hash", signCloseWebhook(SECRET, timestamp, body)],
  ];
  return { method: "POST", path: WEBHOOK, headers, body };
}

function onSocket(headerLines: string[], body: Buffer, hangUp = false): SocketWire {
  const head = [`POST ${WEBHOOK} HTTP/1.1`, "host: 127.0.0.1", ...headerLines, "", ""].join("\r\n");
  return { via: "socket", bytes: Buffer.concat([Buffer.from(head), body]), hangUp };
}
const headerLines = (body: Buffer) =>
  Object.entries(closeHeaders(SECRET, body)).map(([key, value]) => `${key}: ${value}`);

const nested = (levels: number) => `{"event":${"[".repeat(levels)}${"]".repeat(levels)}}`;
const padTo = (body: string, bytes: number) => body + " ".repeat(bytes - Buffer.byteLength(body));
const SIX_MINUTES = 6 * 60 * 1000;

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

// ── The corpus ──

interface Case {
  name: string;
  request: () => Wire;
  status: number;
  /** The lead this request may store and start; false: nothing. */
  stored: false | string;
  /** Matched against the answer's `error` and `reason`. */
  why?: RegExp;
  /** How Slack must show the lead's name, escaped; null: no name ("—"); absent: the sample's name. */
  shows?: string | RegExp | null;
  /** The answer must come within this many milliseconds. */
  within?: number;
  /** Node's HTTP parser answers before any handler runs: a bare status, no JSON reason. */
  bare?: true;
}

const unauthentic = (name: string, request: () => Wire, reason?: string): Case => ({
  name,
  request,
  status: 401,
  stored: false,
  // The answer never says why (the log does): a prober learns nothing from it.
  why: reason ? new RegExp(`^(?![\\s\\S]*${reason})[\\s\\S]*unauthorized`) : /unauthorized/,
});
const refused = (
  status: number,
  name: string,
  request: () => Wire,
  why?: RegExp,
  more?: Partial<Case>,
): Case => ({
  name,
  request,
  status,
  stored: false,
  why,
  ...more,
});
const ignored = (name: string, request: () => Wire, why?: RegExp): Case => ({
  name,
  request,
  status: 202,
  stored: false,
  why,
});
const accepted = (name: string, leadId: string, request: () => Wire, shows?: Case["shows"]): Case => ({
  name,
  request,
  status: 202,
  stored: leadId,
  shows,
});

// The same captured delivery sent twice: Close retrying, or someone replaying inside the window.
const capturedDelivery = once(() => signed(leadCreated("lead_ReplayedInWindow01")));

const authenticity: Case[] = [
  unauthentic(
    "no close-sig-hash",
    () => signedWith(FORGED_BODY, "close-sig-hash", undefined),
    "missing-signature",
  ),
  unauthentic(
    "empty close-sig-hash",
    () => signedWith(FORGED_BODY, "close-sig-hash", ""),
    "missing-signature",
  ),
  unauthentic(
    "no close-sig-timestamp",
    () => signedWith(FORGED_BODY, "close-sig-timestamp", undefined),
    "missing-timestamp",
  ),
  unauthentic(
    "signature of another body",
    () => ({ ...signed(leadCreated("lead_Other01")), body: FORGED_BODY }),
    "bad-signature",
  ),
  unauthentic(
    "signed with another key",
    () => signed(FORGED_BODY, Date.now(), "00".repeat(32)),
    "bad-signature",
  ),
  unauthentic(
    "signature of the compact JSON, body sent pretty-printed (verified on the raw bytes, not re-serialised)",
    () => ({ ...signed(FORGED_BODY), body: JSON.stringify(JSON.parse(FORGED_BODY), null, 2) }),
    "bad-signature",
  ),
  unauthentic(
    "timestamp changed after signing",
    () => signedWith(FORGED_BODY, "close-sig-timestamp", String(Number(nowSeconds()) - 1)),
    "bad-signature",
  ),
  unauthentic(
    "replayed old signature (valid HMAC, 6 minutes old)",
    () => signed(FORGED_BODY, Date.now() - SIX_MINUTES),
    "stale-timestamp",
  ),
  unauthentic(
    "timestamp 6 minutes in the future (valid HMAC)",
    () => signed(FORGED_BODY, Date.now() + SIX_MINUTES),
    "stale-timestamp",
  ),
  unauthentic(
    "non-numeric timestamp (ISO date, valid HMAC)",
    () => signedAtTimestamp(new Date().toISOString()),
    "bad-timestamp",
  ),
  unauthentic(
    "timestamp in milliseconds (valid HMAC)",
    () => signedAtTimestamp(String(Date.now())),
    "bad-timestamp",
  ),
  unauthentic(
    "two close-sig-hash headers, both the valid signature (joined with a comma)",
    () => ({
      ...signedWith(FORGED_BODY, "close-sig-hash", signatureOf(FORGED_BODY), true),
      via: "node:http",
    }),
    "bad-signature",
  ),
  unauthentic(
    "two close-sig-timestamp headers (joined with a comma)",
    () => ({ ...signedWith(FORGED_BODY, "close-sig-timestamp", nowSeconds(), true), via: "node:http" }),
    "bad-timestamp",
  ),
  unauthentic(
    'signature with a "sha256=" prefix',
    () => signedWith(FORGED_BODY, "close-sig-hash", `sha256=${signatureOf(FORGED_BODY)}`),
    "bad-signature",
  ),
  unauthentic(
    "signature cut to its first 16 bytes",
    () => signedWith(FORGED_BODY, "close-sig-hash", signatureOf(FORGED_BODY).slice(0, 32)),
    "bad-signature",
  ),
  unauthentic(
    "unsigned truncated JSON (the signature is checked before the body is parsed)",
    () => ({
      method: "POST",
      path: WEBHOOK,
      headers: [["content-type", "application/json"]],
      body: FORGED_BODY.slice(0, 40),
    }),
    "missing-signature",
  ),
  unauthentic(
    "unsigned text/plain (the signature is checked before the content type)",
    () => ({ method: "POST", path: WEBHOOK, headers: [["content-type", "text/plain"]], body: FORGED_BODY }),
    "missing-signature",
  ),
  // Hex is case-insensitive: the uppercase form decodes to the same 32 MAC bytes, so the delivery is authentic.
  accepted("uppercase hex signature (the same MAC)", "lead_UpperHexSignature01", () => {
    const body = leadCreated("lead_UpperHexSignature01");
    return signedWith(body, "close-sig-hash", signatureOf(body).toUpperCase());
  }),
  ignored("signature 4 minutes old, inside the window (lead.updated)", () =>
    signed(leadUpdated(), Date.now() - 4 * 60 * 1000),
  ),
  accepted("a captured delivery, the first time", "lead_ReplayedInWindow01", capturedDelivery),
  {
    name: "the same captured delivery replayed inside the window → duplicate, nothing new",
    request: capturedDelivery,
    status: 200,
    stored: "lead_ReplayedInWindow01",
  },
];

const size: Case[] = [
  refused(
    413,
    "1 MiB + 1 byte, validly signed, with Content-Length",
    () => signed(padTo(leadUpdated(), MiB + 1)),
    /larger than 1048576/,
  ),
  refused(
    413,
    "1 MiB + 1 byte streamed without Content-Length (chunked)",
    () => ({ ...signed(padTo(FORGED_BODY, MiB + 1)), via: "node:http", chunked: true }),
    /larger than 1048576/,
  ),
  ignored(
    "exactly 1 MiB is within the limit (lead.updated)",
    () => signed(padTo(leadUpdated(), MiB)),
    /not lead\.created/,
  ),
  // The two bytes left over are a blank line, which the HTTP parser skips, so the answer is the handler's.
  unauthentic(
    "Content-Length 2 bytes short of the signed body (the signature covers bytes that were not read)",
    () => {
      const body = Buffer.from(`${FORGED_BODY}\r\n`);
      return onSocket(
        [...headerLines(body), `content-length: ${body.length - 2}`, "connection: close"],
        body,
      );
    },
    "bad-signature",
  ),
  refused(
    400,
    "Content-Length 100 bytes longer than the body, then the client hangs up",
    () => {
      const body = Buffer.from(FORGED_BODY);
      return onSocket([...headerLines(body), `content-length: ${body.length + 100}`], body, true);
    },
    undefined,
    { bare: true },
  ),
];

const methodsAndPaths: Case[] = [
  refused(405, "GET /webhook/close", () => ({ method: "GET", path: WEBHOOK, headers: [] })),
  refused(405, "PUT /webhook/close with a validly signed lead", () => ({
    ...signed(FORGED_BODY),
    method: "PUT",
  })),
  refused(405, "DELETE /webhook/close", () => ({ method: "DELETE", path: WEBHOOK, headers: [] })),
  refused(404, "POST /webhook/closed", () => ({ ...signed(FORGED_BODY), path: "/webhook/closed" })),
  refused(404, "POST /webhook/close/ (trailing slash)", () => ({
    ...signed(FORGED_BODY),
    path: "/webhook/close/",
  })),
  refused(404, "POST /WEBHOOK/CLOSE", () => ({ ...signed(FORGED_BODY), path: "/WEBHOOK/CLOSE" })),
  refused(404, "POST /webhook/close/../x (sent unnormalised)", () => ({
    ...signed(FORGED_BODY),
    via: "node:http",
    path: "/webhook/close/../x",
  })),
  refused(404, "POST to a 2,000-character path (the reason stays short)", () => ({
    ...signed(FORGED_BODY),
    path: `/webhook/${"x".repeat(2000)}`,
  })),
];

const contentTypes: Case[] = [
  refused(415, "content-type text/plain", () => signedWith(FORGED_BODY, "content-type", "text/plain")),
  refused(415, "content-type application/x-www-form-urlencoded", () =>
    signedWith(FORGED_BODY, "content-type", "application/x-www-form-urlencoded"),
  ),
  refused(415, "content-type text/json", () => signedWith(FORGED_BODY, "content-type", "text/json")),
  accepted("content-type application/json; charset=utf-8", "lead_JsonCharset01", () =>
    signedWith(leadCreated("lead_JsonCharset01"), "content-type", "application/json; charset=utf-8"),
  ),
  accepted("no content-type at all", "lead_NoContentType01", () => ({
    ...signedWith(leadCreated("lead_NoContentType01"), "content-type", undefined),
    via: "node:http",
  })),
];

const notJson = /not valid JSON/;
const notObject = /must be a JSON object/;
const bodies: Case[] = [
  refused(400, "truncated JSON", () => signed(FORGED_BODY.slice(0, FORGED_BODY.length / 2)), notJson),
  refused(400, "empty body", () => signed(""), notJson),
  refused(400, "JSON null", () => signed("null"), notObject),
  refused(400, "JSON array", () => signed(`[${FORGED_BODY}]`), notObject),
  refused(400, "JSON number", () => signed("42"), notObject),
  refused(400, "JSON string", () => signed(JSON.stringify(FORGED_BODY)), notObject),
  refused(
    400,
    "invalid UTF-8 bytes between tokens",
    () => signed(Buffer.from([...Buffer.from('{"event":'), 0xff, 0xfe, 0x7d])),
    notJson,
  ),
  refused(400, "10,000 levels of nesting, quickly", () => signed(nested(10_000)), /nested too deeply/, {
    within: 1000,
  }),
  refused(
    400,
    "500,000 levels of nesting (just under 1 MiB), quickly",
    () => signed(nested(500_000)),
    /nested too deeply/,
    {
      within: 3000,
    },
  ),
  refused(400, "the event hidden under __proto__", () => signed(`{"__proto__":${FORGED_BODY}}`), /^event:/),
  refused(400, "event is null", () => signed('{"event":null}'), /^event:/),
  refused(
    400,
    "event.id missing",
    () => signed(leadCreated(FORGED_LEAD, {}, { id: undefined })),
    /^event\.id:/,
  ),
  refused(
    400,
    "event.data is a string",
    () => signed(leadCreated(FORGED_LEAD, {}, { data: FORGED_LEAD })),
    /^event\.data:/,
  ),
  refused(
    400,
    "display_name is a number",
    () => signed(leadCreated(FORGED_LEAD, { display_name: 42 })),
    /^event\.data\.display_name:/,
  ),
  refused(
    400,
    "contacts is an object instead of a list",
    () => signed(leadCreated(FORGED_LEAD, { contacts: { emails: "a@example.com" } })),
    /^event\.data\.contacts:/,
  ),
];

// Lead ids become S3 keys and execution names: ^lead_[A-Za-z0-9]+$ and at most 64 characters, or 400.
const badLeadIds: Array<[what: string, leadId: string]> = [
  ["../ traversal", "lead_../../crm_event_x"],
  ["..%2F traversal", "lead_..%2F..%2Fx"],
  ["a slash", "lead_abc/def"],
  ["a backslash", "lead_abc\\def"],
  ["200 characters", `lead_${"a".repeat(195)}`],
  ["65 characters", `lead_${"a".repeat(60)}`],
  ["a trailing newline", "lead_abc\n"],
  ["control characters", "lead_abc\u0007\u001bdef"],
  ["a NUL", "lead_abc\u0000def"],
  ["a space", "lead_abc def"],
  ["a Cyrillic lookalike", "lead_\u0430bc"],
  ["fullwidth letters", "lead_\uff41\uff42\uff43"],
  ["a zero-width space", "lead_abc\u200bdef"],
  ["an uppercase prefix", "LEAD_abc"],
  ["a dash for the underscore", "lead-abc"],
  ["an empty string", ""],
];
const LONGEST_LEAD_ID = `lead_${"Q".repeat(59)}`;
const leadIds: Case[] = [
  ...badLeadIds.map(([what, leadId]) =>
    refused(400, `lead_id with ${what}`, () => signed(leadCreated(leadId)), /lead id must match/),
  ),
  refused(
    400,
    "lead_id is a number (refused, not skipped for data.id)",
    () => signed(leadCreated(FORGED_LEAD, {}, { lead_id: 12345 })),
    /^event\.lead_id:/,
  ),
  refused(
    400,
    "lead id missing everywhere (event.lead_id, data.id and object_id absent)",
    () => signed(leadCreated(undefined)),
    /no lead id/,
  ),
  refused(
    400,
    "hostile event.lead_id beside a valid data.id (no falling back past a present id)",
    () => signed(leadCreated("../lead_x", { id: "lead_ValidDataId01" }, { object_id: "lead_ValidDataId01" })),
    /lead id must match/,
  ),
  accepted("lead_id of exactly 64 characters", LONGEST_LEAD_ID, () => signed(leadCreated(LONGEST_LEAD_ID))),
  accepted(
    "valid event.lead_id, hostile data.id and object_id (stored under event.lead_id)",
    "lead_EventLeadId01",
    () => signed(leadCreated("lead_EventLeadId01", { id: "../../etc/passwd" }, { object_id: "lead_../x" })),
  ),
  accepted("lead id only in object_id (lead_id and data.id null)", "lead_ObjectIdOnly01", () =>
    signed(leadCreated(null, { id: null }, { object_id: "lead_ObjectIdOnly01" })),
  ),
];

const nulls: Case[] = [
  accepted(
    "every field of event.data null, and the envelope's optional fields",
    "lead_NullsEverywhere01",
    () => {
      const data = Object.fromEntries(Object.keys(SAMPLE.event.data).map((key) => [key, null]));
      const event = { date_created: null, date_updated: null, changed_fields: null, meta: null };
      return signed(leadCreated("lead_NullsEverywhere01", { ...data, contacts: null }, event));
    },
    null,
  ),
  accepted(
    "event.data itself null",
    "lead_DataNull01",
    () => signed(leadCreated("lead_DataNull01", {}, { data: null })),
    null,
  ),
];

// Accepted, and shown escaped: never a link, mention or broadcast of their own.
const hostileNames: Array<[what: string, leadId: string, name: string, shown: string]> = [
  ["<script>", "lead_NameScript01", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
  ["<!channel>", "lead_NameChannel01", "<!channel> urgent", "&lt;!channel&gt; urgent"],
  [
    "<@user> and <#channel>",
    "lead_NameMention01",
    "<@U024BE7LH> <#C024BE7LR>",
    "&lt;@U024BE7LH&gt; &lt;#C024BE7LR&gt;",
  ],
  ["a Slack link", "lead_NameLink01", "<https://evil.example|click>", "&lt;https://evil.example|click&gt;"],
  // Slack has no escape for formatting markers; they can only style the name itself.
  ["mrkdwn markers", "lead_NameMrkdwn01", "*bold* _it_ ~s~ `code`", "*bold* _it_ ~s~ `code`"],
  ["an ampersand entity", "lead_NameEntity01", "Tom &amp; Jerry &lt;", "Tom &amp;amp; Jerry &amp;lt;"],
  // Bidi overrides could reverse what a rep reads ("Invoice exe.png"): stripped.
  ["an RTL override", "lead_NameRtl01", "Invoice \u202Egnp.exe", "Invoice gnp.exe"],
  // A line break could fake another field ("*Owner* …") inside the message: folded to a space.
  ["a line break faking a field", "lead_NameNewline01", "Acme\n*Owner*\nMallory", "Acme *Owner* Mallory"],
  ["Arabic", "lead_NameArabic01", "شركة الأفق للتجارة", "شركة الأفق للتجارة"],
  ["Hebrew", "lead_NameHebrew01", "חברת אופק בע״מ", "חברת אופק בע״מ"],
  ["emoji", "lead_NameEmoji01", "Rocket 🚀 Labs 👩🏽‍💻", "Rocket 🚀 Labs 👩🏽‍💻"],
  [
    "terminal escapes and a bell (stripped)",
    "lead_NameControl01",
    "Acme\u0007\u001b[31m Red",
    "Acme[31m Red",
  ],
  // Shown as its first 300 characters and an ellipsis, then escaped.
  [
    "10,000 characters",
    "lead_NameHuge01",
    "<b>".repeat(3334).slice(0, 10_000),
    `${"&lt;b&gt;".repeat(100)}…`,
  ],
];
const names: Case[] = [
  ...hostileNames.map(([what, leadId, name, shown]) =>
    accepted(
      `display_name with ${what}`,
      leadId,
      () => signed(leadCreated(leadId, { display_name: name })),
      shown,
    ),
  ),
  // Slack refuses a section field over 2,000 characters (invalid_blocks) and the execution fails as SlackRejected.
  accepted(
    "display_name of 1,000 ampersands (the Lead field must stay within Slack's 2,000 characters)",
    "lead_NameAmpersands01",
    () => signed(leadCreated("lead_NameAmpersands01", { display_name: "&".repeat(1000) })),
    /^(?:&amp;){300}…$/,
  ),
  accepted(
    "display_name of one letter and 5,000 emoji (cut on a character boundary)",
    "lead_NameEmojiHuge01",
    () => signed(leadCreated("lead_NameEmojiHuge01", { display_name: `a${"😀".repeat(5000)}` })),
    /^a(?:😀){299}…$/u,
  ),
  // Only Close can sign a body, so its bytes are kept as sent; the name decodes with U+FFFD.
  accepted(
    "display_name with invalid UTF-8 bytes",
    "lead_NameBadUtf8x01",
    () => {
      const [before = "", after = ""] = leadCreated("lead_NameBadUtf8x01", {
        display_name: "Bad NAME",
      }).split("NAME");
      return signed(
        Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from(after)]),
      );
    },
    "Bad \uFFFD\uFFFD(",
  ),
  accepted(
    "display_name written with JSON escapes (\\u003c)",
    "lead_NameJsonEscape01",
    () =>
      signed(
        leadCreated("lead_NameJsonEscape01", { display_name: "<img src=x>" }).replace(
          "<img src=x>",
          "\\u003cimg src=x\\u003e",
        ),
      ),
    "&lt;img src=x&gt;",
  ),
  accepted("body pretty-printed and signed as sent (stored byte for byte)", "lead_PrettyPrinted01", () =>
    signed(JSON.stringify(JSON.parse(leadCreated("lead_PrettyPrinted01")), null, 2)),
  ),
];

const otherEvents: Case[] = [
  ignored("lead.updated", () => signed(leadUpdated()), /lead\.updated is not lead\.created/),
  ignored(
    "note.created",
    () => signed(fixture("note-created.json")),
    /activity\.note\.created is not lead\.created/,
  ),
  ignored("lead.updated with a hostile lead_id (ignored before the id matters)", () => {
    const update = JSON.parse(leadUpdated());
    update.event.lead_id = "../../x";
    return signed(JSON.stringify(update));
  }),
];

const cases: Case[] = [
  ...authenticity,
  ...size,
  ...methodsAndPaths,
  ...contentTypes,
  ...bodies,
  ...leadIds,
  ...nulls,
  ...names,
  ...otherEvents,
];
const ACCEPTED_LEADS = [...new Set(cases.flatMap((c) => (c.stored ? [c.stored] : [])))];

// ── Sending ──

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(baseUrl: string, wire: Wire): Promise<Answer> {
  const port = Number(new URL(baseUrl).port);
  if (wire.via === "socket") return overSocket(port, wire);
  if (wire.via === "node:http") return overNodeHttp(port, wire);
  const response = await fetch(`${baseUrl}${wire.path}`, {
    method: wire.method,
    headers: wire.headers,
    body: typeof wire.body === "string" || wire.body === undefined ? wire.body : new Uint8Array(wire.body),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

function overNodeHttp(port: number, wire: HttpWire): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Headers as an array go out exactly as listed, repeated names included (and without an automatic Host).
    const headers = ["host", `127.0.0.1:${port}`, ...wire.headers.flat()];
    if (wire.body !== undefined && !wire.chunked)
      headers.push("content-length", String(Buffer.byteLength(wire.body)));
    const options = { host: "127.0.0.1", port, method: wire.method, path: wire.path, headers, agent: false };
    const req = httpRequest(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", text });
      });
    });
    // The server may answer 413 and close while the rest of a large body is still going out.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    req.end(wire.body);
  });
}

function overSocket(port: number, wire: SocketWire): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      // The first response only; the server closes the connection after it.
      const received = Buffer.concat(chunks).toString("utf8");
      const [head = "", ...rest] = received.split("\r\n\r\n");
      const body = rest.join("\r\n\r\n");
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /^content-type: *(.+)$/im.exec(head)?.[1]?.trim() ?? "",
        text: /^transfer-encoding: *chunked/im.test(head) ? unchunk(body) : body,
      });
    });
    socket.write(wire.bytes);
    if (wire.hangUp) socket.end();
  });
}

function unchunk(body: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = Number.parseInt(body.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += body.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

// ── The tests ──

describe("bad input on POST /webhook/close", () => {
  let slack: Awaited<ReturnType<typeof slackRecorder>>;
  let owners: Awaited<ReturnType<typeof ownerServer>>;
  let runtime: Runtime;
  const dataDir = tempDir();
  const printed: string[] = [];
  const logged: string[] = [];
  const answered: string[] = [];
  const sentBodies = new Map<string, Buffer>();

  async function rawKeys() {
    const { Contents = [] } = await runtime.s3Client.send(
      new ListObjectsV2Command({ Bucket: runtime.bucket, Prefix: "crm_event_" }),
    );
    return new Set(Contents.map((object) => object.Key ?? ""));
  }
  async function executionNames() {
    const { executions = [] } = await runtime.sfnClient.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn, maxResults: 1000 }),
    );
    return new Set(executions.map((execution) => execution.name ?? ""));
  }

  beforeAll(async () => {
    slack = await slackRecorder();
    owners = await ownerServer();
    for (const leadId of ACCEPTED_LEADS) {
      owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: OWNER, funnel: "Inbound" }));
    }
    runtime = await withCapturedLogs(logged, () =>
      startTestRuntime({
        slackWebhookUrl: slack.url,
        ownerBaseUrl: owners.url,
        dataDir,
        print: (line) => printed.push(line),
      }),
    );
  });
  afterAll(async () => {
    await runtime?.stop();
    vi.restoreAllMocks();
    await slack?.close();
    await owners?.close();
  });

  it(`holds ${cases.length} cases, each named once`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)("$status ← $name", async ({ request, status, stored, why, within, bare }) => {
    const wire = request();
    const [keysBefore, executionsBefore] = [await rawKeys(), await executionNames()];

    const started = Date.now();
    const answer = await send(runtime.url, wire);
    const elapsed = Date.now() - started;
    answered.push(answer.text);

    expect(answer.status, answer.text.slice(0, 200)).toBe(status);
    if (within !== undefined) expect(elapsed).toBeLessThan(within);
    const json = jsonOf(answer.text);
    if (status >= 400 && !bare) {
      expect(answer.contentType).toMatch(/^application\/json/);
      const error = typeof json?.error === "string" ? json.error : "";
      expect(error, "a reason in `error`").not.toBe("");
      expect(error.length, `a short reason: ${error.slice(0, 60)}…`).toBeLessThan(300);
    }
    if (why) expect(`${json?.error ?? ""} ${json?.reason ?? ""}`).toMatch(why);
    if (status === 202)
      expect(json).toMatchObject(stored ? { status: "accepted", leadId: stored } : { status: "ignored" });
    if (status === 200) expect(json).toMatchObject({ status: "duplicate", leadId: stored });

    // Nothing stored or started but this case's own lead.
    const newKeys = [...(await rawKeys())].filter((key) => !keysBefore.has(key));
    const newExecutions = [...(await executionNames())].filter((name) => !executionsBefore.has(name));
    expect(newKeys).toEqual(status === 202 && stored ? [rawEventKey(stored)] : []);
    expect(newExecutions).toEqual(status === 202 && stored ? [stored] : []);
    if (status === 202 && stored && wire.via !== "socket" && wire.body !== undefined)
      sentBodies.set(stored, Buffer.from(wire.body));

    // Whatever came in, the runtime is still up.
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
  });

  it("ran exactly one execution per accepted lead, each to SUCCEEDED", async () => {
    for (const leadId of ACCEPTED_LEADS)
      expect((await runtime.engine.settled(leadId))?.status, leadId).toBe("SUCCEEDED");
    expect([...(await executionNames())].sort()).toEqual([...ACCEPTED_LEADS].sort());
  });

  it("stored only the accepted leads' objects, inside the bucket layout, the raw bytes as sent", async () => {
    const { Contents = [], IsTruncated } = await runtime.s3Client.send(
      new ListObjectsV2Command({ Bucket: runtime.bucket }),
    );
    expect(IsTruncated).toBeFalsy();
    const keys = Contents.map((object) => object.Key ?? "");
    const announce =
      /^(crm_event_lead_[A-Za-z0-9]+\.json|enriched\/crm_event_lead_[A-Za-z0-9]+\.json|notified\/lead_[A-Za-z0-9]+(\.unassigned)?\.json)$/;
    // Triage's action markers (the same leads run it too) and the failure alerts' markers.
    const others =
      /^(flows\/triage\/lead_[A-Za-z0-9]+\/(sms|slack|email|ticket|crm)\.json|alerts\/[0-9a-f]{64}(\.redrive-\d+)?(\.email)?\.json)$/;
    for (const key of keys) expect(key).toMatch(new RegExp(`${announce.source}|${others.source}`));
    for (const key of keys.filter((key) => /^flows\/triage\//.test(key))) {
      expect(
        ACCEPTED_LEADS.some((leadId) => key.includes(`/${leadId}/`)),
        key,
      ).toBe(true);
    }
    const expected = ACCEPTED_LEADS.flatMap((leadId) => [
      `crm_event_${leadId}.json`,
      `enriched/crm_event_${leadId}.json`,
      `notified/${leadId}.json`,
    ]);
    expect(keys.filter((key) => announce.test(key)).sort()).toEqual(expected.sort());

    for (const [leadId, body] of sentBodies) {
      const raw = await runtime.s3Client.send(
        new GetObjectCommand({ Bucket: runtime.bucket, Key: rawEventKey(leadId) }),
      );
      expect(Buffer.from((await raw.Body?.transformToByteArray()) ?? []).equals(body), leadId).toBe(true);
    }

    // On disk as well: every object record the journal holds is under the bucket, none elsewhere.
    const journalDir = join(dataDir, "journal");
    const objectKeys: string[] = [];
    for (const segment of readdirSync(journalDir).filter((name) => name.endsWith(".log"))) {
      const bytes = readFileSync(join(journalDir, segment));
      for (let at = 0, record = decodeRecord(bytes, 0); record; record = decodeRecord(bytes, at)) {
        if (record.key.startsWith("o/")) objectKeys.push(record.key);
        at += record.length;
      }
    }
    expect(objectKeys.length).toBeGreaterThanOrEqual(keys.length);
    for (const key of objectKeys) expect(key.startsWith(`o/${runtime.bucket}/`), key).toBe(true);
    expect(readdirSync(dataDir)).not.toContain("s3");
  });

  it.each(cases.filter((c) => c.status === 202 && c.stored))(
    "Slack shows $stored escaped, linking only to Close",
    ({ stored, shows }) => {
      const leadId = stored as string;
      const expected = shows === undefined ? SAMPLE_NAME_SHOWN : shows;
      const mine = slack.messages.filter((message) => message.text.includes(`(${leadId})`));
      expect(mine).toHaveLength(1);
      const message = mine[0] as SlackMessage;
      const fields = message.blocks.flatMap((block) => block.fields ?? []).map((field) => field.text);

      const text = /^New lead (.*) \((lead_\w+)\), owner (.*)$/su.exec(message.text);
      expect(text?.slice(2)).toEqual([leadId, OWNER]);
      if (expected === null) {
        expect(text?.[1]).toBe("—");
        expect(fields.slice(0, 5)).toEqual([
          "*Lead*\n—",
          `*Lead ID*\n${leadId}`,
          "*Created*\n—",
          "*Status*\n—",
          "*Email*\n—",
        ]);
      } else {
        const link = /^\*Lead\*\n<https:\/\/app\.close\.com\/lead\/(lead_\w+)\/\|(.*)>$/su.exec(
          fields[0] ?? "",
        );
        expect(link?.[1]).toBe(leadId);
        expect(link?.[2]).toBe(text?.[1]);
        if (typeof expected === "string") expect(text?.[1]).toBe(expected);
        else expect(text?.[1]).toMatch(expected);
      }
      // The only raw angle brackets anywhere are those of the Close link.
      const everything = `${message.text}${JSON.stringify(message.blocks)}`;
      expect(everything.match(/[<>]/g) ?? []).toEqual(expected === null ? [] : ["<", ">"]);
      // What Slack accepts: no half characters, section fields of at most 2,000 characters.
      expect(everything).not.toMatch(/\p{Surrogate}/u);
      for (const field of fields) expect(field.length, field.slice(0, 40)).toBeLessThanOrEqual(2000);
    },
  );

  it("sent one Slack message per accepted lead, no more", () => {
    expect(slack.messages).toHaveLength(ACCEPTED_LEADS.length);
  });

  it("never printed, logged or answered the secret", () => {
    expect(logged.some((line) => line.includes("webhook refused"))).toBe(true); // the capture works
    const secretAsText = Buffer.from(SECRET, "hex").toString("latin1");
    for (const output of [
      printed.join("\n"),
      logged.join(""),
      answered.join("\n"),
      JSON.stringify(slack.messages),
    ]) {
      expect(output.toLowerCase()).not.toContain(SECRET.toLowerCase());
      expect(output).not.toContain(secretAsText);
    }
  });
});
