import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createOpenAiChat, durationSeconds } from "../../src/adapters/openai-chat";
import { failureOf, header, startVendorServer, type VendorAnswer, type VendorServer } from "./vendor-server";

const API_KEY = "sk-test-0123456789abcdef";
const BODY = {
  model: "gpt-4o-mini",
  temperature: 0,
  messages: [
    { role: "system", content: "Classify." },
    { role: "user", content: "<lead_message>\nWe need 40 seats by Friday\n</lead_message>" },
  ],
  response_format: {
    type: "json_schema",
    json_schema: { name: "lead_triage", strict: true, schema: { type: "object" } },
  },
};

function completion(
  message: Record<string, unknown>,
  finishReason: string | null = "stop",
  model = "gpt-4o-mini-2024-07-18",
): VendorAnswer {
  return {
    status: 200,
    json: {
      id: "chatcmpl-abc123",
      object: "chat.completion",
      created: 1_767_225_600,
      model,
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finishReason }],
      usage: { prompt_tokens: 90, completion_tokens: 12, total_tokens: 102 },
    },
  };
}

function openAiError(status: number, code: string | null, type: string, message: string): VendorAnswer {
  return { status, json: { error: { message, type, param: null, code } } };
}

let server: VendorServer;
let chat: ReturnType<typeof createOpenAiChat>;

