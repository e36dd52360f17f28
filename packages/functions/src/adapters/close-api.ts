import {
  type CloseApi,
  CloseLead,
  ServiceQuotaExhausted,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { readConfig } from "../config";
import {
  basicAuth,
  type Classifier,
  createHttpClient,
  type HttpClientOptions,
  retryAfterSeconds,
} from "../http-client";
import { headerNote, vendorFailure, withNote } from "./vendor-failure";

export interface CloseApiConfig {
  /** `CLOSE_API_BASE_URL`, e.g. https://api.close.com/api/v1 */
  baseUrl: string;
  /** `CLOSE_API_KEY`: Close takes it as the Basic user with an empty password. */
  apiKey: string;
}

const SERVICE = "close";

function numberOf(value: unknown): number | undefined {
  const number = typeof value === "string" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number >= 0 ? Math.ceil(number) : undefined;
}

/** Close's `field-errors` (`{"custom.cf_x": "Unknown field."}`) say what was wrong with a write. */
function fieldErrorsOf(body: unknown): string | undefined {
  const fields = (body as { "field-errors"?: unknown } | undefined)?.["field-errors"];
  if (typeof fields !== "object" || fields === null) return undefined;
  const entries = Object.entries(fields).map(([name, problem]) => `${name}: ${String(problem)}`);
  return entries.length === 0 ? undefined : entries.join("; ");
}

/**
 * Every 429 of Close carries `retry-after` and `RateLimit: limit=…, remaining=…, reset=…`; older
 * answers put `rate_reset` in the body, kept as the fallback. 402 is a plan limit, not a retry.
 */
export const classifyCloseError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const limits = headerNote(response.headers, ["ratelimit", "retry-after"]);
  if (response.status === 429) {
    const error = (response.json as { error?: { rate_reset?: unknown } } | undefined)?.error;
    const seconds = retryAfterSeconds(response.headers) ?? numberOf(error?.rate_reset);
    return new ServiceRateLimited(withNote(failure, limits), seconds);
  }
  if (response.status === 402) return new ServiceQuotaExhausted(failure);
  const fieldErrors = fieldErrorsOf(response.json);
  if (fieldErrors && response.status < 500) return new ServiceRejected(vendorFailure(failure, fieldErrors));
  return undefined;
};

/** A 2xx whose body is not what Close documents: Close's fault, like a 5xx, so worth another try. */
function unexpectedAnswer(where: string, status: number, what: string): ServiceUnavailable {
  return new ServiceUnavailable({ service: SERVICE, status, detail: `${where}: ${what}` });
}

/**
 * Close REST (`GET/PUT /lead/{id}/`, `POST /activity/note/`) with HTTP Basic: the API key as user,
 * an empty password. Failures are the outbound errors of core, the vendor's limits in the message.
 */
export function createCloseApi(
  config: CloseApiConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): CloseApi {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { authorization: basicAuth(config.apiKey, "") },
    classify: classifyCloseError,
    ...options,
  });
  const leadPath = (leadId: string) => `lead/${encodeURIComponent(leadId)}/`;

  return {
    async getLead(leadId) {
      const response = await client.request({ method: "GET", path: leadPath(leadId) });
      const parsed = CloseLead.safeParse(response.json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const what = issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "not a lead";
        throw unexpectedAnswer("GET /lead/{id}/", response.status, `answer is not a lead (${what})`);
      }
      return parsed.data;
    },

    async updateLead(leadId, fields) {
      await client.request({ method: "PUT", path: leadPath(leadId), json: fields });
    },

    async createNote(leadId, note) {
      const response = await client.request({
        method: "POST",
        path: "activity/note/",
        json: { lead_id: leadId, note },
      });
      const id = (response.json as { id?: unknown } | undefined)?.id;
      // A 2xx means the note exists: without a readable id it still must not be written twice.
      return { noteId: typeof id === "string" && id !== "" ? id : "unknown" };
    },
  };
}

/** Close as a handler's environment describes it (CLOSE_API_BASE_URL, CLOSE_API_KEY); `undefined` without a key. */
export function closeApiFromEnv(env: Record<string, string | undefined>): CloseApi | undefined {
  const config = readConfig(["CLOSE_API_BASE_URL", "CLOSE_API_KEY", "HTTP_TIMEOUT_MS"], env);
  if (!config.CLOSE_API_KEY) return undefined;
  return createCloseApi(
    { baseUrl: config.CLOSE_API_BASE_URL, apiKey: config.CLOSE_API_KEY },
    { timeoutMs: config.HTTP_TIMEOUT_MS },
  );
}
