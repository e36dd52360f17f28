import { ServiceRateLimited, ServiceUnavailable } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  basicAuth,
  createHttpClient,
  errorDetail,
  type HttpResponse,
  type OutboundObserver,
  observeOutboundCalls,
  retryAfterSeconds,
} from "../src/http-client";
import { failureOf, header, startVendorServer, type VendorServer } from "./adapters/vendor-server";
import { unusedUrl } from "./fakes";

const NOW = Date.parse("2026-11-20T14:08:11.000Z");

let vendor: VendorServer;

beforeAll(async () => {
  vendor = await startVendorServer(() => ({ status: 200, json: { ok: true } }));
});
afterAll(async () => {
  await vendor.close();
});
beforeEach(() => vendor.reset());

const client = (overrides: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({ service: "vendor", baseUrl: `${vendor.url}/api/`, timeoutMs: 300, ...overrides });

function response(status: number, json: unknown, text = JSON.stringify(json)): HttpResponse {
  return { status, headers: new Headers(), text, json };
}

describe("retryAfterSeconds", () => {
  const of = (headers: Record<string, string>) => retryAfterSeconds(new Headers(headers), NOW);

  it("reads Retry-After in seconds, rounding fractions up", () => {
    expect(of({ "retry-after": "7" })).toBe(7);
    expect(of({ "retry-after": "1.2" })).toBe(2);
    expect(of({ "retry-after": "0" })).toBe(0);
  });

  it("reads Retry-After as an HTTP date, relative to now; a past date is 0", () => {
    expect(of({ "retry-after": new Date(NOW + 30_000).toUTCString() })).toBe(30);
    expect(of({ "retry-after": new Date(NOW - 60_000).toUTCString() })).toBe(0);
  });

  it("prefers retry-after-ms (OpenAI) and rounds it up to seconds", () => {
    expect(of({ "retry-after-ms": "1500", "retry-after": "9" })).toBe(2);
  });

  it("falls back to the RateLimit header's reset (Close)", () => {
    expect(of({ ratelimit: "limit=100, remaining=0, reset=4.2" })).toBe(5);
    expect(of({ ratelimit: "reset=3" })).toBe(3);
  });

  it("is undefined when the vendor said nothing usable", () => {
    expect(of({})).toBeUndefined();
    expect(of({ "retry-after": "soon" })).toBeUndefined();
    expect(of({ "retry-after": "" })).toBeUndefined();
    expect(of({ ratelimit: "limit=100, remaining=0" })).toBeUndefined();
  });
});

describe("errorDetail", () => {
  it("takes the vendor's message from the usual envelopes", () => {
    expect(errorDetail(response(400, { error: { message: "bad model" } }))).toBe("bad model");
    expect(errorDetail(response(404, { error: "Lead not found" }))).toBe("Lead not found");
    expect(errorDetail(response(400, { message: "sender is missing" }))).toBe("sender is missing");
    expect(errorDetail(response(422, { detail: "invalid" }))).toBe("invalid");
  });

  it("falls back to the text, whitespace collapsed and cut at 300 characters, or the status", () => {
    expect(errorDetail(response(502, undefined, "  Bad\n\n Gateway "))).toBe("Bad Gateway");
    expect(errorDetail(response(500, undefined, "x".repeat(1000)))).toHaveLength(300);
    expect(errorDetail(response(503, undefined, ""))).toBe("HTTP 503");
  });
});

describe("createHttpClient: requests", () => {
  it("joins the base URL and path, sets the query and default headers", async () => {
    const answer = await client({ headers: { "x-vendor": "1" } }).request({
      path: "/lead/lead_1/",
      query: { fields: "id,name", skipped: undefined },
    });

    const request = vendor.only();
    expect(request.method).toBe("GET");
    expect(request.url).toBe("/api/lead/lead_1/?fields=id%2Cname");
    expect(header(request.headers, "accept")).toBe("application/json");
    expect(header(request.headers, "x-vendor")).toBe("1");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
  });

  it("sends JSON and form bodies with their content types, POST by default", async () => {
    await client().request({ path: "json", json: { a: "é" } });
    await client().request({ path: "form", form: { To: "+1 555", Body: "a&b" } });

    const [json, form] = vendor.requests;
    expect(json?.method).toBe("POST");
    expect(header(json?.headers ?? {}, "content-type")).toBe("application/json; charset=utf-8");
    expect(JSON.parse(json?.body ?? "")).toEqual({ a: "é" });
    expect(header(form?.headers ?? {}, "content-type")).toBe("application/x-www-form-urlencoded");
    expect(form?.body).toBe("To=%2B1+555&Body=a%26b");
  });

  it("answers a non-JSON body as text with json undefined", async () => {
    vendor.next({ status: 200, text: "ok" });
    const answer = await client().request({ path: "x" });
    expect(answer.text).toBe("ok");
    expect(answer.json).toBeUndefined();
  });

  it("returns statuses the caller accepts instead of failing on them", async () => {
    vendor.next({ status: 404, json: { error: "no such member" } });
    expect((await client().request({ path: "members/1", accept: [404] })).status).toBe(404);
  });

  it("makes a Basic header", () => {
    expect(basicAuth("key", "")).toBe(`Basic ${Buffer.from("key:").toString("base64")}`);
  });
});

describe("createHttpClient: classification", () => {
  const cases: Array<[number, string]> = [
    [400, "ServiceRejected"],
    [401, "ServiceRejected"],
    [403, "ServiceRejected"],
    [404, "ServiceRejected"],
    [408, "ServiceUnavailable"],
    [409, "ServiceRejected"],
    [422, "ServiceRejected"],
    [429, "ServiceRateLimited"],
    [500, "ServiceUnavailable"],
    [502, "ServiceUnavailable"],
    [503, "ServiceUnavailable"],
    [504, "ServiceUnavailable"],
  ];
  it.each(cases)("HTTP %i is %s, with the service, status and vendor message", async (status, name) => {
    vendor.next({ status, json: { message: `vendor says ${status}` } });
    const error = await failureOf(client().request({ path: "x" }));
    expect(error.name).toBe(name);
    expect(error.service).toBe("vendor");
    expect(error.status).toBe(status);
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).toContain(`vendor says ${status}`);
  });

  it("429 carries Retry-After into the error and its message", async () => {
    vendor.next({ status: 429, headers: { "retry-after": "11" }, json: {} });
    const error = await failureOf(client().request({ path: "x" }));
    expect(error).toBeInstanceOf(ServiceRateLimited);
    expect(error.retryAfterSeconds).toBe(11);
    expect(error.message).toContain("Retry-After 11s");
  });

  it("no answer within the timeout and a refused connection are unavailable", async () => {
    vendor.next({ status: 200, hang: true });
    const timeout = await failureOf(client().request({ path: "x" }));
    expect(timeout).toBeInstanceOf(ServiceUnavailable);
    expect(timeout.message).toContain("no answer within 300 ms");

    const refused = await failureOf(
      createHttpClient({ service: "vendor", baseUrl: await unusedUrl() }).request({ path: "x" }),
    );
    expect(refused.name).toBe("ServiceUnavailable");
    expect(refused.status).toBeUndefined();
  });

  it("keeps the query string and credentials out of every message", async () => {
    const secret = "EAAB-page-token-very-secret";
    vendor.next({ status: 400, json: { error: { message: "Invalid OAuth access token" } } });
    const rejected = await failureOf(
      client({ headers: { authorization: `Bearer ${secret}` } }).request({
        path: "v21.0/123",
        query: { access_token: secret },
      }),
    );
    expect(rejected.message).toContain("GET /api/v21.0/123");
    expect(rejected.message).not.toContain(secret);
    expect(rejected.message).not.toContain("access_token");

    vendor.next({ status: 200, hang: true });
    const timeout = await failureOf(client().request({ path: "v21.0/123", query: { access_token: secret } }));
    expect(timeout.message).not.toContain(secret);
  });

  it("lets the vendor's classifier decide first, even on a 2xx, and fall back when it passes", async () => {
    const classify = (answer: HttpResponse) =>
      (answer.json as { ok?: boolean } | undefined)?.ok === false
        ? new ServiceUnavailable({ service: "vendor", status: answer.status, detail: "ok: false" })
        : undefined;

    vendor.next({ status: 200, json: { ok: false } });
    expect((await failureOf(client({ classify }).request({ path: "x" }))).message).toContain("ok: false");

    vendor.next({ status: 403, json: { ok: true, message: "forbidden" } });
    expect((await failureOf(client({ classify }).request({ path: "x" }))).name).toBe("ServiceRejected");

    expect((await client({ classify }).request({ path: "x" })).status).toBe(200);
  });
});

