import { ServiceRateLimited, ServiceRejected, ServiceUnavailable, type TicketDesk } from "@leadrelay/core";
import {
  basicAuth,
  type Classifier,
  createHttpClient,
  type HttpClientOptions,
  retryAfterSeconds,
} from "../http-client";
import { headerNote, vendorFailure, withNote } from "./vendor-failure";

export interface ZendeskConfig {
  /** `ZENDESK_BASE_URL`, https://{subdomain}.zendesk.com */
  baseUrl: string;
  /** `ZENDESK_EMAIL`: the agent the API token belongs to. */
  email: string;
  /** `ZENDESK_API_TOKEN`. */
  apiToken: string;
}

const SERVICE = "zendesk";
/** Zendesk keeps an idempotency key about two hours and takes at most 255 characters. */
export const ZENDESK_MAX_IDEMPOTENCY_KEY = 255;

/** Zendesk errors: `{error: "RecordInvalid", description, details}` or `{error: {title, message}}`. */
function describeError(body: unknown): { code?: string; message?: string } {
  const value = (body ?? {}) as { error?: unknown; description?: unknown; details?: unknown };
  if (typeof value.error === "object" && value.error !== null) {
    const nested = value.error as { title?: unknown; message?: unknown };
    return {
      code: typeof nested.title === "string" ? nested.title : undefined,
      message: typeof nested.message === "string" ? nested.message : undefined,
    };
  }
  const code = typeof value.error === "string" ? value.error : undefined;
  const parts = [
    typeof value.description === "string" ? value.description : undefined,
    value.details === undefined ? undefined : JSON.stringify(value.details).slice(0, 200),
  ].filter((part): part is string => part !== undefined);
  return { code, message: parts.length > 0 ? parts.join(": ") : code };
}

/**
 * 429 carries `Retry-After` (seconds). 409 is a conflict with a concurrent change (secondary
 * sources only; public Zendesk clients back off and retry it): retried, which is safe because the
 * idempotency key makes a second create return the first ticket.
 */
export const classifyZendeskError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const { code, message } = describeError(response.json);
  const detailed = vendorFailure(failure, message, code);
  if (response.status === 429) {
    const limits = headerNote(response.headers, ["retry-after", "x-rate-limit", "x-rate-limit-remaining"]);
    return new ServiceRateLimited(withNote(detailed, limits), retryAfterSeconds(response.headers));
  }
  if (response.status === 409 || response.status >= 500) return new ServiceUnavailable(detailed);
  return new ServiceRejected(detailed);
};

/**
 * Zendesk Support: `POST /api/v2/tickets.json`, Basic `{email}/token:{api_token}`, an
 * `Idempotency-Key` header so a retried create returns the ticket of the first attempt
 * (`x-idempotency-lookup: hit`) instead of opening a second one.
 */
export function createZendeskTicketDesk(
  config: ZendeskConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): TicketDesk {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { authorization: basicAuth(`${config.email}/token`, config.apiToken) },
    classify: classifyZendeskError,
    ...options,
  });

  return {
    async create(ticket, idempotencyKey) {
      if (idempotencyKey === "" || idempotencyKey.length > ZENDESK_MAX_IDEMPOTENCY_KEY) {
        throw new RangeError(`a Zendesk idempotency key has 1 to ${ZENDESK_MAX_IDEMPOTENCY_KEY} characters`);
      }
      const requester = ticket.requester.name
        ? { name: ticket.requester.name, email: ticket.requester.email }
        : { email: ticket.requester.email };
      const response = await client.request({
        method: "POST",
        path: "api/v2/tickets.json",
        headers: { "idempotency-key": idempotencyKey },
        json: {
          ticket: {
            subject: ticket.subject,
            comment: { body: ticket.body },
            requester,
            ...(ticket.tags && ticket.tags.length > 0 ? { tags: ticket.tags } : {}),
          },
        },
      });
      const created = (response.json as { ticket?: { id?: unknown; url?: unknown } } | undefined)?.ticket;
      const id = created?.id;
      return {
        // A 2xx means the ticket exists; the idempotency key keeps a later attempt from opening another.
        ticketId: typeof id === "number" || (typeof id === "string" && id !== "") ? String(id) : "unknown",
        ...(typeof created?.url === "string" ? { url: created.url } : {}),
        ...(response.headers.get("x-idempotency-lookup") === "hit" ? { duplicate: true } : {}),
      };
    },
  };
}