beforeAll(async () => {
  server = await startVendorServer(() =>
    completion({ content: '{"label":"URGENT_BUYER","reason":"40 seats by Friday"}', refusal: null }),
  );
  chat = createOpenAiChat({ baseUrl: `${server.url}/v1`, apiKey: API_KEY }, { timeoutMs: 300 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe("OpenAI-compatible chat adapter: answers", () => {
  it("POSTs the body as given to /chat/completions with a Bearer key and returns choices[0]", async () => {
    const answer = await chat.complete(BODY);

    const request = server.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/v1/chat/completions");
    expect(header(request.headers, "authorization")).toBe(`Bearer ${API_KEY}`);
    expect(JSON.parse(request.body)).toEqual(BODY);
    expect(answer).toEqual({
      content: '{"label":"URGENT_BUYER","reason":"40 seats by Friday"}',
      refusal: null,
      finishReason: "stop",
      model: "gpt-4o-mini-2024-07-18",
    });
  });

  it("sends no Authorization header without a key (Ollama, llama.cpp)", async () => {
    const local = createOpenAiChat({ baseUrl: `${server.url}/v1` });
    await local.complete(BODY);
    expect(header(server.only().headers, "authorization")).toBeUndefined();
  });

  it("passes invalid JSON content through untouched: judging it is the caller's job", async () => {
    server.next(completion({ content: "Sure! The label is URGENT_BUYER", refusal: null }));
    expect((await chat.complete(BODY)).content).toBe("Sure! The label is URGENT_BUYER");
  });

  it("returns a refusal as refusal, with no content", async () => {
    server.next(completion({ content: null, refusal: "I can't help with that." }));
    const answer = await chat.complete(BODY);
    expect(answer.content).toBeNull();
    expect(answer.refusal).toBe("I can't help with that.");
  });

  it("reports finish_reason length (a cut answer) as it is", async () => {
    server.next(completion({ content: '{"label":"URG', refusal: null }, "length"));
    const answer = await chat.complete(BODY);
    expect(answer).toMatchObject({ content: '{"label":"URG', finishReason: "length" });
  });

  it("joins the text parts of a content list (some servers answer parts)", async () => {
    server.next(
      completion({
        content: [
          { type: "text", text: '{"label":' },
          { type: "text", text: '"SPAM"}' },
        ],
      }),
    );
    expect((await chat.complete(BODY)).content).toBe('{"label":"SPAM"}');
  });

  it("a 200 without choices is the server misbehaving: unavailable", async () => {
    server.next({ status: 200, json: { object: "chat.completion", choices: [] } });
    expect((await failureOf(chat.complete(BODY))).name).toBe("ServiceUnavailable");
  });
});

describe("OpenAI-compatible chat adapter: failures", () => {
  it("429 rate_limit_exceeded is rate limited with Retry-After in the error", async () => {
    server.next({
      ...openAiError(429, "rate_limit_exceeded", "requests", "Rate limit reached for gpt-4o-mini"),
      headers: { "retry-after": "20", "x-ratelimit-remaining-requests": "0" },
    });
    const error = await failureOf(chat.complete(BODY));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.code).toBe("rate_limit_exceeded");
    expect(error.retryAfterSeconds).toBe(20);
    expect(error.message).toContain("Retry-After 20s");
    expect(error.message).toContain("Rate limit reached");
  });

  it("retry-after-ms wins; without either, x-ratelimit-reset-requests gives the wait", async () => {
    server.next({
      ...openAiError(429, "rate_limit_exceeded", "requests", "slow down"),
      headers: { "retry-after-ms": "1500", "retry-after": "9" },
    });
    expect((await failureOf(chat.complete(BODY))).retryAfterSeconds).toBe(2);

    server.next({ status: 429, headers: { "x-ratelimit-reset-requests": "6m0s" }, json: {} });
    const bare = await failureOf(chat.complete(BODY));
    expect(bare.name).toBe("ServiceRateLimited");
    expect(bare.retryAfterSeconds).toBe(360);
  });

  it("429 insufficient_quota is a used-up quota: retrying cannot help", async () => {
    server.next(
      openAiError(429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota"),
    );
    const error = await failureOf(chat.complete(BODY));
    expect(error.name).toBe("ServiceQuotaExhausted");
    expect(error.code).toBe("insufficient_quota");
  });

  it("503 server_is_overloaded and 500 are unavailable", async () => {
    server.next(openAiError(503, "server_is_overloaded", "server_error", "The server is overloaded"));
    const overloaded = await failureOf(chat.complete(BODY));
    expect(overloaded.name).toBe("ServiceUnavailable");
    expect(overloaded.code).toBe("server_is_overloaded");

    server.next(openAiError(500, null, "server_error", "The server had an error"));
    expect((await failureOf(chat.complete(BODY))).name).toBe("ServiceUnavailable");
  });

  it("401, 403 and 404 are rejected, the key kept out of the message", async () => {
    server.next(openAiError(401, "invalid_api_key", "invalid_request_error", "Incorrect API key provided"));
    const unauthorized = await failureOf(chat.complete(BODY));
    expect(unauthorized.name).toBe("ServiceRejected");
    expect(unauthorized.code).toBe("invalid_api_key");
    expect(unauthorized.message).not.toContain(API_KEY);

    server.next(openAiError(403, "unsupported_country_region_territory", "request_forbidden", "Forbidden"));
    expect((await failureOf(chat.complete(BODY))).name).toBe("ServiceRejected");

    server.next(openAiError(404, "model_not_found", "invalid_request_error", "The model does not exist"));
    expect((await failureOf(chat.complete(BODY))).name).toBe("ServiceRejected");
  });

  it("no answer within the timeout is unavailable", async () => {
    server.next({ status: 200, hang: true });
    const error = await failureOf(chat.complete(BODY));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.message).toContain("no answer within 300 ms");
  });
});

describe("durationSeconds", () => {
  it("reads OpenAI's reset durations, rounded up to seconds", () => {
    expect(durationSeconds("1s")).toBe(1);
    expect(durationSeconds("6m0s")).toBe(360);
    expect(durationSeconds("1h2m3s")).toBe(3723);
    expect(durationSeconds("120ms")).toBe(1);
    expect(durationSeconds("0.5s")).toBe(1);
    expect(durationSeconds("soon")).toBeUndefined();
    expect(durationSeconds(null)).toBeUndefined();
  });
});
