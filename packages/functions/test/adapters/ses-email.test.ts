import type { OutboundEmail } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSesEmailSender, formatAddress, SES_IDEMPOTENCY_HEADER } from "../../src/adapters/ses-email";
import type { AwsClientConfig } from "../../src/aws-clients";
import { unusedUrl } from "../fakes";
import { failureOf, header, startVendorServer, type VendorAnswer, type VendorServer } from "./vendor-server";

const EMAIL: OutboundEmail = {
  from: { email: "sales@leadrelay.example", name: "Leadrelay Sales" },
  to: { email: "maya.okafor@harborpine.example", name: "Maya Okafor" },
  subject: "Thanks for your interest",
  text: "Hi Maya, here is our pricing.",
  html: "<p>Hi Maya, here is our pricing.</p>",
  tags: ["triage", "tire kicker"],
  templateId: 12,
};
const KEY = "triage-email-lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";

const awsConfig = (endpoint: string): AwsClientConfig => ({
  endpoint,
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-secret" },
});

/** SES v2's REST JSON error: the type in x-amzn-ErrorType (what the SDK reads), the message in the body. */
function sesError(status: number, type: string, message: string): VendorAnswer {
  return {
    status,
    headers: { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/` },
    json: { message },
  };
}

let ses: VendorServer;
let sender: ReturnType<typeof createSesEmailSender>;

beforeAll(async () => {
  ses = await startVendorServer(() => ({
    status: 200,
    json: { MessageId: "0100018f-test-message-id-000000" },
  }));
  sender = createSesEmailSender(awsConfig(ses.url), { timeoutMs: 300 });
});
afterAll(async () => {
  await ses.close();
});
beforeEach(() => ses.reset());

describe("SES email adapter: requests", () => {
  it("sends SendEmail (POST /v2/email/outbound-emails) signed, with Simple content", async () => {
    const sent = await sender.send(EMAIL, KEY);

    const request = ses.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/v2/email/outbound-emails");
    expect(header(request.headers, "authorization")).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST\//);
    const body = JSON.parse(request.body);
    expect(body).toEqual({
      FromEmailAddress: '"Leadrelay Sales" <sales@leadrelay.example>',
      Destination: { ToAddresses: ['"Maya Okafor" <maya.okafor@harborpine.example>'] },
      Content: {
        Simple: {
          Subject: { Data: "Thanks for your interest", Charset: "UTF-8" },
          Body: {
            Text: { Data: "Hi Maya, here is our pricing.", Charset: "UTF-8" },
            Html: { Data: "<p>Hi Maya, here is our pricing.</p>", Charset: "UTF-8" },
          },
          Headers: [{ Name: SES_IDEMPOTENCY_HEADER, Value: KEY }],
        },
      },
      EmailTags: [
        { Name: "triage", Value: "true" },
        { Name: "tire_kicker", Value: "true" },
      ],
    });
    expect(sent).toEqual({ messageId: "0100018f-test-message-id-000000" });
    expect(sender.provider).toBe("ses");
  });

  it("formats addresses for SES: quoted ASCII names, RFC 2047 for the others", () => {
    expect(formatAddress({ email: "a@example.com" })).toBe("a@example.com");
    expect(formatAddress({ email: "a@example.com", name: 'Jo "JJ" Lee' })).toBe(
      '"Jo \\"JJ\\" Lee" <a@example.com>',
    );
    expect(formatAddress({ email: "l@nordlicht.example", name: "Łukasz Żółć" })).toBe(
      `=?UTF-8?B?${Buffer.from("Łukasz Żółć").toString("base64")}?= <l@nordlicht.example>`,
    );
  });
});

describe("SES email adapter: failures", () => {
  it("throttling (TooManyRequestsException 429, LimitExceededException) is rate limited", async () => {
    ses.next(sesError(429, "TooManyRequestsException", "Maximum sending rate exceeded."));
    const throttled = await failureOf(sender.send(EMAIL, KEY));
    expect(throttled.name).toBe("ServiceRateLimited");
    expect(throttled.code).toBe("TooManyRequestsException");
    expect(throttled.message).toContain("Maximum sending rate exceeded");

    ses.next(sesError(400, "LimitExceededException", "Daily message quota exceeded."));
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceRateLimited");
  });

  it("a rejected message or an unverified sender is rejected for good", async () => {
    ses.next(sesError(400, "MessageRejected", "Email address is not verified."));
    const rejected = await failureOf(sender.send(EMAIL, KEY));
    expect(rejected.name).toBe("ServiceRejected");
    expect(rejected.code).toBe("MessageRejected");
    expect(rejected.status).toBe(400);

    ses.next(sesError(400, "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified"));
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceRejected");

    ses.next(sesError(400, "BadRequestException", "Missing required parameter"));
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceRejected");
  });

  it("a suspended account or paused sending is a used-up quota", async () => {
    ses.next(sesError(400, "AccountSuspendedException", "Account suspended"));
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceQuotaExhausted");

    ses.next(sesError(400, "SendingPausedException", "Sending paused"));
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceQuotaExhausted");
  });

  it("5xx is unavailable after one attempt: the retries are the ASL's", async () => {
    ses.next(sesError(500, "InternalFailure", "Internal failure"));
    const error = await failureOf(sender.send(EMAIL, KEY));
    expect(error.name).toBe("ServiceUnavailable");
    expect(ses.requests).toHaveLength(1);
  });

  it("no answer within the timeout, or no server at all, is unavailable", async () => {
    ses.next({ status: 200, hang: true });
    const hung = await failureOf(sender.send(EMAIL, KEY));
    expect(hung.name).toBe("ServiceUnavailable");
    expect(hung.message).toContain("300 ms");

    const nowhere = createSesEmailSender(awsConfig(await unusedUrl()), { timeoutMs: 300 });
    expect((await failureOf(nowhere.send(EMAIL, KEY))).name).toBe("ServiceUnavailable");
  });
});
