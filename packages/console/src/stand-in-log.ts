import type { StandInRecord } from "./console-deps";

/** One request a stand-in received, as the stand-ins page shows it. */
export interface StandInRequestView {
  id?: number;
  at?: string;
  method: string;
  path: string;
  query?: string;
  status?: number;
  /** Answered by a `_fail` script instead of the stand-in. */
  scripted?: boolean;
  headers: Record<string, string>;
  body?: unknown;
}

export interface StandInView {
  slug: string;
  title: string;
  /** Requests received in all. */
  count: number;
  /** The newest first, at most `limit`. */
  requests: StandInRequestView[];
}

/**
 * The stand-in mechanism blanks credential headers when it records; names that look like a
 * credential are blanked again here, in headers and in the query (Graph API calls carry
 * `access_token` there), so the page cannot show one whatever a stand-in recorded.
 */
const SECRET_NAME = /authorization|api-?key|token|secret|cookie|signature|password|auth/i;
const REDACTED = "[redacted]";

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function redactQuery(query: string): string {
  if (query === "") return query;
  const params = new URLSearchParams(query);
  for (const name of new Set(params.keys())) if (SECRET_NAME.test(name)) params.set(name, REDACTED);
  return params.toString();
}

function view(request: unknown): StandInRequestView | undefined {
  if (request === null || typeof request !== "object") return undefined;
  const value = request as Record<string, unknown>;
  const headers: Record<string, string> = {};
  if (value.headers && typeof value.headers === "object") {
    for (const [name, header] of Object.entries(value.headers as Record<string, unknown>)) {
      if (typeof header === "string") headers[name] = SECRET_NAME.test(name) ? REDACTED : header;
    }
  }
  const query = text(value.query);
  return {
    id: typeof value.id === "number" ? value.id : undefined,
    at: text(value.at),
    method: text(value.method) ?? "?",
    path: text(value.path) ?? "/",
    query: query ? redactQuery(query) : undefined,
    status: typeof value.status === "number" ? value.status : undefined,
    scripted: value.scripted === true ? true : undefined,
    headers,
    body: value.body,
  };
}

/** Every stand-in with what it received, newest first. */
export function standInViews(records: readonly StandInRecord[], limit = 100): StandInView[] {
  return records.map((record) => {
    const requests: StandInRequestView[] = [];
    for (let index = record.requests.length - 1; index >= 0 && requests.length < limit; index--) {
      const request = view(record.requests[index]);
      if (request) requests.push(request);
    }
    return { slug: record.slug, title: record.title, count: record.requests.length, requests };
  });
}
