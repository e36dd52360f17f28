import {
  deterministicUuid,
  type EmailSender,
  type OutboundEmail,
  ServiceQuotaExhausted,
  ServiceRateLimited,
  ServiceRejected,
} from "@leadrelay/core";
import { type Classifier, createHttpClient, type HttpClientOptions, retryAfterSeconds } from "../http-client";
import { headerNote, vendorFailure, withNote } from "./vendor-failure";

export interface BrevoConfig {
  /** `BREVO_BASE_URL`, https://api.brevo.com on AWS. */
  baseUrl: string;
  /** `BREVO_API_KEY` (xkeysib-…), sent in the `api-key` header. */
  apiKey: string;
}

const SERVICE = "brevo";
/** What Brevo answers (400) to an idempotency key it has already processed within its 30 minutes. */
export const BREVO_DUPLICATE_CODE = "duplicate_parameter";
const RATE_LIMIT_HEADERS = ["x-sib-ratelimit-limit", "x-sib-ratelimit-remaining", "x-sib-ratelimit-reset"];

/** Brevo's 429 names no Retry-After: `x-sib-ratelimit-reset` is the seconds until the window resets. */
function resetSeconds(headers: Headers): number | undefined {
  const fromStandard = retryAfterSeconds(headers);
  if (fromStandard !== undefined) return fromStandard;
  const reset = Number(headers.get("x-sib-ratelimit-reset"));
  return headers.has("x-sib-ratelimit-reset") && Number.isFinite(reset) && reset >= 0
    ? Math.ceil(reset)
    : undefined;
}

/** Brevo's error body is `{code, message}`; the code (`unauthorized`, `not_enough_credits`…) goes into `code`. */
export const classifyBrevoError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const body = (response.json ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof body.code === "string" ? body.code : undefined;
  const detailed = vendorFailure(failure, typeof body.message === "string" ? body.message : undefined, code);
  if (response.status === 429) {
    return new ServiceRateLimited(
      withNote(detailed, headerNote(response.headers, RATE_LIMIT_HEADERS)),
      resetSeconds(response.headers),
    );
  }
  if (response.status === 402 || code === "not_enough_credits") return new ServiceQuotaExhausted(detailed);
  if (response.status >= 400 && response.status < 500) return new ServiceRejected(detailed);
  return undefined;
};

function address(entry: { email: string; name?: string }) {
  return entry.name ? { email: entry.email, name: entry.name } : { email: entry.email };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Brevo documents the key as a UUID: any other key becomes the same UUID on every attempt. */
export function brevoIdempotencyKey(key: string): string {
  return UUID.test(key) ? key : deterministicUuid("brevo", key);
}

/** The body of `POST /v3/smtp/email`: a template with params, or the subject with HTML and text. */
export function brevoEmailBody(message: OutboundEmail, idempotencyKey: string): Record<string, unknown> {
  const content =
    message.templateId === undefined
      ? { subject: message.subject, htmlContent: message.html, textContent: message.text }
      : {
          templateId: message.templateId,
          ...(message.params ? { params: message.params } : {}),
          // Given with a template, the subject replaces the template's own.
          ...(message.subject ? { subject: message.subject } : {}),
        };
  return {
    sender: address(message.from),
    to: [address(message.to)],
    ...content,
    ...(message.tags && message.tags.length > 0 ? { tags: message.tags } : {}),
    headers: { idempotencyKey: brevoIdempotencyKey(idempotencyKey) },
  };
}

/**
 * Brevo transactional email: `POST /v3/smtp/email` with the `api-key` header. The idempotency key
 * travels in the body (`headers.idempotencyKey`, kept 30 minutes by Brevo); a key Brevo has
 * already processed answers 400 `duplicate_parameter`, which means the email went out before.
 */
export function createBrevoEmailSender(
  config: BrevoConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): EmailSender {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { "api-key": config.apiKey },
    classify: classifyBrevoError,
    ...options,
  });

  return {
    provider: "brevo",
    async send(message, idempotencyKey) {
      try {
        const response = await client.request({
          method: "POST",
          path: "v3/smtp/email",
          json: brevoEmailBody(message, idempotencyKey),
        });
        const messageId = (response.json as { messageId?: unknown } | undefined)?.messageId;
        // A 2xx means Brevo took the email; the key would make a second send a no-op anyway.
        return { messageId: typeof messageId === "string" && messageId !== "" ? messageId : "unknown" };
      } catch (error) {
        if (error instanceof ServiceRejected && error.status === 400 && error.code === BREVO_DUPLICATE_CODE) {
          return { messageId: `duplicate:${idempotencyKey}`, duplicate: true };
        }
        throw error;
      }
    },
  };
}
