import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createZendeskTicketDesk } from "../../src/adapters/zendesk-tickets";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const EMAIL = "agent@harborpine.example";
const TOKEN = "zendesk-api-token-6d5c4b";
const TICKET = {
  subject: "Login problem",
  body: "I cannot log in since yesterday.",
  requester: { email: "maya.okafor@harborpine.example", name: "Maya Okafor" },
  tags: ["leadrelay", "triage"],
};
const KEY = "triage-ticket-lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";
const CREATED = {
  status: 201,
  json: {
    ticket: { id: 35436, url: "https://acme.zendesk.com/api/v2/tickets/35436.json", status: "new" },
    audit: {},
  },
};

let zendesk: VendorServer;
let desk: ReturnType<typeof createZendeskTicketDesk>;

beforeAll(async () => {
  zendesk = await startVendorServer(() => CREATED);
  desk = createZendeskTicketDesk({ baseUrl: zendesk.url, email: EMAIL, apiToken: TOKEN }, { timeoutMs: 300 });
});
afterAll(async () => {
  await zendesk.close();
});
beforeEach(() => zendesk.reset());

describe("Zendesk tickets adapter", () => {
  it("POSTs /api/v2/tickets.json with Basic {email}/token:{token}, an Idempotency-Key and the ticket", async () => {
    const created = await desk.create(TICKET, KEY);

    const request = zendesk.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/api/v2/tickets.json");
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from(`${EMAIL}/token:${TOKEN}`).toString("base64")}`,
    );
    expect(header(request.headers, "idempotency-key")).toBe(KEY);
    expect(JSON.parse(request.body)).toEqual({
      ticket: {
        subject: "Login problem",
        comment: { body: "I cannot log in since yesterday." },
        requester: { name: "Maya Okafor", email: "maya.okafor@harborpine.example" },
        tags: ["leadrelay", "triage"],
      },
    });
    expect(created).toEqual({ ticketId: "35436", url: "https://acme.zendesk.com/api/v2/tickets/35436.json" });
  });

  it("an idempotency hit returns the first ticket, marked as a duplicate", async () => {
    zendesk.next({ ...CREATED, headers: { "x-idempotency-lookup": "hit" } });
    expect(await desk.create(TICKET, KEY)).toMatchObject({ ticketId: "35436", duplicate: true });
  });

  it("429 is rate limited with Zendesk's Retry-After in the error", async () => {
    zendesk.next({ status: 429, headers: { "retry-after": "30" }, text: "Too Many Requests" });
    const error = await failureOf(desk.create(TICKET, KEY));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.message).toContain("Retry-After 30s");
  });

  it("a record Zendesk will not create is rejected with its description", async () => {
    zendesk.next({
      status: 422,
      json: {
        error: "RecordInvalid",
        description: "Record validation errors",
        details: { requester: [{ description: "Requester: Email is invalid" }] },
      },
    });
    const error = await failureOf(desk.create(TICKET, KEY));
    expect(error.name).toBe("ServiceRejected");
    expect(error.code).toBe("RecordInvalid");
    expect(error.message).toContain("Requester: Email is invalid");
  });

  it("bad credentials are rejected and the token stays out of the message", async () => {
    zendesk.next({ status: 401, json: { error: "Couldn't authenticate you" } });
    const error = await failureOf(desk.create(TICKET, KEY));
    expect(error.name).toBe("ServiceRejected");
    expect(error.message).not.toContain(TOKEN);
  });

  it("409 (concurrent change), 5xx and a hung connection are unavailable", async () => {
    zendesk.next({ status: 409, json: { error: "Conflict", description: "Try again" } });
    expect((await failureOf(desk.create(TICKET, KEY))).name).toBe("ServiceUnavailable");

    zendesk.next({ status: 503, text: "Maintenance" });
    expect((await failureOf(desk.create(TICKET, KEY))).name).toBe("ServiceUnavailable");

    zendesk.next({ status: 201, hang: true });
    const timeout = await failureOf(desk.create(TICKET, KEY));
    expect(timeout.name).toBe("ServiceUnavailable");
    expect(timeout.message).toContain("no answer within 300 ms");
  });

  it("refuses an idempotency key Zendesk would not take, before any request", async () => {
    await expect(desk.create(TICKET, "k".repeat(256))).rejects.toThrow(RangeError);
    await expect(desk.create(TICKET, "")).rejects.toThrow(RangeError);
    expect(zendesk.requests).toHaveLength(0);
  });
});
