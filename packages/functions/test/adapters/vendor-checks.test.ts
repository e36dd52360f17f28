import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkBrevo } from "../../src/adapters/brevo-check";
import { checkClose } from "../../src/adapters/close-check";
import { checkEventBus } from "../../src/adapters/event-bus-check";
import { createEventBridgeClient } from "../../src/adapters/event-publisher";
import { checkHubSpot } from "../../src/adapters/hubspot-check";
import { checkMetaPageToken, checkMetaPixel } from "../../src/adapters/meta-check";
import { checkLlm } from "../../src/adapters/openai-check";
import { checkSesSender } from "../../src/adapters/ses-checks";
import { createSesClient } from "../../src/adapters/ses-email";
import { checkSlackWebhook, SLACK_TEST_TEXT } from "../../src/adapters/slack-check";
import { checkTwilio } from "../../src/adapters/twilio-check";
import { checkZendesk } from "../../src/adapters/zendesk-check";
import { unusedUrl } from "../fakes";
import { header, startVendorServer, type VendorServer } from "./vendor-server";

/**
 * Every credential check of `doctor` against a loopback server in the vendor's wire format: the
 * success answer, the vendor's refusal (401/403) and what each says, and never a secret in a result.
 */

const FAST = { timeoutMs: 1_000 };
let vendor: VendorServer;

beforeAll(async () => {
  vendor = await startVendorServer(() => ({ status: 500, json: { error: "unscripted" } }));
});
afterAll(() => vendor.close());
beforeEach(() => vendor.reset());

const noSecret = (value: unknown, ...secrets: string[]) => {
  const text = JSON.stringify(value);
  for (const secret of secrets) expect(text).not.toContain(secret);
};

