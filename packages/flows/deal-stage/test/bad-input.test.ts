import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Runtime } from "../../../local/src/runtime";
import { startTestRuntime, withCapturedLogs } from "../../../local/test/harness";
import { dealBody } from "./fixtures";
import { engineOf, FLOW, historyOf, sfnApi, statesEntered } from "./local-runtime";

/**
 * The bad-input corpus of POST /webhook/crm, against one running runtime: each case names the
 * status it must get and what it may leave behind (nothing, a rejected delivery, or one deal and
 * its execution). After the table: no secret in any answer or log line.
 */

const WEBHOOK = "/webhook/crm";
const KB = 1024;

interface Wire {
  method?: string;
  path?: string;
  headers: Array<[string, string]>;
  body?: string | Buffer;
  /** node:http sends repeated headers as they are (fetch would merge them first). */
  raw?: boolean;
}

type Leaves =
  | "nothing"
  | "rejected"
  | { execution: string; branch: "ReportLead" | "CommittedActions" | "NoAction" };

interface Case {
  name: string;
  wire: (key: string) => Wire;
  status: number;
  leaves: Leaves;
  /** Matched against the answer's `error` or `reason`. */
  why?: RegExp;
}

// biome-ignore lint/suspicious/noExplicitAny: hostile shapes are the point here
const deal = (dealId: string, change: (data: Record<string, any>) => void = () => {}) =>
  dealBody("deal-committed", (data) => {
    data.dealId = dealId;
    change(data);
  });
const FORGED = deal("BI-Forged");

/** `null` leaves a header out. */
const headers = (key: string | null, event: string | null = "deal_updated"): Array<[string, string]> => [
  ["content-type", "application/json"],
  ...(key === null ? [] : ([["x-api-key", key]] as Array<[string, string]>)),
  ...(event === null ? [] : ([["x-event", event]] as Array<[string, string]>)),
];
const signed =
  (body: string | Buffer, event?: string) =>
  (key: string): Wire => ({
    headers: headers(key, event),
    body,
  });

const unauthorized = (name: string, wire: (key: string) => Wire): Case => ({
  name,
  wire,
  status: 401,
  leaves: "nothing",
  why: /^unauthorized$/,
});
const rejected = (name: string, body: string | Buffer, why: RegExp): Case => ({
  name,
  wire: signed(body),
  status: 202,
  leaves: "rejected",
  why,
});

