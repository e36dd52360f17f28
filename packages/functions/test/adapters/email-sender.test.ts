import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createEmailSender,
  emailProviderOf,
  emailSenderFromEnv,
  missingEmailCredentials,
} from "../../src/adapters/email-sender";
import type { AwsService } from "../../src/aws-clients";
import { header, startVendorServer, type VendorServer } from "./vendor-server";

const EMAIL = {
  from: { email: "sales@leadrelay.example" },
  to: { email: "maya.okafor@harborpine.example" },
  subject: "Hello",
  text: "Hello",
  html: "<p>Hello</p>",
};

let vendor: VendorServer;
/** The kit a handler gets: SES pointed at the same loopback vendor. */
let kit: { aws(service: AwsService): Record<string, unknown> };

beforeAll(async () => {
  vendor = await startVendorServer((request) =>
    request.url === "/v3/smtp/email"
      ? { status: 201, json: { messageId: "<brevo@smtp-relay.mailin.fr>" } }
      : { status: 200, json: { MessageId: "ses-message-id" } },
  );
  kit = {
    aws: () => ({
      endpoint: vendor.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
    }),
  };
});
afterAll(async () => {
  await vendor.close();
});
beforeEach(() => vendor.reset());

describe("email provider choice", () => {
  it("EMAIL_PROVIDER wins; unset, Brevo when its key is there, SES otherwise", () => {
    expect(emailProviderOf({ EMAIL_PROVIDER: "ses", BREVO_API_KEY: "xkeysib-1" })).toBe("ses");
    expect(emailProviderOf({ EMAIL_PROVIDER: "brevo" })).toBe("brevo");
    expect(emailProviderOf({ BREVO_API_KEY: "xkeysib-1" })).toBe("brevo");
    expect(emailProviderOf({ BREVO_API_KEY: " " })).toBe("ses");
    expect(emailProviderOf({})).toBe("ses");
  });

  it("names the missing Brevo key only when Brevo is chosen explicitly (SES needs no key)", () => {
    expect(missingEmailCredentials({ EMAIL_PROVIDER: "brevo" })).toEqual(["BREVO_API_KEY"]);
    expect(missingEmailCredentials({ EMAIL_PROVIDER: "brevo", BREVO_API_KEY: "k" })).toEqual([]);
    expect(missingEmailCredentials({})).toEqual([]);
    expect(missingEmailCredentials({ EMAIL_PROVIDER: "ses" })).toEqual([]);
  });

  it("refuses Brevo without its key, naming the variable", () => {
    expect(() => createEmailSender({ EMAIL_PROVIDER: "brevo", BREVO_BASE_URL: vendor.url }, kit)).toThrow(
      /BREVO_API_KEY/,
    );
  });
});

describe("emailSenderFromEnv", () => {
  it("with a Brevo key sends through Brevo at BREVO_BASE_URL", async () => {
    const sender = emailSenderFromEnv({ BREVO_BASE_URL: vendor.url, BREVO_API_KEY: "xkeysib-local" }, kit);
    expect(sender.provider).toBe("brevo");
    expect(await sender.send(EMAIL, "key-1")).toEqual({ messageId: "<brevo@smtp-relay.mailin.fr>" });
    expect(vendor.only().url).toBe("/v3/smtp/email");
    expect(header(vendor.only().headers, "api-key")).toBe("xkeysib-local");
  });

  it("with EMAIL_PROVIDER=ses sends through the kit's SES client", async () => {
    const sender = emailSenderFromEnv({ EMAIL_PROVIDER: "ses", BREVO_API_KEY: "xkeysib-local" }, kit);
    expect(sender.provider).toBe("ses");
    expect(await sender.send(EMAIL, "key-1")).toEqual({ messageId: "ses-message-id" });
    expect(vendor.only().url).toBe("/v2/email/outbound-emails");
  });

  it("a bad EMAIL_PROVIDER fails fast, naming it", () => {
    expect(() => emailSenderFromEnv({ EMAIL_PROVIDER: "mailgun" }, kit)).toThrow(/EMAIL_PROVIDER/);
  });
});