describe("Close check", () => {
  const config = () => ({ baseUrl: `${vendor.url}/api/v1`, apiKey: "api_close_secret_123" });

  it("GET /me/ with the key as Basic user: ok names the user and organization", async () => {
    vendor.next({
      status: 200,
      json: { id: "user_1", email: "ops@acme.test", organizations: [{ id: "orga_1", name: "Acme" }] },
    });
    const checked = await checkClose(config(), FAST);
    expect(checked).toMatchObject({ vendor: "close", status: "ok" });
    expect(checked.detail).toContain("ops@acme.test (Acme)");
    const request = vendor.only();
    expect(request.url).toBe("/api/v1/me/?_fields=id,email,organizations");
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from("api_close_secret_123:").toString("base64")}`,
    );
    noSecret(checked, "api_close_secret_123");
  });

  it("401 is broken and names CLOSE_API_KEY", async () => {
    vendor.next({ status: 401, json: { error: "The API key is invalid." } });
    const checked = await checkClose(config(), FAST);
    expect(checked.status).toBe("broken");
    expect(checked.variables).toEqual(["CLOSE_API_KEY"]);
    expect(checked.detail).toContain("The API key is invalid.");
    expect(checked.fix).toContain("CLOSE_API_KEY");
  });

  it("a host that does not answer is broken and names the base URL variable", async () => {
    const checked = await checkClose({ baseUrl: await unusedUrl(), apiKey: "k" }, FAST);
    expect(checked.status).toBe("broken");
    expect(checked.variables[0]).toBe("CLOSE_API_BASE_URL");
    expect(checked.detail).toContain("no answer");
  });
});

describe("Twilio check", () => {
  const SID = `AC${"1".repeat(32)}`;
  const TOKEN = "twilio_token_secret_987";
  const config = () => ({ baseUrl: vendor.url, accountSid: SID, authToken: TOKEN });

  it("GET the account: active Full is ok, and the auth_token of the answer never reaches the result", async () => {
    vendor.next({
      status: 200,
      json: { sid: SID, friendly_name: "Acme", status: "active", type: "Full", auth_token: TOKEN },
    });
    const checked = await checkTwilio(config(), FAST);
    expect(checked.status).toBe("ok");
    expect(checked.detail).toBe('account "Acme" active, Full');
    expect(vendor.only().url).toBe(`/2010-04-01/Accounts/${SID}.json`);
    noSecret(checked, TOKEN);
  });

  it("a Trial account is a warning", async () => {
    vendor.next({ status: 200, json: { status: "active", type: "Trial", auth_token: TOKEN } });
    const checked = await checkTwilio(config(), FAST);
    expect(checked.status).toBe("warning");
    expect(checked.fix).toContain("verified numbers");
  });

  it("401 code 20003 is broken naming the SID and the token", async () => {
    vendor.next({
      status: 401,
      json: {
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      },
    });
    const checked = await checkTwilio(config(), FAST);
    expect(checked.status).toBe("broken");
    expect(checked.variables).toEqual(["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]);
    expect(checked.detail).toContain("code 20003");
  });

  it("404 is an unknown SID, a suspended account is broken", async () => {
    vendor.next({ status: 404, json: { code: 20404, message: "The requested resource was not found" } });
    expect((await checkTwilio(config(), FAST)).variables).toEqual(["TWILIO_ACCOUNT_SID"]);
    vendor.next({ status: 200, json: { status: "suspended", type: "Full" } });
    expect((await checkTwilio(config(), FAST)).status).toBe("broken");
  });
});

describe("Brevo check", () => {
  const config = () => ({ baseUrl: vendor.url, apiKey: "xkeysib-secret" });

  it("GET /v3/account with api-key: ok names the company and plan", async () => {
    vendor.next({
      status: 200,
      json: { email: "a@acme.test", companyName: "Acme", plan: [{ type: "free" }] },
    });
    const checked = await checkBrevo(config(), FAST);
    expect(checked).toMatchObject({ status: "ok", detail: "account Acme, plan free" });
    const request = vendor.only();
    expect(request.url).toBe("/v3/account");
    expect(header(request.headers, "api-key")).toBe("xkeysib-secret");
  });

  it("401 is broken naming BREVO_API_KEY; a restricted key (403 access denied) is a warning", async () => {
    vendor.next({ status: 401, json: { code: "unauthorized", message: "Key not found" } });
    const refused = await checkBrevo(config(), FAST);
    expect(refused).toMatchObject({ status: "broken", variables: ["BREVO_API_KEY"] });
    vendor.next({
      status: 403,
      json: { code: "permission_denied", message: 'Access denied for resource "account"' },
    });
    const restricted = await checkBrevo(config(), FAST);
    expect(restricted.status).toBe("warning");
    expect(restricted.detail).toContain("may still send");
  });
});

describe("Zendesk check", () => {
  const config = () => ({ baseUrl: vendor.url, email: "agent@acme.test", apiToken: "zd-secret" });

  it("GET users/me.json with email/token: an agent is ok", async () => {
    vendor.next({ status: 200, json: { user: { id: 42, email: "agent@acme.test", role: "agent" } } });
    const checked = await checkZendesk(config(), FAST);
    expect(checked).toMatchObject({ status: "ok", detail: "agent@acme.test (agent)" });
    const request = vendor.only();
    expect(request.url).toBe("/api/v2/users/me.json");
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from("agent@acme.test/token:zd-secret").toString("base64")}`,
    );
  });

  it("an anonymous user (id null) and a 401 are both broken", async () => {
    vendor.next({ status: 200, json: { user: { id: null, name: "Anonymous user", role: "end-user" } } });
    const anonymous = await checkZendesk(config(), FAST);
    expect(anonymous.status).toBe("broken");
    expect(anonymous.detail).toContain("anonymous");
    vendor.next({ status: 401, json: { error: "Couldn't authenticate you" } });
    const refused = await checkZendesk(config(), FAST);
    expect(refused).toMatchObject({ status: "broken", variables: ["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"] });
    expect(refused.detail).toContain("Couldn't authenticate you");
  });
});