const cases: Case[] = [
  // ── who is calling ──
  unauthorized("no x-api-key", () => ({ headers: headers(null), body: FORGED })),
  unauthorized("an empty x-api-key", () => ({ headers: headers(""), body: FORGED })),
  unauthorized("a wrong x-api-key of the same length", (key) => ({
    headers: headers(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`),
    body: FORGED,
  })),
  unauthorized("the key upper-cased", (key) => ({
    headers: headers(key.toUpperCase() === key ? key.toLowerCase() : key.toUpperCase()),
    body: FORGED,
  })),
  unauthorized("the key's first half", (key) => ({
    headers: headers(key.slice(0, key.length / 2)),
    body: FORGED,
  })),
  unauthorized("the key with more after it", (key) => ({ headers: headers(`${key}x`), body: FORGED })),
  unauthorized("the key sent twice (joined with a comma)", (key) => ({
    headers: [...headers(key), ["x-api-key", key]],
    body: FORGED,
    raw: true,
  })),
  unauthorized("the key in the query string", (key) => ({
    path: `${WEBHOOK}?x-api-key=${encodeURIComponent(key)}`,
    headers: headers(null),
    body: FORGED,
  })),
  unauthorized("the key as a Bearer token", (key) => ({
    headers: [...headers(null), ["authorization", `Bearer ${key}`]],
    body: FORGED,
  })),
  unauthorized("no key and a body that is not JSON (the key is checked first)", () => ({
    headers: headers(null),
    body: "{not json",
  })),
  unauthorized("no key and no x-event (the key is checked first)", () => ({
    headers: headers(null, null),
    body: FORGED,
  })),
  // ── which event ──
  {
    name: "no x-event",
    wire: (key) => ({ headers: headers(key, null), body: FORGED }),
    status: 400,
    leaves: "nothing",
    why: /x-event header is required/,
  },
  {
    name: "an empty x-event",
    wire: signed(FORGED, " "),
    status: 400,
    leaves: "nothing",
    why: /x-event header is required/,
  },
  {
    name: "x-event deal_deleted",
    wire: signed(FORGED, "deal_deleted"),
    status: 202,
    leaves: "nothing",
    why: /^x-event is not deal_created or deal_updated$/,
  },
  { name: "x-event in capitals", wire: signed(FORGED, "DEAL_UPDATED"), status: 202, leaves: "nothing" },
  {
    name: "x-event of 4,000 characters of markup (never echoed)",
    wire: signed(FORGED, `<script>${"x".repeat(4000)}`),
    status: 202,
    leaves: "nothing",
    why: /^x-event is not deal_created or deal_updated$/,
  },
  // ── what the body is ──
  { name: "an empty body", wire: signed(""), status: 400, leaves: "nothing", why: /not valid JSON/ },
  {
    name: "truncated JSON",
    wire: signed(FORGED.slice(0, 60)),
    status: 400,
    leaves: "nothing",
    why: /not valid JSON/,
  },
  {
    name: "a form-encoded body",
    wire: signed("dealId=BI-1&status=Committed"),
    status: 400,
    leaves: "nothing",
    why: /not valid JSON/,
  },
  {
    name: "bytes that are not UTF-8",
    wire: signed(Buffer.from([0xff, 0xfe, 0x00, 0x7b])),
    status: 400,
    leaves: "nothing",
    why: /not valid JSON/,
  },
  {
    name: "a body over 256 KiB",
    wire: signed(deal("BI-Huge", (d) => (d.padding = "x".repeat(257 * KB)))),
    status: 413,
    leaves: "nothing",
  },
  {
    name: "GET instead of POST",
    wire: (key) => ({ method: "GET", headers: headers(key) }),
    status: 405,
    leaves: "nothing",
  },
  // ── JSON that is not a usable deal: acknowledged and kept ──
  rejected("a JSON array", "[]", /body must be a JSON object/),
  rejected("JSON null", "null", /body must be a JSON object/),
  rejected("a JSON string", '"Committed"', /body must be a JSON object/),
  rejected("a deal id climbing out of its folder", deal("../../flows/deal-stage/x"), /^data\.dealId/),
  rejected("a deal id of 10,000 characters", deal("D".repeat(10_000)), /^data\.dealId/),
  rejected(
    "a deal id as an object",
    deal("x", (d) => (d.dealId = { $gt: "" })),
    /^data\.dealId/,
  ),
  rejected(
    "no status",
    deal("BI-NoStatus", (d) => delete d.dealDetails.status),
    /^data\.dealDetails\.status/,
  ),
  rejected(
    "a committed deal without the buyer's email",
    deal("BI-NoEmail", (d) => delete d.customer.email),
    /needs data\.customer\.email/,
  ),
  rejected(
    "an email carrying a Bcc header",
    deal("BI-Bcc", (d) => (d.customer.email = "a@b.example\r\nBcc: all@corp.example")),
    /must be an email/,
  ),
  rejected(
    "a value of 1e308",
    deal("BI-Value", (d) => (d.dealDetails.dealValue = 1e308)),
    /dealValue/,
  ),
  rejected(
    "a currency that is not ISO 4217",
    deal("BI-Cur", (d) => (d.dealDetails.currency = "BTC")),
    /ISO 4217/,
  ),
  rejected(
    "JSON nested 20,000 levels deep",
    `{"data":${"[".repeat(20_000)}${"]".repeat(20_000)}}`,
    /nested too deeply/,
  ),
  rejected(
    "a deep structure hidden in an unknown field",
    deal("BI-Deep", (d) => (d.extra = JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`))),
    /nested too deeply/,
  ),
  // ── accepted, and the hostile part can only pick a fixed branch ──
  {
    name: "a status with a Cyrillic 'о' (looks like Committed: no action)",
    wire: signed(deal("BI-Lookalike", (d) => (d.dealDetails.status = "Cоmmitted"))),
    status: 202,
    leaves: { execution: "deal-BI-Lookalike-c_mmitted", branch: "NoAction" },
  },
  {
    name: "a status with a NUL after Committed (no action)",
    wire: signed(deal("BI-Nul", (d) => (d.dealDetails.status = "Committed\u0000"))),
    status: 202,
    leaves: { execution: "deal-BI-Nul-committed_", branch: "NoAction" },
  },
  {
    name: "a __proto__ key beside a good deal (accepted; nothing polluted)",
    wire: signed(`{"__proto__":{"polluted":true},${deal("BI-Proto").slice(1)}`),
    status: 202,
    leaves: { execution: "deal-BI-Proto-committed", branch: "CommittedActions" },
  },
  {
    name: "a Qualified deal in capitals with markup in the name",
    wire: signed(
      dealBody("deal-qualified", (d) => {
        d.dealId = "BI-Markup";
        d.dealDetails.status = "QUALIFIED";
        d.customer.firstName = "<img src=x onerror=alert(1)>";
      }),
    ),
    status: 202,
    leaves: { execution: "deal-BI-Markup-qualified", branch: "ReportLead" },
  },
];

