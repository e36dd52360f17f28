import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createBrevoEmailSender } from "../../src/adapters/brevo-email";
import { createCloseApi } from "../../src/adapters/close-api";
import { createEventPublisher } from "../../src/adapters/event-publisher";
import { createHubSpotCrm } from "../../src/adapters/hubspot";
import { createConversionsApi } from "../../src/adapters/meta-capi";
import { createLeadAdsReader } from "../../src/adapters/meta-lead-ads";
import { createOpenAiChat } from "../../src/adapters/openai-chat";
import { createSesEmailSender } from "../../src/adapters/ses-email";
import { createSlackPoster } from "../../src/adapters/slack-poster";
import { createTwilioSmsSender } from "../../src/adapters/twilio-sms";
import { createZendeskTicketDesk } from "../../src/adapters/zendesk-tickets";
import { header, startVendorServer, type VendorServer } from "./vendor-server";

/**
 * #22: each vendor's request builder against an example the vendor itself publishes (its API
 * reference, its guide, or an SDK generated from its OpenAPI spec), so that the adapter and its
 * stand-in are not the only judges of each other. Each case names its source. The loopback server
 * answers the vendor's own example response; the request our adapter sends is compared with the
 * vendor's example request.
 *
 * La Growth Machine publishes no OpenAPI document, SDK or request example for its API
 * (`/flow/...` endpoints are described in prose only): its adapter is tested against the shapes in
 * lgm.test.ts and /work/shared/research/integrations.md §6, and nothing here.
 */

let vendor: VendorServer;
beforeAll(async () => {
  vendor = await startVendorServer(() => ({ status: 500, json: { error: "no answer scripted" } }));
});
afterAll(async () => {
  await vendor.close();
});
beforeEach(() => vendor.reset());

const bodyOf = () => JSON.parse(vendor.only().body);

describe("Twilio: Create a Message", () => {
  // twilio.com/docs/messaging/api/message-resource, "Create a Message resource": the example
  // request (body, from, to) and its example JSON response, verbatim but for the elided SIDs.
  const EXAMPLE_RESPONSE = {
    account_sid: "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    api_version: "2010-04-01",
    body: "McAvoy or Stewart? These timelines can get so confusing.",
    date_created: "Thu, 30 Jul 2015 20:12:31 +0000",
    date_sent: "Thu, 30 Jul 2015 20:12:33 +0000",
    date_updated: "Thu, 30 Jul 2015 20:12:33 +0000",
    direction: "outbound-api",
    error_code: null,
    error_message: null,
    from: "+15017122661",
    messaging_service_sid: "MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    num_media: "0",
    num_segments: "1",
    price: null,
    price_unit: null,
    sid: "SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    status: "sent",
    subresource_uris: {
      media:
        "/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Media.json",
    },
    to: "+15558675310",
    uri: "/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages/SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX.json",
  };

  it("sends the example's To, From and Body form-encoded and reads the example's sid and status", async () => {
    vendor.next({ status: 201, json: EXAMPLE_RESPONSE });
    const sid = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    const sms = createTwilioSmsSender(
      { baseUrl: vendor.url, accountSid: sid, authToken: "t" },
      { timeoutMs: 2_000 },
    );
    const sent = await sms.send({
      to: "+15558675310",
      from: "+15017122661",
      body: "McAvoy or Stewart? These timelines can get so confusing.",
    });
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe(`POST /2010-04-01/Accounts/${sid}/Messages.json`);
    expect(header(request.headers, "content-type")).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      To: EXAMPLE_RESPONSE.to,
      From: EXAMPLE_RESPONSE.from,
      Body: EXAMPLE_RESPONSE.body,
    });
    expect(sent).toEqual({ sid: EXAMPLE_RESPONSE.sid, status: "sent" });
  });
});