describe("LLM check", () => {
  const config = (model = "gpt-4o-mini") => ({ baseUrl: `${vendor.url}/v1`, model, apiKey: "sk-secret" });

  it("GET /models lists the configured model: ok; not listed: broken naming LLM_MODEL", async () => {
    const models = {
      object: "list",
      data: [
        { id: "gpt-4o-mini", object: "model" },
        { id: "o3", object: "model" },
      ],
    };
    vendor.next({ status: 200, json: models });
    expect((await checkLlm(config(), FAST)).status).toBe("ok");
    expect(vendor.only().url).toBe("/v1/models");
    vendor.next({ status: 200, json: models });
    const missing = await checkLlm(config("gpt-9"), FAST);
    expect(missing).toMatchObject({ status: "broken", variables: ["LLM_MODEL"] });
    expect(missing.detail).toContain("gpt-4o-mini, o3");
  });

  it("401 invalid_api_key is broken naming LLM_API_KEY", async () => {
    vendor.next({
      status: 401,
      json: {
        error: {
          message: "Incorrect API key provided",
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    });
    const checked = await checkLlm(config(), FAST);
    expect(checked).toMatchObject({ status: "broken", variables: ["LLM_API_KEY"] });
    noSecret(checked, "sk-secret");
  });
});

describe("HubSpot check", () => {
  const properties = [
    { type: "contacts", name: "linkedin_url" },
    { type: "deals", name: "lgm_campaign" },
  ];
  const config = () => ({ baseUrl: vendor.url, token: "pat-na1-secret", properties });

  it("token info, account, then each property: all present is ok", async () => {
    vendor.next(
      { status: 200, json: { userId: 1, hubId: 123, appId: 9, scopes: ["crm.objects.contacts.write"] } },
      { status: 200, json: { portalId: 123, accountType: "STANDARD" } },
      { status: 200, json: { name: "linkedin_url", type: "string" } },
      { status: 200, json: { name: "lgm_campaign", type: "string" } },
    );
    const checked = await checkHubSpot(config(), FAST);
    expect(checked).toMatchObject({ status: "ok", detail: "portal 123 (STANDARD), 2 properties present" });
    expect(vendor.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "POST /oauth/v2/private-apps/get/access-token-info",
      "GET /account-info/v3/details",
      "GET /crm/v3/properties/contacts/linkedin_url",
      "GET /crm/v3/properties/deals/lgm_campaign",
    ]);
    expect(JSON.parse(vendor.requests[0]?.body ?? "{}")).toEqual({ tokenKey: "pat-na1-secret" });
    noSecret(checked, "pat-na1-secret");
  });

  it("a missing property is broken and says connect hubspot creates it", async () => {
    vendor.next(
      { status: 200, json: { hubId: 123 } },
      { status: 200, json: { portalId: 123 } },
      { status: 200, json: { name: "linkedin_url" } },
      {
        status: 404,
        json: { status: "error", message: "Unable to find property", category: "OBJECT_NOT_FOUND" },
      },
    );
    const checked = await checkHubSpot(config(), FAST);
    expect(checked.status).toBe("broken");
    expect(checked.detail).toContain("deals.lgm_campaign");
    expect(checked.fix).toContain("connect hubspot");
  });

  it("an invalid token (401) and a missing scope (403) are broken naming HUBSPOT_TOKEN", async () => {
    vendor.next({
      status: 401,
      json: {
        status: "error",
        message: "Authentication credentials not found",
        category: "INVALID_AUTHENTICATION",
      },
    });
    expect(await checkHubSpot(config(), FAST)).toMatchObject({
      status: "broken",
      variables: ["HUBSPOT_TOKEN"],
    });
    vendor.next(
      { status: 200, json: { hubId: 123 } },
      { status: 200, json: { portalId: 123 } },
      { status: 403, json: { status: "error", message: "missing scopes", category: "MISSING_SCOPES" } },
    );
    const scope = await checkHubSpot(config(), FAST);
    expect(scope.status).toBe("broken");
    expect(scope.fix).toContain("crm.schemas.contacts.read");
  });
});

describe("Meta checks", () => {
  const graph = () => ({ baseUrl: vendor.url, version: "v21.0" });
  const page = () => ({
    ...graph(),
    appId: "111",
    appSecret: "app-secret-x",
    pageToken: "EAAPAGE-secret",
    pageId: "222",
  });
  const allScopes = [
    "leads_retrieval",
    "pages_manage_metadata",
    "pages_show_list",
    "pages_read_engagement",
    "ads_management",
  ];

  it("debug_token with the app token, then lead access: a valid never-expiring page token is ok", async () => {
    vendor.next(
      {
        status: 200,
        json: {
          data: {
            app_id: "111",
            type: "PAGE",
            is_valid: true,
            expires_at: 0,
            scopes: allScopes,
            profile_id: "222",
          },
        },
      },
      {
        status: 200,
        json: { has_lead_access: { can_access_lead: true, app_has_leads_permission: true }, id: "222" },
      },
    );
    const checked = await checkMetaPageToken(page(), FAST);
    expect(checked).toMatchObject({ status: "ok" });
    expect(checked.detail).toContain("never expires");
    const [debug, access] = vendor.requests.map((request) => new URL(request.url, "http://x"));
    expect(debug?.pathname).toBe("/v21.0/debug_token");
    expect(debug?.searchParams.get("access_token")).toBe("111|app-secret-x");
    expect(debug?.searchParams.get("input_token")).toBe("EAAPAGE-secret");
    expect(access?.pathname).toBe("/v21.0/222");
    noSecret(checked, "app-secret-x", "EAAPAGE-secret");
  });

  it("a missing permission is named with what it is for; an invalid token and Leads Access refusals are broken", async () => {
    vendor.next({
      status: 200,
      json: { data: { type: "PAGE", is_valid: true, scopes: ["pages_show_list"] } },
    });
    const scopes = await checkMetaPageToken(page(), FAST);
    expect(scopes.status).toBe("broken");
    expect(scopes.detail).toContain("leads_retrieval (read a lead's answers)");

    vendor.next({
      status: 200,
      json: { data: { is_valid: false, error: { code: 190, message: "Session has expired" } } },
    });
    expect((await checkMetaPageToken(page(), FAST)).detail).toContain("Session has expired");

    vendor.next(
      { status: 200, json: { data: { type: "PAGE", is_valid: true, scopes: allScopes } } },
      {
        status: 200,
        json: {
          has_lead_access: {
            can_access_lead: false,
            failure_reason: "Leads Access Manager is on",
            failure_resolution: "Assign the CRM in Leads Access",
          },
        },
      },
    );
    const leads = await checkMetaPageToken(page(), FAST);
    expect(leads.status).toBe("broken");
    expect(leads.fix).toBe("Assign the CRM in Leads Access");
  });

  it("a refused app token (400, OAuthException) is broken naming META_APP_ID and META_APP_SECRET", async () => {
    vendor.next({
      status: 400,
      json: { error: { message: "Invalid OAuth access token", type: "OAuthException", code: 190 } },
    });
    expect(await checkMetaPageToken(page(), FAST)).toMatchObject({
      status: "broken",
      variables: ["META_APP_ID", "META_APP_SECRET"],
    });
  });

  it("the pixel: readable is ok; a bad token (190) is broken naming META_ACCESS_TOKEN", async () => {
    const pixel = () => ({ ...graph(), pixelId: "333", accessToken: "capi-secret" });
    vendor.next({
      status: 200,
      json: { id: "333", name: "Acme pixel", last_fired_time: "2026-12-01T10:00:00+0000" },
    });
    expect(await checkMetaPixel(pixel(), FAST)).toMatchObject({
      status: "ok",
      detail: "pixel 333 (Acme pixel)",
    });
    vendor.next({
      status: 400,
      json: { error: { message: "Error validating access token", type: "OAuthException", code: 190 } },
    });
    const bad = await checkMetaPixel(pixel(), FAST);
    expect(bad).toMatchObject({ status: "broken", variables: ["META_ACCESS_TOKEN"] });
    noSecret(bad, "capi-secret");
  });
});

describe("Slack webhook check", () => {
  it("without --post-test nothing is sent; with it one marked test message is posted", async () => {
    const url = `${vendor.url}/services/T/B/x`;
    const unposted = await checkSlackWebhook({ url, variable: "SLACK_WEBHOOK_URL", post: false }, FAST);
    expect(unposted.status).toBe("ok");
    expect(vendor.requests).toHaveLength(0);
    vendor.next({ status: 200, text: "ok" });
    const posted = await checkSlackWebhook({ url, variable: "SLACK_WEBHOOK_URL", post: true }, FAST);
    expect(posted.detail).toContain("posted one test message");
    expect(JSON.parse(vendor.only().body)).toEqual({ text: SLACK_TEST_TEXT });
  });

  it("410 channel_is_archived / 403 invalid_token are broken: re-create the webhook", async () => {
    vendor.next({ status: 410, text: "channel_is_archived" });
    const archived = await checkSlackWebhook(
      { url: vendor.url, variable: "SLACK_WEBHOOK_URL", post: true },
      FAST,
    );
    expect(archived.status).toBe("broken");
    expect(archived.fix).toContain("create a new incoming webhook");
    vendor.next({ status: 403, text: "invalid_token" });
    expect(
      (await checkSlackWebhook({ url: vendor.url, variable: "SLACK_WEBHOOK_URL", post: true }, FAST)).status,
    ).toBe("broken");
  });
});

describe("SES sender check (SES v2 REST JSON)", () => {
  const ses = () =>
    createSesClient(
      {
        endpoint: vendor.url,
        region: "eu-west-1",
        credentials: { accessKeyId: "AKID", secretAccessKey: "x" },
      },
      1_000,
    );
  const account = (production: boolean) => ({
    status: 200,
    json: {
      ProductionAccessEnabled: production,
      SendingEnabled: true,
      EnforcementStatus: "HEALTHY",
      SendQuota: { Max24HourSend: 200 },
    },
  });
  const identity = (verified: boolean) => ({
    status: 200,
    json: {
      IdentityType: "DOMAIN",
      VerifiedForSendingStatus: verified,
      VerificationStatus: verified ? "SUCCESS" : "PENDING",
    },
  });
  const notFound = {
    status: 404,
    headers: { "x-amzn-errortype": "NotFoundException" },
    json: { message: "Email identity sales@acme.test does not exist." },
  };

  it("GetAccount, then the address, then its domain: a verified domain with production access is ok", async () => {
    vendor.next(account(true), notFound, identity(true));
    const checked = await checkSesSender(ses(), { from: "Acme <sales@acme.test>", region: "eu-west-1" });
    expect(checked).toMatchObject({
      status: "ok",
      detail: "acme.test verified, production access in eu-west-1",
    });
    expect(vendor.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      "GET /v2/email/account",
      "GET /v2/email/identities/sales%40acme.test",
      "GET /v2/email/identities/acme.test",
    ]);
  });

  it("the sandbox is a warning; an unverified or unknown sender is broken naming EMAIL_FROM", async () => {
    vendor.next(account(false), identity(true));
    expect((await checkSesSender(ses(), { from: "sales@acme.test", region: "eu-west-1" })).status).toBe(
      "warning",
    );
    vendor.next(account(true), identity(false));
    const pending = await checkSesSender(ses(), { from: "sales@acme.test", region: "eu-west-1" });
    expect(pending).toMatchObject({ status: "broken", variables: ["EMAIL_FROM"] });
    vendor.next(account(true), notFound, notFound);
    const unknown = await checkSesSender(ses(), { from: "sales@acme.test", region: "eu-west-1" });
    expect(unknown.detail).toContain("is an SES identity");
  });

  it("403 AccessDenied on GetAccount is broken and says which permissions", async () => {
    vendor.next({
      status: 403,
      headers: { "x-amzn-errortype": "AccessDeniedException" },
      json: { message: "User is not authorized to perform: ses:GetAccount" },
    });
    const denied = await checkSesSender(ses(), { from: "sales@acme.test", region: "eu-west-1" });
    expect(denied.status).toBe("broken");
    expect(denied.fix).toContain("ses:GetAccount");
  });
});

