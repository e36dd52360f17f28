import { rawEventKey } from "@leadrelay/core";
import { createBrevoEmailSender } from "@leadrelay/functions/adapters/brevo-email";
import { createCloseApi } from "@leadrelay/functions/adapters/close-api";
import { createOpenAiChat } from "@leadrelay/functions/adapters/openai-chat";
import { createSesEmailSender } from "@leadrelay/functions/adapters/ses-email";
import { createTwilioSmsSender } from "@leadrelay/functions/adapters/twilio-sms";
import { createZendeskTicketDesk } from "@leadrelay/functions/adapters/zendesk-tickets";
import { basicAuth } from "@leadrelay/functions/http-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTriageRequest, parseTriageAnswer } from "../../flows/triage/src/domain/llm-prompt";
import { classifyLocally } from "../../flows/triage/src/domain/local-classifier";
import { sanitizeMessage } from "../../flows/triage/src/domain/sanitize";
import { LOCAL_CREDENTIALS, LOCAL_REGION, type Runtime } from "../src/runtime";
import { leadBody, post, startTestRuntime } from "./harness";

/** A lead no demo file describes: the Close stand-in can only know it from its stored webhook. */
const WEBHOOK_LEAD = "lead_StandInTest7Wq2Zx9Lm4Kb1Rn";
const DEMO_LEAD = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";
const EMAIL = {
  from: { email: "leadrelay@localhost.test", name: "Leadrelay" },
  to: { email: "maya.okafor@harborpine.example", name: "Maya Okafor" },
  subject: "Thanks for your interest",
  text: "Hi Maya",
  html: "<p>Hi Maya</p>",
};

let runtime: Runtime;
let settings: Record<string, string>;

function setting(name: string): string {
  const value = settings[name];
  if (value === undefined) throw new Error(`${name} was not filled`);
  return value;
}

async function failureOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  scripted?: boolean;
}

async function recorded(slug: string): Promise<Recorded[]> {
  const response = await fetch(`${runtime.url}/_local/${slug}/_requests`);
  return ((await response.json()) as { requests: Recorded[] }).requests;
}

const closeApi = () =>
  createCloseApi({ baseUrl: setting("CLOSE_API_BASE_URL"), apiKey: setting("CLOSE_API_KEY") });
const closeAuth = () => ({ authorization: basicAuth(setting("CLOSE_API_KEY"), "") });
const twilio = () =>
  createTwilioSmsSender({
    baseUrl: setting("TWILIO_BASE_URL"),
    accountSid: setting("TWILIO_ACCOUNT_SID"),
    authToken: setting("TWILIO_AUTH_TOKEN"),
  });
const brevo = () =>
  createBrevoEmailSender({ baseUrl: setting("BREVO_BASE_URL"), apiKey: setting("BREVO_API_KEY") });
const zendesk = () =>
  createZendeskTicketDesk({
    baseUrl: setting("ZENDESK_BASE_URL"),
    email: setting("ZENDESK_EMAIL"),
    apiToken: setting("ZENDESK_API_TOKEN"),
  });
const sesConfig = () => ({
  endpoint: `${runtime.url}/_local/ses`,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
});

beforeAll(async () => {
  runtime = await startTestRuntime({ flows: "announce" });
  settings = runtime.settings as Record<string, string>;
});
afterAll(async () => {
  await runtime.stop();
});

describe("stand-in settings", () => {
  it("fills every vendor's base URL, dummy credentials and local defaults; the LLM stays unset", () => {
    expect(setting("CLOSE_API_BASE_URL")).toBe(`${runtime.url}/_local/close/api/v1`);
    expect(setting("CLOSE_TRIAGE_FIELD_ID")).toBe("cf_leadrelayTriageLocal");
    expect(setting("TWILIO_BASE_URL")).toBe(`${runtime.url}/_local/twilio`);
    expect(setting("TWILIO_ACCOUNT_SID")).toMatch(/^AC0{32}$/);
    expect(setting("ON_CALL_PHONE")).toBe("+15550100001");
    expect(setting("BREVO_BASE_URL")).toBe(`${runtime.url}/_local/brevo`);
    expect(setting("EMAIL_FROM")).toBe("leadrelay@localhost.test");
    expect(setting("ZENDESK_BASE_URL")).toBe(`${runtime.url}/_local/zendesk`);
    expect(settings.LLM_BASE_URL).toBeUndefined();
  });
});