// ── Sending ──

async function send(runtime: Runtime, wire: Wire) {
  const url = new URL(wire.path ?? WEBHOOK, runtime.url);
  if (!wire.raw) {
    const response = await fetch(url, {
      method: wire.method ?? "POST",
      headers: wire.headers,
      body: typeof wire.body === "string" || wire.body === undefined ? wire.body : new Uint8Array(wire.body),
    });
    return { status: response.status, text: await response.text() };
  }
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const list = ["host", url.host, ...wire.headers.flat()];
    if (wire.body !== undefined) list.push("content-length", String(Buffer.byteLength(wire.body)));
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: wire.method ?? "POST",
        path: url.pathname,
        headers: list,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(wire.body);
  });
}

async function objectKeys(runtime: Runtime, prefix: string): Promise<string[]> {
  const response = await fetch(
    `${runtime.s3Endpoint}/${runtime.bucket}?list-type=2&max-keys=1000&prefix=${encodeURIComponent(prefix)}`,
  );
  const xml = await response.text();
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1] ?? "");
}

async function executionNames(runtime: Runtime): Promise<string[]> {
  const out = await sfnApi(runtime, "ListExecutions", {
    stateMachineArn: engineOf(runtime).stateMachineArn,
    maxResults: 1000,
  });
  return ((out.executions ?? []) as Array<{ name: string }>).map((execution) => execution.name);
}

const jsonOf = (text: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
};

describe("bad input on POST /webhook/crm", () => {
  let runtime: Runtime;
  let key: string;
  const logged: string[] = [];
  const answered: string[] = [];

  beforeAll(async () => {
    runtime = await withCapturedLogs(logged, () => startTestRuntime({ flows: FLOW, retryIntervalMs: 20 }));
    key = runtime.settings.CRM_WEBHOOK_API_KEY ?? "";
  });
  afterAll(async () => {
    await runtime?.stop();
    vi.restoreAllMocks();
  });

  it(`holds ${cases.length} hostile requests, each named once`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(key.length).toBeGreaterThanOrEqual(16);
  });

  it.each(cases)("$status ← $name", async ({ wire, status, leaves, why }) => {
    const [dealsBefore, rejectedBefore, executionsBefore] = [
      await objectKeys(runtime, "sources/crm/deals/"),
      await objectKeys(runtime, "sources/crm/rejected/"),
      await executionNames(runtime),
    ];

    const answer = await send(runtime, wire(key));
    answered.push(answer.text);

    expect(answer.status, answer.text.slice(0, 200)).toBe(status);
    const json = jsonOf(answer.text);
    if (why) expect(`${json?.error ?? json?.reason ?? ""}`).toMatch(why);
    const newDeals = (await objectKeys(runtime, "sources/crm/deals/")).filter(
      (k) => !dealsBefore.includes(k),
    );
    const newRejected = (await objectKeys(runtime, "sources/crm/rejected/")).filter(
      (k) => !rejectedBefore.includes(k),
    );
    const newExecutions = (await executionNames(runtime)).filter((name) => !executionsBefore.includes(name));

    if (leaves === "nothing") {
      expect([newDeals, newRejected, newExecutions]).toEqual([[], [], []]);
    } else if (leaves === "rejected") {
      expect(json).toMatchObject({ status: "rejected" });
      expect(newDeals).toEqual([]);
      expect(newExecutions).toEqual([]);
      expect(newRejected).toHaveLength(1);
      expect(newRejected[0]).toMatch(/^sources\/crm\/rejected\/\d{8}T\d{6}Z-[0-9a-f]{16}\.json$/);
    } else {
      expect(json).toMatchObject({ status: "accepted" });
      expect(newExecutions).toEqual([leaves.execution]);
      expect(newDeals).toEqual([`sources/crm/deals/${leaves.execution}.json`]);
      await engineOf(runtime).settled(leaves.execution);
      expect(statesEntered(await historyOf(runtime, leaves.execution))).toContain(leaves.branch);
    }
    expect((await fetch(`${runtime.url}/healthz`)).status).toBe(200);
  });

  it("let no __proto__ reach a prototype", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("never answered or logged the API key", () => {
    expect(logged.some((line) => line.includes("webhook refused"))).toBe(true); // the capture works
    for (const output of [answered.join("\n"), logged.join("")]) expect(output).not.toContain(key);
    // The refusals give no hint of why; the log keeps the reason.
    expect(logged.join("")).toMatch(/bad-api-key/);
    expect(logged.join("")).toMatch(/missing-api-key/);
  });
});