describe("observeOutboundCalls", () => {
  it("reports every call with service, method, status, outcome and duration; unsubscribing stops it", async () => {
    const calls: Parameters<OutboundObserver>[0][] = [];
    const stop = observeOutboundCalls((call) => calls.push(call));
    try {
      await client().request({ path: "ok" });
      vendor.next({ status: 429, json: {} });
      await failureOf(client().request({ path: "busy", json: {} }));
      vendor.next({ status: 402, json: {} });
      await failureOf(client().request({ path: "nope" }));
      vendor.next({ status: 200, hang: true });
      await failureOf(client().request({ path: "slow" }));
    } finally {
      stop();
    }
    await client().request({ path: "after" });

    expect(calls.map(({ ms: _ms, headers: _headers, error: _error, ...call }) => call)).toEqual([
      { service: "vendor", method: "GET", status: 200, outcome: "ok", path: "/api/ok" },
      { service: "vendor", method: "POST", status: 429, outcome: "rate-limited", path: "/api/busy" },
      { service: "vendor", method: "GET", status: 402, outcome: "rejected", path: "/api/nope" },
      { service: "vendor", method: "GET", status: undefined, outcome: "unavailable", path: "/api/slow" },
    ]);
    // The answer's headers (rate-limit headers are read from them) and the classified failure.
    expect(calls.map((call) => call.headers instanceof Headers)).toEqual([true, true, true, false]);
    expect(calls.map((call) => (call.error as Error | undefined)?.name)).toEqual([
      undefined,
      "ServiceRateLimited",
      "ServiceRejected",
      "ServiceUnavailable",
    ]);
    expect(calls.every((call) => call.ms >= 0)).toBe(true);
    expect(calls[3]?.ms).toBeGreaterThanOrEqual(250);
  });
});