describe("Brevo: Send a transactional email", () => {
  // developers.brevo.com/docs/send-a-transactional-email ("Example attributes": subject, sender,
  // to, htmlContent, textContent) and the changelog "Email API now supports idempotency"
  // (`headers.idempotencyKey` in the body); the 201 answer `{messageId}` of the API reference.
  it("puts the example's attributes where Brevo's example has them, the idempotency key in headers", async () => {
    vendor.next({ status: 201, json: { messageId: "<201798300811.5787683@relay.domain.com>" } });
    const sender = createBrevoEmailSender(
      { baseUrl: vendor.url, apiKey: "xkeysib-example" },
      { timeoutMs: 2_000 },
    );
    const sent = await sender.send(
      {
        from: { name: "Alex from Brevo", email: "hello@brevo.com" },
        to: { name: "John Doe", email: "johndoe@example.com" },
        subject: "Hello from Brevo!",
        html: "<html><head></head><body><p>Hello,</p>this is my first transactional email sent from Brevo.</p></body></html>",
        text: "Hello, this is my first transactional email sent from Brevo.",
      },
      "brevo-example-key",
    );
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /v3/smtp/email");
    expect(header(request.headers, "api-key")).toBe("xkeysib-example");
    const body = bodyOf();
    expect(body).toMatchObject({
      sender: { name: "Alex from Brevo", email: "hello@brevo.com" },
      to: [{ name: "John Doe", email: "johndoe@example.com" }],
      subject: "Hello from Brevo!",
      htmlContent:
        "<html><head></head><body><p>Hello,</p>this is my first transactional email sent from Brevo.</p></body></html>",
      textContent: "Hello, this is my first transactional email sent from Brevo.",
      headers: { idempotencyKey: expect.any(String) },
    });
    expect(sent).toMatchObject({ messageId: "<201798300811.5787683@relay.domain.com>" });
  });
});

describe("Zendesk: Create Ticket", () => {
  // developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket: the example
  // request `{"ticket": {"comment": {"body": "The smoke is very colorful."}, "priority": "urgent",
  // "subject": "My printer is on fire!"}}` and its 201 `{"ticket": {"id": 35436, …}}`.
  it("nests subject and comment.body under ticket as the example does, and reads the example's id", async () => {
    vendor.next({
      status: 201,
      json: { ticket: { id: 35436, subject: "My printer is on fire!", priority: "urgent", status: "new" } },
    });
    const desk = createZendeskTicketDesk(
      { baseUrl: vendor.url, email: "agent@example.com", apiToken: "token" },
      { timeoutMs: 2_000 },
    );
    const created = await desk.create(
      {
        subject: "My printer is on fire!",
        body: "The smoke is very colorful.",
        requester: { email: "customer@example.com", name: "Customer" },
        tags: [],
      },
      "zendesk-example-key",
    );
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /api/v2/tickets.json");
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from("agent@example.com/token:token").toString("base64")}`,
    );
    expect(bodyOf()).toMatchObject({
      ticket: { subject: "My printer is on fire!", comment: { body: "The smoke is very colorful." } },
    });
    expect(created).toMatchObject({ ticketId: "35436" });
  });
});

describe("OpenAI-compatible LLM: Create chat completion", () => {
  // openai/openai-openapi (openapi.yaml, createChatCompletion, the "Default" example response) and
  // platform.openai.com/docs/guides/structured-outputs (`response_format: {type: "json_schema",
  // json_schema: {name, strict: true, schema}}`).
  const EXAMPLE_RESPONSE = {
    id: "chatcmpl-123",
    object: "chat.completion",
    created: 1677652288,
    model: "gpt-4o-mini",
    system_fingerprint: "fp_44709d6fcb",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "\n\nHello there, how may I assist you today?" },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 },
  };

  it("POSTs the request as given to /chat/completions and reads the example's message and finish reason", async () => {
    vendor.next({ status: 200, json: EXAMPLE_RESPONSE });
    const chat = createOpenAiChat(
      { baseUrl: `${vendor.url}/v1`, apiKey: "sk-example" },
      { timeoutMs: 2_000 },
    );
    const request = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Hello!" }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "math_response",
          strict: true,
          schema: {
            type: "object",
            properties: { final_answer: { type: "string" } },
            required: ["final_answer"],
            additionalProperties: false,
          },
        },
      },
    };
    const answer = await chat.complete(request);
    const sent = vendor.only();
    expect(`${sent.method} ${sent.url}`).toBe("POST /v1/chat/completions");
    expect(header(sent.headers, "authorization")).toBe("Bearer sk-example");
    expect(bodyOf()).toEqual(request);
    expect(answer).toMatchObject({
      content: "\n\nHello there, how may I assist you today?",
      refusal: null,
      finishReason: "stop",
      model: "gpt-4o-mini",
    });
  });
});