describe("Close stand-in", () => {
  it("answers GET lead from the stored webhook, in Close's lead shape", async () => {
    const delivered = await post(runtime.webhookUrl, leadBody(WEBHOOK_LEAD, "Stand-in Test Co"));
    expect(delivered.status).toBe(202);
    expect(await runtime.store.get(rawEventKey(WEBHOOK_LEAD))).toBeDefined();

    const lead = await closeApi().getLead(WEBHOOK_LEAD);

    expect(lead.id).toBe(WEBHOOK_LEAD);
    expect(lead.display_name).toBe("Stand-in Test Co");
    expect(lead.description).toBe("Inbound demo request from the pricing page.");
    expect(lead["custom.cf_Src9Zq2Xk5Lm8Wp1Tn4Yb7Hd0Jc3Fv6Ga9Ue2Oi5Rs8K"]).toBe("Website");
    // The sample webhook carries only contact ids, as real ones often do.
    expect(lead.contacts).toEqual([
      expect.objectContaining({
        id: "cont_3Rk9Wq1Zx5Lm8Np2Tb6Yc0Hv4Jd7Fs3Ga9Ue1Oi5Kw2",
        emails: [],
        phones: [],
      }),
    ]);
  });

  it("answers a demo lead from its stand-in file, with a contact's email and phone", async () => {
    const lead = await closeApi().getLead(DEMO_LEAD);
    expect(lead.contacts[0]).toMatchObject({
      name: "Maya Okafor",
      emails: [{ email: "maya.okafor@harborpine.example" }],
      phones: [{ phone: "+14155550123" }],
    });
  });

  it("answers 404 for a lead it cannot know, and 401 without Basic credentials", async () => {
    const missing = await failureOf(closeApi().getLead("lead_NoSuchLeadAnywhere0"));
    expect(missing.name).toBe("ServiceRejected");
    expect(missing.status).toBe(404);
    expect(missing.message).toContain("Lead not found");

    const anonymous = await fetch(`${setting("CLOSE_API_BASE_URL")}/lead/${DEMO_LEAD}/`);
    expect(anonymous.status).toBe(401);
  });

  it("keeps a PUT: the next GET shows the custom field; unknown fields are refused", async () => {
    const field = `custom.${setting("CLOSE_TRIAGE_FIELD_ID")}`;
    await closeApi().updateLead(WEBHOOK_LEAD, { [field]: "URGENT_BUYER" });

    const lead = await closeApi().getLead(WEBHOOK_LEAD);
    expect(lead[field]).toBe("URGENT_BUYER");
    expect(lead.display_name).toBe("Stand-in Test Co");

    const refused = await failureOf(closeApi().updateLead(WEBHOOK_LEAD, { "custom.Triage label": "x" }));
    expect(refused.name).toBe("ServiceRejected");
    expect(refused.message).toContain("custom.Triage label");
  });

  it("stores notes with acti_ ids and lists them per lead", async () => {
    const { noteId } = await closeApi().createNote(WEBHOOK_LEAD, "Triage: URGENT_BUYER (40 seats)");
    expect(noteId).toMatch(/^acti_[A-Za-z0-9]{43}$/);

    const listing = await fetch(`${setting("CLOSE_API_BASE_URL")}/activity/note/?lead_id=${WEBHOOK_LEAD}`, {
      headers: closeAuth(),
    });
    const body = (await listing.json()) as { data: Array<Record<string, unknown>>; has_more: boolean };
    expect(body.has_more).toBe(false);
    expect(body.data).toEqual([
      expect.objectContaining({ id: noteId, lead_id: WEBHOOK_LEAD, note: "Triage: URGENT_BUYER (40 seats)" }),
    ]);

    const unknown = await failureOf(closeApi().createNote("lead_NoSuchLeadAnywhere0", "x"));
    expect(unknown.name).toBe("ServiceRejected");
  });
});

