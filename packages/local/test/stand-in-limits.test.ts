import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import { parseStandInLimits } from "../src/stand-ins/rate-limit";
import { startTestRuntime } from "./harness";

/**
 * Stand-ins that refuse like the vendor: beyond a limit (LEADRELAY_STANDIN_LIMITS or `_fail`)
 * each answers with its vendor's own 429 — status, body and headers — and vendors that send their
 * rate-limit headers on every answer do so while limited.
 */

let runtime: Runtime;
beforeAll(async () => {
  runtime = await startTestRuntime({
    flows: "triage",
    env: { LEADRELAY_STANDIN_LIMITS: "close=2/60s,hubspot=1/10s" },
  });
});
afterAll(() => runtime.stop());

const call = (slug: string, path: string, init: RequestInit = {}) =>
  fetch(`${runtime.url}/_local/${slug}${path}`, {
    ...init,
    headers: { authorization: "Basic dGVzdDo=", "content-type": "application/json", ...init.headers },
  });

describe("stand-in limits", () => {
  it("Close beyond its limit: 429 with RateLimit, retry-after and the rate_reset body; RateLimit on every answer", async () => {
    const first = await call("close", "/api/v1/lead/lead_unknownLimit1/");
    expect(first.headers.get("ratelimit")).toMatch(/^limit=2, remaining=1, reset=60$/);
    await call("close", "/api/v1/lead/lead_unknownLimit1/");
    const refused = await call("close", "/api/v1/lead/lead_unknownLimit1/");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("ratelimit")).toMatch(/^limit=2, remaining=0, reset=\d+(\.\d+)?$/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(await refused.json()).toMatchObject({
      error: { rate_limit: 2, message: expect.stringContaining("API call count exceeded") },
    });
    const requests = runtime.standIns.close?.requests() ?? [];
    expect(requests.at(-1)).toMatchObject({ status: 429, throttled: true });
  });

  it("HubSpot beyond its limit: 429 TEN_SECONDLY_ROLLING with its X-HubSpot-RateLimit headers", async () => {
    await call("hubspot", "/crm/v3/objects/contacts/1");
    const refused = await call("hubspot", "/crm/v3/objects/contacts/1");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-hubspot-ratelimit-interval-milliseconds")).toBe("10000");
    expect(refused.headers.get("x-hubspot-ratelimit-remaining")).toBe("0");
    expect(await refused.json()).toMatchObject({
      errorType: "RATE_LIMIT",
      policyName: "TEN_SECONDLY_ROLLING",
    });
    // Search has its own limit at HubSpot: the ten-secondly one neither counts nor refuses it.
    const search = await call("hubspot", "/crm/v3/objects/contacts/search", {
      method: "POST",
      body: JSON.stringify({ filterGroups: [], limit: 1 }),
    });
    expect(search.status).not.toBe(429);
    expect(runtime.standIns.hubspot?.requests().at(-1)).toMatchObject({
      path: expect.stringMatching(/search$/),
    });
    expect(runtime.standIns.hubspot?.requests().at(-1)?.throttled).toBeUndefined();
  });

  it("a limit set through _fail: Twilio answers 20429 beyond it; DELETE _fail lifts it", async () => {
    const set = await fetch(`${runtime.url}/_local/twilio/_fail`, {
      method: "POST",
      body: JSON.stringify({ limit: "1/1m" }),
    });
    expect(set.status).toBe(201);
    expect(await set.json()).toEqual({ limit: "1/60s" });
    const sid = runtime.settings.TWILIO_ACCOUNT_SID ?? "";
    const send = () =>
      call("twilio", `/2010-04-01/Accounts/${sid}/Messages.json`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${sid}:${runtime.settings.TWILIO_AUTH_TOKEN}`).toString("base64")}`,
        },
        body: "To=%2B14155550123&From=%2B14155550100&Body=hi",
      });
    expect((await send()).status).toBeLessThan(300);
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 20429, status: 429 });
    await fetch(`${runtime.url}/_local/twilio/_fail`, { method: "DELETE" });
    expect((await send()).status).toBeLessThan(300);
    const bad = await fetch(`${runtime.url}/_local/twilio/_fail`, {
      method: "POST",
      body: JSON.stringify({ limit: "often" }),
    });
    expect(bad.status).toBe(400);
  });

  it("LEADRELAY_STANDIN_LIMITS: slug=count/window pairs; a bad one names the variable", () => {
    expect(parseStandInLimits("close=20/1s, hubspot=100/10s")).toEqual({
      close: { count: 20, windowMs: 1000 },
      hubspot: { count: 100, windowMs: 10_000 },
    });
    expect(() => parseStandInLimits("close")).toThrow(/LEADRELAY_STANDIN_LIMITS/);
    expect(() => parseStandInLimits("close=fast")).toThrow(/LEADRELAY_STANDIN_LIMITS \(close\)/);
  });
});