describe("Meta Graph: read a lead", () => {
  // developers.facebook.com/docs/marketing-api/guides/lead-ads/retrieving, "Reading an individual
  // lead": the example response (created_time, id, ad_id, form_id, field_data name/values).
  it("reads every field of Meta's example lead", async () => {
    vendor.next({
      status: 200,
      json: {
        created_time: "2015-02-28T08:49:14+0000",
        id: "12345678901234567",
        ad_id: "6045395837290",
        form_id: "1234567890123",
        field_data: [
          { name: "car_make", values: ["Honda"] },
          { name: "full_name", values: ["Joe Example"] },
          { name: "email", values: ["joe@example.com"] },
          { name: "selected_dealer", values: ["99213450"] },
        ],
      },
    });
    const reader = createLeadAdsReader(
      { baseUrl: vendor.url, version: "v21.0", pageAccessToken: "EAAG-example" },
      { timeoutMs: 2_000 },
    );
    const lead = await reader.fetchLead("12345678901234567");
    expect(new URL(vendor.only().url, "http://graph.local").pathname).toBe("/v21.0/12345678901234567");
    expect(lead).toMatchObject({
      id: "12345678901234567",
      created_time: "2015-02-28T08:49:14+0000",
      ad_id: "6045395837290",
      form_id: "1234567890123",
      field_data: [
        { name: "car_make", values: ["Honda"] },
        { name: "full_name", values: ["Joe Example"] },
        { name: "email", values: ["joe@example.com"] },
        { name: "selected_dealer", values: ["99213450"] },
      ],
    });
  });
});

describe("Meta Conversions API: send events", () => {
  // developers.facebook.com/docs/marketing-api/conversions-api/using-the-api: `POST
  // /{API_VERSION}/{PIXEL_ID}/events` with `data` (the example event below) and `access_token`,
  // answered `{"events_received": 1, "messages": [], "fbtrace_id": …}`.
  const EXAMPLE_EVENT = {
    event_name: "Purchase",
    event_time: 1633552688,
    event_id: "event.id.123",
    event_source_url: "http://jaspers-market.com/product/123",
    action_source: "website",
    user_data: {
      client_ip_address: "192.19.9.9",
      client_user_agent: "test ua",
      em: ["309a0a5c3e211326ae75ca18196d301a9bdbd1a882a4d2569511033da23f0abd"],
      ph: ["254aa248acb47dd654ca3ea53f48c2c26d641d23d7e2e93a1ec56258df7674c4"],
      fbc: "fb.1.1554763741205.AbCdEfGhIjKlMnOpQrStUvWxYz1234567890",
      fbp: "fb.1.1558571054389.1098115397",
    },
    custom_data: { value: 100.2, currency: "USD", content_ids: ["product.id.123"], content_type: "product" },
    opt_out: false,
  };

  it("sends Meta's example event untouched in data, with the token in the body, and reads events_received", async () => {
    vendor.next({ status: 200, json: { events_received: 1, messages: [], fbtrace_id: "ABCDEFG" } });
    const capi = createConversionsApi(
      { baseUrl: vendor.url, version: "v21.0", pixelId: "1234567890", accessToken: "EAAB-example" },
      { timeoutMs: 2_000 },
    );
    const receipt = await capi.send([EXAMPLE_EVENT as never]);
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /v21.0/1234567890/events");
    expect(bodyOf()).toMatchObject({ data: [EXAMPLE_EVENT], access_token: "EAAB-example" });
    expect(receipt).toMatchObject({ eventsReceived: 1, messages: [] });
  });
});