describe("Twilio stand-in", () => {
  it("queues a valid SMS and refuses a To that is not E.164 with code 21211", async () => {
    const sent = await twilio().send({
      to: setting("ON_CALL_PHONE"),
      from: setting("TWILIO_FROM"),
      body: "URGENT",
    });
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe("queued");

    const invalid = await failureOf(
      twilio().send({ to: "555-0100", from: setting("TWILIO_FROM"), body: "x" }),
    );
    expect(invalid.name).toBe("ServiceRejected");
    expect(invalid.code).toBe("21211");
  });

  it("answers 401 with code 20003 without credentials", async () => {
    const response = await fetch(
      `${setting("TWILIO_BASE_URL")}/2010-04-01/Accounts/${setting("TWILIO_ACCOUNT_SID")}/Messages.json`,
      { method: "POST", body: new URLSearchParams({ To: "+15550100001", From: "+15550100000", Body: "x" }) },
    );
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 20003, status: 401 });
  });
});

describe("Brevo stand-in", () => {
  it("sends once per idempotency key: the second send is a duplicate", async () => {
    const first = await brevo().send(EMAIL, "triage-email-lead_BrevoTest1");
    expect(first.messageId).toMatch(/^<\d{14}\.[0-9a-f]+@smtp-relay\.mailin\.fr>$/);
    expect(first.duplicate).toBeUndefined();

    const again = await brevo().send(EMAIL, "triage-email-lead_BrevoTest1");
    expect(again).toEqual({ messageId: "duplicate:triage-email-lead_BrevoTest1", duplicate: true });

    expect((await brevo().send(EMAIL, "triage-email-lead_BrevoTest2")).duplicate).toBeUndefined();
  });

  it("refuses a missing subject and a missing api-key as Brevo does", async () => {
    const url = `${setting("BREVO_BASE_URL")}/v3/smtp/email`;
    const body = JSON.stringify({ sender: EMAIL.from, to: [EMAIL.to], textContent: "x" });
    const missing = await fetch(url, {
      method: "POST",
      headers: { "api-key": "k", "content-type": "application/json" },
      body,
    });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: "missing_parameter" });

    const anonymous = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: "unauthorized" });
  });
});

describe("Zendesk stand-in", () => {
  const ticket = {
    subject: "Cannot log in",
    body: "Since yesterday I cannot log in.",
    requester: { email: "maya.okafor@harborpine.example", name: "Maya Okafor" },
    tags: ["leadrelay"],
  };

  it("creates a ticket once per Idempotency-Key and refuses the key with other parameters", async () => {
    const first = await zendesk().create(ticket, "triage-ticket-lead_ZendeskTest1");
    expect(first.ticketId).toMatch(/^\d+$/);
    expect(first.url).toBe(`${setting("ZENDESK_BASE_URL")}/api/v2/tickets/${first.ticketId}.json`);
    expect(first.duplicate).toBeUndefined();

    const again = await zendesk().create(ticket, "triage-ticket-lead_ZendeskTest1");
    expect(again).toEqual({ ...first, duplicate: true });

    const changed = await failureOf(
      zendesk().create({ ...ticket, subject: "Other" }, "triage-ticket-lead_ZendeskTest1"),
    );
    expect(changed.name).toBe("ServiceRejected");
    expect(changed.status).toBe(400);
    expect(changed.message).toContain("IdempotentRequestError");

    const other = await zendesk().create(ticket, "triage-ticket-lead_ZendeskTest2");
    expect(Number(other.ticketId)).toBe(Number(first.ticketId) + 1);
  });

  it("answers 401 without Basic credentials", async () => {
    const response = await fetch(`${setting("ZENDESK_BASE_URL")}/api/v2/tickets.json`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ticket: { comment: { body: "x" } } }),
    });
    expect(response.status).toBe(401);
  });
});