describe("EventBridge bus check (AWS JSON 1.1)", () => {
  const events = () =>
    createEventBridgeClient({
      endpoint: vendor.url,
      region: "eu-west-1",
      credentials: { accessKeyId: "AKID", secretAccessKey: "x" },
    });
  const json11 = { "content-type": "application/x-amz-json-1.1" };

  it("DescribeEventBus: found is ok; not found and access denied are broken", async () => {
    vendor.next({
      status: 200,
      headers: json11,
      text: JSON.stringify({
        Name: "leadrelay-prod",
        Arn: "arn:aws:events:eu-west-1:1:event-bus/leadrelay-prod",
      }),
    });
    expect(await checkEventBus(events(), { name: "leadrelay-prod" })).toMatchObject({
      status: "ok",
      detail: "bus leadrelay-prod",
    });
    const request = vendor.only();
    expect(header(request.headers, "x-amz-target")).toBe("AWSEvents.DescribeEventBus");
    expect(JSON.parse(request.body)).toEqual({ Name: "leadrelay-prod" });

    vendor.next({
      status: 400,
      headers: json11,
      text: JSON.stringify({
        __type: "ResourceNotFoundException",
        message: "Event bus leadrelay-prod does not exist.",
      }),
    });
    const missing = await checkEventBus(events(), { name: "leadrelay-prod" });
    expect(missing.status).toBe("broken");
    expect(missing.fix).toContain("deploy the stage");
    vendor.next({
      status: 400,
      headers: json11,
      text: JSON.stringify({ __type: "AccessDeniedException", message: "not authorized" }),
    });
    expect((await checkEventBus(events(), { name: "leadrelay-prod" })).fix).toContain(
      "events:DescribeEventBus",
    );
  });
});