describe("Amazon EventBridge: PutEvents", () => {
  // docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html, "Examples": an entry is
  // Source, DetailType, Detail (a JSON string), EventBusName; the answer is FailedEntryCount and one
  // Entries[].EventId per entry ("11710aed-b79e-4468-a20b-bb3c0c3b4860").
  it("sends one entry with the API reference's fields and reads the example's EventId", async () => {
    vendor.next({
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.1" },
      text: JSON.stringify({
        FailedEntryCount: 0,
        Entries: [{ EventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" }],
      }),
    });
    const publisher = createEventPublisher("example-bus", {
      endpoint: vendor.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
      maxAttempts: 1,
    });
    const published = await publisher.publish({
      source: "com.mycompany.myapp",
      detailType: "myDetailType",
      detail: { key1: "value1", key2: "value2" },
    });
    const request = vendor.only();
    expect(header(request.headers, "x-amz-target")).toBe("AWSEvents.PutEvents");
    const [entry, ...more] = bodyOf().Entries;
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      Source: "com.mycompany.myapp",
      DetailType: "myDetailType",
      EventBusName: "example-bus",
    });
    expect(JSON.parse(entry.Detail)).toEqual({ key1: "value1", key2: "value2" });
    expect(published).toEqual({ eventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" });
  });
});

describe("Amazon SES v2: SendEmail", () => {
  // docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, "Request Syntax":
  // `POST /v2/email/outbound-emails` with FromEmailAddress, Destination.ToAddresses and
  // Content.Simple {Subject, Body {Text, Html}} each `{Data, Charset}`; the answer `{"MessageId"}`.
  it("builds the request the API reference's syntax describes", async () => {
    vendor.next({
      status: 200,
      json: { MessageId: "EXAMPLE78603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000" },
    });
    const sender = createSesEmailSender(
      {
        endpoint: vendor.url,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" },
        maxAttempts: 1,
      },
      { timeoutMs: 2_000 },
    );
    const sent = await sender.send(
      {
        from: { email: "sender@example.com" },
        to: { email: "recipient@example.com" },
        subject: "Test email",
        text: "This is the message body in text format.",
        html: "<p>This is the message body in HTML format.</p>",
      },
      "ses-example-key",
    );
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /v2/email/outbound-emails");
    expect(bodyOf()).toMatchObject({
      FromEmailAddress: "sender@example.com",
      Destination: { ToAddresses: ["recipient@example.com"] },
      Content: {
        Simple: {
          Subject: { Data: "Test email" },
          Body: {
            Text: { Data: "This is the message body in text format." },
            Html: { Data: "<p>This is the message body in HTML format.</p>" },
          },
        },
      },
    });
    expect(sent).toMatchObject({ messageId: "EXAMPLE78603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000" });
  });
});

describe("Slack: incoming webhook", () => {
  // docs.slack.dev/messaging/sending-messages-using-incoming-webhooks: `POST` the webhook URL with
  // `Content-type: application/json`, a `text` and (the guide's rich-layout example) `blocks`;
  // Slack answers 200 with the plain text `ok`.
  it("posts the example's JSON to the webhook URL and takes Slack's plain `ok` as success", async () => {
    vendor.next({ status: 200, text: "ok" });
    const slack = createSlackPoster(`${vendor.url}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`, {
      timeoutMs: 2_000,
    });
    const message = {
      text: "Danny Torrence left a 1 star review for your property.",
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: "Danny Torrence left the following review for your property:" },
        },
      ],
    };
    await slack.post(message);
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe(
      "POST /services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    );
    expect(header(request.headers, "content-type")).toMatch(/^application\/json/);
    expect(bodyOf()).toEqual(message);
  });
});

describe("HubSpot: search contacts", () => {
  // developers.hubspot.com/docs/api/crm/search, "Filter search results": `POST
  // /crm/v3/objects/contacts/search` with `{"filterGroups": [{"filters": [{"propertyName": "email",
  // "operator": "EQ", "value": …}]}]}`; the answer `{"total", "results": [{"id", "properties"}]}`
  // (CollectionResponseWithTotalSimplePublicObjectForwardPaging in HubSpot/hubspot-api-nodejs).
  it("filters with the guide's filterGroups shape and reads the example's results", async () => {
    vendor.next({
      status: 200,
      json: {
        total: 1,
        results: [
          {
            id: "512",
            properties: { email: "alice@hubspot.com", firstname: "Alice" },
            createdAt: "2024-01-01T00:00:00.000Z",
            updatedAt: "2024-01-01T00:00:00.000Z",
            archived: false,
          },
        ],
      },
    });
    const crm = createHubSpotCrm({ baseUrl: vendor.url, token: "pat-na1-example" }, { timeoutMs: 2_000 });
    const found = await crm.searchContacts("email", "alice@hubspot.com", ["email", "firstname"]);
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /crm/v3/objects/contacts/search");
    expect(bodyOf()).toMatchObject({
      filterGroups: [{ filters: [{ propertyName: "email", operator: "EQ", value: "alice@hubspot.com" }] }],
      properties: ["email", "firstname"],
    });
    expect(JSON.stringify(found)).toContain("512");
  });
});

describe("Close: create a note", () => {
  // developer.close.com/resources/activities/note/: `POST /api/v1/activity/note/` with
  // `{"lead_id": …, "note": …}`, answered with the note (its `id` "acti_…").
  it("posts lead_id and note as Close's reference shows and reads the note id", async () => {
    vendor.next({
      status: 200,
      json: {
        id: "acti_3fAUmcz5lxuQ39jd6q5H0bFpKOExd9AUadzQK1vZmEp",
        lead_id: "lead_example1",
        note: "Hello",
      },
    });
    const close = createCloseApi(
      { baseUrl: `${vendor.url}/api/v1`, apiKey: "api_example" },
      { timeoutMs: 2_000 },
    );
    const { noteId } = await close.createNote("lead_example1", "Hello");
    const request = vendor.only();
    expect(`${request.method} ${request.url}`).toBe("POST /api/v1/activity/note/");
    expect(header(request.headers, "authorization")).toBe(
      `Basic ${Buffer.from("api_example:").toString("base64")}`,
    );
    expect(bodyOf()).toMatchObject({ lead_id: "lead_example1", note: "Hello" });
    expect(noteId).toBe("acti_3fAUmcz5lxuQ39jd6q5H0bFpKOExd9AUadzQK1vZmEp");
  });
});
