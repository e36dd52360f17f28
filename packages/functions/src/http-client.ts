import {
  type OutboundFailure,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";

/**
 * The one outbound HTTP client of every adapter: a timeout on every call, `Retry-After` captured
 * into the error (so the execution history shows what the vendor asked for), and every failure
 * classified into a literal error name the ASL can Retry or Catch. Adapters add the vendor's own
 * rules (Graph error codes, HubSpot policy names…) through `classify`.
 */

export interface HttpRequest {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Appended to the client's base URL (or a full URL). */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Statuses besides 2xx that are answers, not failures (e.g. 404 for "no such member"). */
  accept?: readonly number[];
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON; `undefined` when it is not JSON. */
  json: unknown;
}

/** A vendor's own reading of a failed answer; `undefined` falls back to the status rules. */
export type Classifier = (response: HttpResponse, failure: OutboundFailure) => Error | undefined;

export interface HttpClientOptions {
  /** The vendor, named as its stand-in slug: it is in every error and metric. */
  service: string;
  baseUrl: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  classify?: Classifier;
  fetch?: typeof fetch;
}

export interface HttpClient {
  readonly service: string;
  request(request: HttpRequest): Promise<HttpResponse>;
}

export type OutboundOutcome = "ok" | "rate-limited" | "unavailable" | "rejected" | "quota" | "error";
export type OutboundObserver = (call: {
  service: string;
  method: string;
  status?: number;
  outcome: OutboundOutcome;
  ms: number;
  /** The path called (no query string: some vendors carry tokens there). */
  path?: string;
  /** The vendor's answer headers, when it answered: rate-limit headers are read from them. */
  headers?: Headers;
  /** The classified failure, when the call failed. */
  error?: unknown;
}) => void;

const observers = new Set<OutboundObserver>();
/** Metrics hook (the local runtime counts outbound calls by service and outcome). */
export function observeOutboundCalls(observer: OutboundObserver): () => void {
  observers.add(observer);
  return () => observers.delete(observer);
}

/** A call about to be sent (the vendor budgets count calls when they really start). */
export type OutboundStartObserver = (call: { service: string; method: string; path: string }) => void;
const startObservers = new Set<OutboundStartObserver>();
export function observeOutboundStarts(observer: OutboundStartObserver): () => void {
  startObservers.add(observer);
  return () => startObservers.delete(observer);
}

export const DEFAULT_HTTP_TIMEOUT_MS = 8_000;

/** Seconds from `Retry-After` (seconds or an HTTP date), `retry-after-ms`, or `RateLimit: …reset=N`. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const value = headers.get("retry-after");
  if (value !== null && value.trim() !== "") {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const reset = /(?:^|[,;\s])reset=(\d+(?:\.\d+)?)/.exec(headers.get("ratelimit") ?? "")?.[1];
  return reset === undefined ? undefined : Math.ceil(Number(reset));
}

/** A short, secret-free account of a vendor's error body. */
export function errorDetail(response: HttpResponse): string {
  const body = response.json as Record<string, unknown> | undefined;
  const nested = body?.error;
  const message =
    (typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>).message : nested) ??
    body?.message ??
    body?.detail;
  const text = typeof message === "string" ? message : response.text;
  return text.replace(/\s+/g, " ").trim().slice(0, 300) || `HTTP ${response.status}`;
}

function outcomeOf(error: unknown): OutboundOutcome {
  const name = error instanceof Error ? error.name : "";
  if (name === "ServiceRateLimited") return "rate-limited";
  if (name === "ServiceUnavailable") return "unavailable";
  if (name === "ServiceRejected") return "rejected";
  if (name === "ServiceQuotaExhausted") return "quota";
  return "error";
}

function urlOf(baseUrl: string, request: HttpRequest): URL {
  const url = /^https?:\/\//.test(request.path)
    ? new URL(request.path)
    : new URL(`${baseUrl.replace(/\/+$/, "")}/${request.path.replace(/^\/+/, "")}`);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  return url;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const { service } = options;

  async function send(
    request: HttpRequest,
    method: string,
    answer: { headers?: Headers; path?: string },
  ): Promise<HttpResponse> {
    const url = urlOf(options.baseUrl, request);
    answer.path = url.pathname;
    // Never the query string in an error: Graph and others carry tokens there.
    const where = `${method} ${url.pathname}`;
    const headers: Record<string, string> = {
      accept: "application/json",
      ...options.headers,
      ...request.headers,
    };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers["content-type"] = "application/json; charset=utf-8";
      body = JSON.stringify(request.json);
    } else if (request.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(request.form).toString();
    }
    for (const starting of startObservers) starting({ service, method, path: url.pathname });
    let raw: Response;
    try {
      raw = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      // A refused connection never reached the vendor; anything else may have.
      const refused = (error as { cause?: { code?: string } })?.cause?.code === "ECONNREFUSED";
      throw new ServiceUnavailable({
        service,
        unanswered: !refused,
        detail: `${where}: ${timedOut ? `no answer within ${timeoutMs} ms` : error instanceof Error ? error.message : "request failed"}`,
      });
    }
    answer.headers = raw.headers;
    const text = await raw.text().catch(() => "");
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const response: HttpResponse = { status: raw.status, headers: raw.headers, text, json };
    const accepted = (raw.status >= 200 && raw.status < 300) || request.accept?.includes(raw.status);
    if (accepted && options.classify === undefined) return response;
    const failure: OutboundFailure = {
      service,
      status: raw.status,
      detail: `${where}: ${accepted ? "" : errorDetail(response)}`,
    };
    // A vendor may report errors inside a 2xx (or a 400 may really be throttling): its rules go first.
    const verdict = options.classify?.(response, failure);
    if (verdict) throw verdict;
    if (accepted) return response;
    if (raw.status === 429) throw new ServiceRateLimited(failure, retryAfterSeconds(raw.headers));
    if (raw.status >= 500 || raw.status === 408) throw new ServiceUnavailable(failure);
    throw new ServiceRejected(failure);
  }

  return {
    service,
    async request(request) {
      const started = performance.now();
      const method = request.method ?? (request.json !== undefined || request.form ? "POST" : "GET");
      const answer: { headers?: Headers; path?: string } = {};
      try {
        const response = await send(request, method, answer);
        for (const observe of observers) {
          observe({
            service,
            method,
            status: response.status,
            outcome: "ok",
            ms: performance.now() - started,
            ...answer,
          });
        }
        return response;
      } catch (error) {
        const status = (error as { status?: number }).status;
        for (const observe of observers) {
          observe({
            service,
            method,
            status,
            outcome: outcomeOf(error),
            ms: performance.now() - started,
            ...answer,
            error,
          });
        }
        throw error;
      }
    },
  };
}

/** HTTP Basic credentials. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
