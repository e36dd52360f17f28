import {
  type ChatCompletions,
  ServiceQuotaExhausted,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { type Classifier, createHttpClient, type HttpClientOptions, retryAfterSeconds } from "../http-client";
import { headerNote, vendorFailure, withNote } from "./vendor-failure";

export interface OpenAiChatConfig {
  /** `LLM_BASE_URL`, the part before `/chat/completions`: https://api.openai.com/v1, http://localhost:11434/v1 */
  baseUrl: string;
  /** `LLM_API_KEY`; local servers (Ollama, llama.cpp) need none. */
  apiKey?: string;
}

const SERVICE = "llm";
const RATE_LIMIT_HEADERS = [
  "retry-after",
  "retry-after-ms",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
];

/** OpenAI's reset headers are durations like `1s`, `6m0s` or `120ms`; seconds, rounded up. */
export function durationSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== value.trim()) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const seconds = parts.reduce((sum, part) => sum + Number(part[1]) * (unit[part[2] ?? "s"] ?? 1), 0);
  return Math.ceil(seconds);
}

function errorOf(body: unknown): { code?: string; type?: string; message?: string } {
  const error = (body as { error?: unknown } | undefined)?.error;
  if (typeof error === "string") return { message: error };
  if (typeof error !== "object" || error === null) return {};
  const { code, type, message } = error as Record<string, unknown>;
  return {
    code: typeof code === "string" || typeof code === "number" ? String(code) : undefined,
    type: typeof type === "string" ? type : undefined,
    message: typeof message === "string" ? message : undefined,
  };
}

/**
 * OpenAI's 429 means two things: `rate_limit_exceeded` (wait and retry, Retry-After says how long)
 * and `insufficient_quota` (billing: retrying cannot help). 503 `server_is_overloaded` and other
 * 5xx are worth a retry; 401/403/404 (key, permission, model) are not. Local OpenAI-compatible
 * servers send the same envelope, often without a code: a bare 429 is a rate limit.
 */
export const classifyOpenAiError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const error = errorOf(response.json);
  const detailed = vendorFailure(failure, error.message, error.code ?? error.type);
  if (response.status === 429) {
    if (error.code === "insufficient_quota" || error.type === "insufficient_quota") {
      return new ServiceQuotaExhausted(detailed);
    }
    const seconds =
      retryAfterSeconds(response.headers) ??
      durationSeconds(response.headers.get("x-ratelimit-reset-requests")) ??
      durationSeconds(response.headers.get("x-ratelimit-reset-tokens"));
    return new ServiceRateLimited(
      withNote(detailed, headerNote(response.headers, RATE_LIMIT_HEADERS)),
      seconds,
    );
  }
  if (response.status >= 500 || response.status === 408) return new ServiceUnavailable(detailed);
  return new ServiceRejected(detailed);
};

/** Message content is a string, or (some servers) a list of parts of which the text ones count. */
function textOf(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const texts = content
    .map((part) => (part as { type?: unknown; text?: unknown } | null)?.text)
    .filter((text): text is string => typeof text === "string");
  return texts.length > 0 ? texts.join("") : null;
}

/**
 * `POST {LLM_BASE_URL}/chat/completions` on any OpenAI-compatible server. Returns what
 * `choices[0]` says (content, refusal, finish_reason) without judging it: servers can ignore
 * `response_format` and still answer 200, so the caller validates the content.
 */
export function createOpenAiChat(
  config: OpenAiChatConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): ChatCompletions {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {},
    classify: classifyOpenAiError,
    ...options,
  });

  return {
    async complete(body) {
      const response = await client.request({ method: "POST", path: "chat/completions", json: body });
      const answer = (response.json ?? {}) as { model?: unknown; choices?: unknown };
      const choice = Array.isArray(answer.choices)
        ? (answer.choices[0] as { message?: Record<string, unknown>; finish_reason?: unknown } | undefined)
        : undefined;
      if (!choice || typeof choice !== "object") {
        // No choice at all is not an answer to validate: the server misbehaved, like a 5xx.
        const error = errorOf(response.json);
        throw new ServiceUnavailable({
          service: SERVICE,
          status: response.status,
          ...(error.code ? { code: error.code } : {}),
          detail: `POST /chat/completions: ${error.message ?? "answer has no choices"}`.slice(0, 300),
        });
      }
      const message = choice.message ?? {};
      return {
        content: textOf(message.content),
        refusal: typeof message.refusal === "string" ? message.refusal : null,
        finishReason: typeof choice.finish_reason === "string" ? choice.finish_reason : null,
        ...(typeof answer.model === "string" ? { model: answer.model } : {}),
      };
    },
  };
}
