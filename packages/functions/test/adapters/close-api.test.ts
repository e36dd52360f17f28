import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createCloseApi } from "../../src/adapters/close-api";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const LEAD_ID = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";
const API_KEY = "api_5Zq2Kx9Lm4Wb7Rn1Tp8Yc3Hd6";
const LEAD = {
  id: LEAD_ID,
  display_name: "Harbor & Pine Logistics",
  name: "Harbor & Pine Logistics",
  description: "Inbound demo request from the pricing page.",
  status_label: "Potential",
  "custom.cf_Src9Zq2Xk5": "Website",
  contacts: [
    {
      id: "cont_3Rk9Wq1Zx5",
      name: "Maya Okafor",
      emails: [{ email: "maya.okafor@harborpine.example", type: "office" }],
      phones: [{ phone: "+14155550123", type: "office" }],
    },
  ],
};

let close: VendorServer;
let api: ReturnType<typeof createCloseApi>;

beforeAll(async () => {
  close = await startVendorServer(() => ({ status: 200, json: LEAD }));
  api = createCloseApi({ baseUrl: `${close.url}/api/v1`, apiKey: API_KEY }, { timeoutMs: 300 });
});
afterAll(async () => {
  await close.close();
});
beforeEach(() => close.reset());

describe("Close API adapter: requests", () => {
  it("reads a lead with GET /lead/{id}/, HTTP Basic with the key as user and an empty password", async () => {
    const lead = await api.getLead(LEAD_ID);

    const request = close.only();
    expect(request.method).toBe("GET");
    expect(request.url).toBe(`/api/v1/lead/${LEAD_ID}/`);
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from(`${API_KEY}:`).toString("base64")}`,
    );
    expect(lead.contacts[0]?.emails[0]?.email).toBe("maya.okafor@harborpine.example");
    expect(lead.contacts[0]?.phones[0]?.phone).toBe("+14155550123");
    expect(lead["custom.cf_Src9Zq2Xk5"]).toBe("Website");
  });

  it("gives a lead without contacts, emails or phones empty lists", async () => {
    close.next({
      status: 200,
      json: { id: LEAD_ID, display_name: "acme", contacts: [{ id: "cont_1", name: "Jo" }] },
    });
    const lead = await api.getLead(LEAD_ID);
    expect(lead.contacts).toEqual([{ id: "cont_1", name: "Jo", emails: [], phones: [] }]);

    close.next({ status: 200, json: { id: LEAD_ID } });
    expect((await api.getLead(LEAD_ID)).contacts).toEqual([]);
  });

  it("writes fields with PUT /lead/{id}/ as JSON, exactly the fields given", async () => {
    await api.updateLead(LEAD_ID, { "custom.cf_triage": "URGENT_BUYER" });

    const request = close.only();
    expect(request.method).toBe("PUT");
    expect(request.url).toBe(`/api/v1/lead/${LEAD_ID}/`);
    expect(header(request.headers, "content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(request.body)).toEqual({ "custom.cf_triage": "URGENT_BUYER" });
  });

  it("creates a note with POST /activity/note/ and returns Close's acti_ id", async () => {
    close.next({ status: 200, json: { _type: "Note", id: "acti_9Xw2", lead_id: LEAD_ID, note: "URGENT" } });

    const { noteId } = await api.createNote(LEAD_ID, "Triage: URGENT_BUYER");

    const request = close.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/api/v1/activity/note/");
    expect(JSON.parse(request.body)).toEqual({ lead_id: LEAD_ID, note: "Triage: URGENT_BUYER" });
    expect(noteId).toBe("acti_9Xw2");
  });
});

describe("Close API adapter: failures", () => {
  it("429: rate limited, retry-after in the error and the RateLimit header in its message", async () => {
    close.next({
      status: 429,
      headers: { "retry-after": "7", ratelimit: "limit=100, remaining=0, reset=6.2" },
      json: { error: { rate_reset: 6.2, message: "API call count exceeded for this 5 second window" } },
    });

    const error = await failureOf(api.getLead(LEAD_ID));

    expect(error.name).toBe("ServiceRateLimited");
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.message).toContain("Retry-After 7s");
    expect(error.message).toContain("limit=100, remaining=0, reset=6.2");
    expect(error.message).toContain("API call count exceeded");
  });

  it("429 without headers: the body's rate_reset is the wait", async () => {
    close.next({ status: 429, json: { error: { rate_reset: 2.5, message: "slow down" } } });
    const error = await failureOf(api.updateLead(LEAD_ID, { name: "x" }));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.retryAfterSeconds).toBe(3);
  });

  it("5xx is unavailable (retried by the ASL)", async () => {
    close.next({ status: 502, text: "Bad Gateway" });
    const error = await failureOf(api.createNote(LEAD_ID, "n"));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.status).toBe(502);
  });

  it("no answer within the timeout is unavailable", async () => {
    close.next({ status: 200, hang: true });
    const error = await failureOf(api.getLead(LEAD_ID));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.message).toContain("no answer within 300 ms");
  });

  it("404 and 401 are rejected for good, with Close's message", async () => {
    close.next({ status: 404, json: { error: "Lead not found" } });
    const missing = await failureOf(api.getLead(LEAD_ID));
    expect(missing.name).toBe("ServiceRejected");
    expect(missing.message).toContain("Lead not found");

    close.next({ status: 401, json: { error: "Unauthorized" } });
    const refused = await failureOf(api.getLead(LEAD_ID));
    expect(refused.name).toBe("ServiceRejected");
    expect(refused.message).not.toContain(API_KEY);
  });

  it("a refused write names the field from Close's field-errors", async () => {
    close.next({ status: 400, json: { errors: [], "field-errors": { "custom.cf_nope": "Unknown field." } } });
    const error = await failureOf(api.updateLead(LEAD_ID, { "custom.cf_nope": "x" }));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).toContain("custom.cf_nope: Unknown field.");
  });

  it("402 (plan limit) is a used-up quota, not worth a retry", async () => {
    close.next({ status: 402, json: { error: "Your plan does not allow this" } });
    expect((await failureOf(api.getLead(LEAD_ID))).name).toBe("ServiceQuotaExhausted");
  });

  it("a 200 that is not a lead is the vendor's fault: unavailable", async () => {
    close.next({ status: 200, text: "<html>maintenance</html>" });
    const error = await failureOf(api.getLead(LEAD_ID));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.message).toContain("answer is not a lead");
  });
});
