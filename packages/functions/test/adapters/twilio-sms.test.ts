import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTwilioSmsSender } from "../../src/adapters/twilio-sms";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const SID = "AC0123456789abcdef0123456789abcdef";
const TOKEN = "twilio-auth-token-9f8e7d";
const MESSAGE = { to: "+14155550123", from: "+15550100000", body: "URGENT lead: Harbor & Pine — call now" };

function twilioError(status: number, code: number, message: string) {
  return {
    status,
    json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

let twilio: VendorServer;
let sms: ReturnType<typeof createTwilioSmsSender>;

beforeAll(async () => {
  twilio = await startVendorServer(() => ({
    status: 201,
    json: { sid: "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0", status: "queued", to: MESSAGE.to, from: MESSAGE.from },
  }));
  sms = createTwilioSmsSender({ baseUrl: twilio.url, accountSid: SID, authToken: TOKEN }, { timeoutMs: 300 });
});
afterAll(async () => {
  await twilio.close();
});
beforeEach(() => twilio.reset());

describe("Twilio SMS adapter", () => {
  it("POSTs form-encoded To/From/Body to the account's Messages.json with Basic sid:token", async () => {
    const sent = await sms.send(MESSAGE);

    const request = twilio.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString("base64")}`,
    );
    expect(header(request.headers, "content-type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      To: MESSAGE.to,
      From: MESSAGE.from,
      Body: MESSAGE.body,
    });
    expect(request.body).toContain("To=%2B14155550123");
    expect(sent).toEqual({ sid: "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0", status: "queued" });
  });

  it("429 / 20429 is rate limited, Retry-After and the code in the error", async () => {
    twilio.next({
      ...twilioError(429, 20429, "Too Many Requests"),
      headers: { "retry-after": "4" },
    });
    const error = await failureOf(sms.send(MESSAGE));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.code).toBe("20429");
    expect(error.retryAfterSeconds).toBe(4);
    expect(error.message).toContain("Retry-After 4s");
    expect(error.message).toContain("code 20429");
  });

  it("error code 20429 is rate limited whatever the status says", async () => {
    twilio.next(twilioError(503, 20429, "Too Many Requests"));
    expect((await failureOf(sms.send(MESSAGE))).name).toBe("ServiceRateLimited");
  });

  it("21211 (invalid To) and 21610 (unsubscribed) are rejected with Twilio's code and message", async () => {
    twilio.next(twilioError(400, 21211, "The 'To' number 5551234567 is not a valid phone number."));
    const invalid = await failureOf(sms.send({ ...MESSAGE, to: "5551234567" }));
    expect(invalid.name).toBe("ServiceRejected");
    expect(invalid.code).toBe("21211");
    expect(invalid.message).toContain("is not a valid phone number");

    twilio.next(twilioError(400, 21610, "Attempt to send to unsubscribed recipient"));
    const unsubscribed = await failureOf(sms.send(MESSAGE));
    expect(unsubscribed.name).toBe("ServiceRejected");
    expect(unsubscribed.code).toBe("21610");
  });

  it("bad credentials (401, 20003) are rejected and the token stays out of the message", async () => {
    twilio.next(twilioError(401, 20003, "Authenticate"));
    const error = await failureOf(sms.send(MESSAGE));
    expect(error.name).toBe("ServiceRejected");
    expect(error.code).toBe("20003");
    expect(error.message).not.toContain(TOKEN);
  });

  it("5xx and a hung connection are unavailable", async () => {
    twilio.next(twilioError(500, 20500, "Internal Server Error"));
    expect((await failureOf(sms.send(MESSAGE))).name).toBe("ServiceUnavailable");

    twilio.next({ status: 201, hang: true });
    const timeout = await failureOf(sms.send(MESSAGE));
    expect(timeout.name).toBe("ServiceUnavailable");
    expect(timeout.message).toContain("no answer within 300 ms");
  });

  it("a 201 without a sid still counts as sent: a retry would text the on-call twice", async () => {
    twilio.next({ status: 201, json: {} });
    expect(await sms.send(MESSAGE)).toEqual({ sid: "unknown", status: "unknown" });
  });
});
