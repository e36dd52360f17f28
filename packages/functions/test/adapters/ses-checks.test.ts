import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkSesSender } from "../../src/adapters/ses-checks";
import { createSesClient } from "../../src/adapters/ses-email";
import type { RecordedRequest } from "../fakes";
import { startVendorServer, type VendorAnswer, type VendorServer } from "./vendor-server";

/**
 * SES v2 on 127.0.0.1 answering GetAccount (`GET /v2/email/account`) and GetEmailIdentity
 * (`GET /v2/email/identities/{identity}`) with the fields of the SES API reference (integrations.md §12).
 */
const notFound = (identity: string): VendorAnswer => ({
  status: 404,
  headers: { "x-amzn-errortype": "NotFoundException:http://internal.amazon.com/coral/com.amazonaws.sesv2/" },
  json: { message: `Email identity <${identity}> does not exist.` },
});
const account = (overrides: Record<string, unknown> = {}) => ({
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  EnforcementStatus: "HEALTHY",
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 12 },
  ...overrides,
});
const identity = (verified: boolean, status: string, type: string) => ({
  IdentityType: type,
  VerifiedForSendingStatus: verified,
  VerificationStatus: status,
  DkimAttributes: { Status: status },
});

let answers: { account: VendorAnswer; identities: Record<string, VendorAnswer> };
let ses: VendorServer;

function answer(request: RecordedRequest): VendorAnswer {
  if (request.method === "GET" && request.url === "/v2/email/account") return answers.account;
  const match = /^\/v2\/email\/identities\/([^/?]+)$/.exec(request.url ?? "");
  if (request.method === "GET" && match) {
    const name = decodeURIComponent(match[1] ?? "");
    return answers.identities[name] ?? notFound(name);
  }
  return { status: 400, json: { message: `unexpected ${request.method} ${request.url}` } };
}

beforeAll(async () => {
  ses = await startVendorServer(answer);
});
afterAll(async () => {
  await ses.close();
});
beforeEach(() => {
  ses.reset();
  answers = { account: { status: 200, json: account() }, identities: {} };
});

const check = (from = "leads@acme.example") =>
  checkSesSender({
    region: "eu-west-1",
    from,
    client: createSesClient(
      {
        endpoint: ses.url,
        region: "eu-west-1",
        credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-secret" },
      },
      // Generous: a loaded CI machine answers loopback slowly, and a timeout reads as "unknown".
      10_000,
    ),
  });

describe("checkSesSender (SES v2 GetAccount + GetEmailIdentity)", () => {
  it("is ok when the address itself is verified, asking only read-only GETs", async () => {
    answers.identities["leads@acme.example"] = {
      status: 200,
      json: identity(true, "SUCCESS", "EMAIL_ADDRESS"),
    };
    expect(await check()).toEqual({
      status: "ok",
      identity: "leads@acme.example",
      reason: "SES in eu-west-1 can send from leads@acme.example (identity leads@acme.example)",
    });
    expect(ses.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /v2/email/account",
      "GET /v2/email/identities/leads%40acme.example",
    ]);
  });

  it("is ok through the verified domain when the address is no identity of its own", async () => {
    answers.identities["acme.example"] = { status: 200, json: identity(true, "SUCCESS", "DOMAIN") };
    expect(await check("Leads@ACME.example")).toMatchObject({ status: "ok", identity: "acme.example" });
  });

  it("answers unverified, never throws, naming each identity's state", async () => {
    answers.identities["acme.example"] = { status: 200, json: identity(false, "PENDING", "DOMAIN") };
    const result = await check();
    expect(result.status).toBe("unverified");
    expect(result.identity).toBeUndefined();
    expect(result.reason).toBe(
      "SES in eu-west-1 cannot send from leads@acme.example: leads@acme.example is not an SES identity; " +
        "acme.example is PENDING. Verify the address or its domain in SES in eu-west-1",
    );
  });

  it("says sandbox when the sender is verified but the account has no production access", async () => {
    answers.account = { status: 200, json: account({ ProductionAccessEnabled: false }) };
    answers.identities["acme.example"] = { status: 200, json: identity(true, "SUCCESS", "DOMAIN") };
    const result = await check();
    expect(result).toMatchObject({ status: "sandbox", identity: "acme.example" });
    expect(result.reason).toMatch(/only to verified recipients/);
  });

  it("says paused when the account's sending is disabled or shut down", async () => {
    answers.account = {
      status: 200,
      json: account({ SendingEnabled: false, EnforcementStatus: "SHUTDOWN" }),
    };
    expect(await check()).toMatchObject({ status: "paused" });
    expect(ses.requests).toHaveLength(1);
  });

  it("answers unknown (not unverified) when SES cannot be asked: AccessDenied, an unreachable endpoint", async () => {
    answers.account = {
      status: 403,
      headers: {
        "x-amzn-errortype": "AccessDeniedException:http://internal.amazon.com/coral/com.amazonaws.sesv2/",
      },
      json: { message: "User is not authorized to perform: ses:GetAccount" },
    };
    const denied = await check();
    expect(denied.status).toBe("unknown");
    expect(denied.reason).toMatch(
      /^SES in eu-west-1 could not be checked: AccessDeniedException: User is not authorized/,
    );

    const unreachable = await checkSesSender({
      region: "eu-west-1",
      from: "leads@acme.example",
      client: createSesClient(
        {
          endpoint: "http://127.0.0.1:9",
          region: "eu-west-1",
          credentials: { accessKeyId: "A", secretAccessKey: "B" },
        },
        300,
      ),
    });
    expect(unreachable.status).toBe("unknown");
  });

  it("refuses a sender that is no address without asking SES", async () => {
    expect(await check("not-an-address")).toMatchObject({ status: "unverified" });
    expect(ses.requests).toEqual([]);
  });
});