describe("SES stand-in", () => {
  it("accepts SendEmail from the real SDK client and answers a MessageId", async () => {
    const sent = await createSesEmailSender(sesConfig()).send(EMAIL, "triage-email-lead_SesTest1");
    expect(sent.messageId).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
  });

  it("refuses a request without a sender in SES's error shape, which the SDK parses", async () => {
    const error = await failureOf(
      createSesEmailSender(sesConfig()).send({ ...EMAIL, from: { email: "" } }, "triage-email-lead_SesTest2"),
    );
    // The code is the exception name the SDK read from SES's x-amzn-ErrorType answer.
    expect(error.name).toBe("ServiceRejected");
    expect(error.code).toBe("BadRequestException");
    expect(error.status).toBe(400);
    expect(error.message).toContain("FromEmailAddress");
  });
});

describe("LLM stand-in", () => {
  const chat = () => createOpenAiChat({ baseUrl: `${runtime.url}/_local/llm/v1` });

  it("labels the lead's message with the triage flow's offline classifier, in the documented shape", async () => {
    const message = sanitizeMessage("We need 40 seats by Friday, budget approved, ready to sign today.");
    const expected = classifyLocally(message).label;

    const answer = await chat().complete({ ...buildTriageRequest("stand-in", message) });

    expect(answer.finishReason).toBe("stop");
    expect(answer.refusal).toBeNull();
    expect(answer.model).toBe("stand-in");
    const parsed = parseTriageAnswer(answer.content);
    expect(parsed).toMatchObject({ ok: true, label: expected });
  });

  it("answers the first label when the classifier's label is not among those offered", async () => {
    const request = buildTriageRequest("stand-in", sanitizeMessage("Please send me your price list."));
    const format = request.response_format;
    const schema = {
      ...format.json_schema.schema,
      properties: {
        ...format.json_schema.schema.properties,
        label: { type: "string", enum: ["hot", "cold"] },
      },
    };
    const body = {
      ...request,
      response_format: { ...format, json_schema: { ...format.json_schema, schema } },
    };

    const answer = await chat().complete(body);

    expect(JSON.parse(answer.content ?? "")).toMatchObject({ label: "hot" });
  });
});

describe("the stand-in mechanism", () => {
  it("_fail scripts status, headers, body and times; _requests lists them with credentials redacted", async () => {
    const script = await fetch(`${runtime.url}/_local/twilio/_fail`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        status: 429,
        headers: { "retry-after": "3" },
        body: { code: 20429, message: "Too Many Requests", status: 429 },
        times: 2,
      }),
    });
    expect(script.status).toBe(201);
    const sms = { to: setting("ON_CALL_PHONE"), from: setting("TWILIO_FROM"), body: "scripted" };

    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await failureOf(twilio().send(sms));
      expect(error.name).toBe("ServiceRateLimited");
      expect(error.retryAfterSeconds).toBe(3);
      expect(error.code).toBe("20429");
    }
    expect((await twilio().send(sms)).status).toBe("queued");

    const requests = (await recorded("twilio")).filter(
      (request) => (request.body as { Body?: string } | undefined)?.Body === "scripted",
    );
    expect(requests.map((request) => [request.status, request.scripted ?? false])).toEqual([
      [429, true],
      [429, true],
      [201, false],
    ]);
    for (const request of requests) expect(request.headers.authorization).toBe("[redacted]");
    expect(JSON.stringify(requests)).not.toContain(setting("TWILIO_AUTH_TOKEN"));

    const brevoRequests = await recorded("brevo");
    expect(brevoRequests.length).toBeGreaterThan(0);
    expect(JSON.stringify(brevoRequests)).not.toContain(setting("BREVO_API_KEY"));
  });

  it("_fail can hold an answer back (delayMs) so a short client timeout fires", async () => {
    await fetch(`${runtime.url}/_local/zendesk/_fail`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 503, delayMs: 400, path: "/api/v2/tickets" }),
    });
    const desk = createZendeskTicketDesk(
      {
        baseUrl: setting("ZENDESK_BASE_URL"),
        email: setting("ZENDESK_EMAIL"),
        apiToken: setting("ZENDESK_API_TOKEN"),
      },
      { timeoutMs: 150 },
    );
    const error = await failureOf(
      desk.create(
        { subject: "s", body: "b", requester: { email: "a@example.com" } },
        "triage-ticket-lead_SlowZendesk",
      ),
    );
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.message).toContain("no answer within 150 ms");
  });
});
