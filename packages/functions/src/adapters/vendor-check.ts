/**
 * What every credential check of `leadrelay doctor` shares. A check is one or two reads that have
 * no side effect at the vendor (integrations research §12), each with a short timeout, and its
 * result names the variables at fault and how to fix them. It never carries a secret: only fields
 * chosen by the check (an account's name, a plan, the vendor's error message) reach `detail`, and
 * only the path of a URL (a Graph query string carries tokens).
 */

export type CheckStatus = "ok" | "warning" | "broken";

export interface CheckResult {
  /** The vendor, named as its stand-in slug (close, twilio, brevo…). */
  vendor: string;
  status: CheckStatus;
  /** What the vendor answered, secret-free: who the credentials belong to, or why they were refused. */
  detail: string;
  /** The variables the check read; for a failure, the ones at fault. */
  variables: string[];
  /** What to do about a warning or a failure. */
  fix?: string;
}

export interface CheckOptions {
  /** Each request's timeout (5–10 s in doctor; tests use less). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export const CHECK_TIMEOUT_MS = 8_000;

export interface ProbeAnswer {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

/** The vendor did not answer: the result says where and why, without the URL's query. */
export class CheckUnreachable extends Error {
  override readonly name = "CheckUnreachable";
}

export interface ProbeRequest {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  headers?: Record<string, string>;
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded (Graph's writes). */
  form?: Record<string, string>;
  text?: string;
}

/** One request with a timeout; every HTTP answer is returned (the check decides), no answer throws. */
export async function probe(
  url: string,
  request: ProbeRequest = {},
  options: CheckOptions = {},
): Promise<ProbeAnswer> {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const target = new URL(url);
  const headers: Record<string, string> = { accept: "application/json", ...request.headers };
  let body: string | undefined = request.text;
  if (request.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(request.json);
  } else if (request.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(request.form).toString();
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(target, {
      method: request.method ?? "GET",
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const code = (error as { cause?: { code?: string } })?.cause?.code;
    throw new CheckUnreachable(
      `${target.origin}${target.pathname}: ${timedOut ? `no answer within ${timeoutMs} ms` : (code ?? (error as Error).message)}`,
    );
  }
  const text = await response.text().catch(() => "");
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** A base URL and a path joined with one slash. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** The vendor's own message from an error body (`error.message`, `message`, `error`, `detail`), one line. */
export function vendorMessage(answer: ProbeAnswer): string {
  const body = (answer.json ?? {}) as Record<string, unknown>;
  const nested = body.error;
  const message =
    (typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>).message : nested) ??
    body.message ??
    body.detail ??
    body.description;
  const text = typeof message === "string" ? message : answer.text;
  // A numeric vendor code says more than the status (Twilio's 20003).
  const code = typeof body.code === "number" ? `, code ${body.code}` : "";
  return `HTTP ${answer.status}${text.trim() ? `: ${text.replace(/\s+/g, " ").trim().slice(0, 200)}` : ""}${code}`;
}

/** A string field of a JSON object, or undefined. */
export function textOf(value: unknown, key: string): string | undefined {
  const field = (value as Record<string, unknown> | undefined)?.[key];
  return typeof field === "string" || typeof field === "number" ? String(field) : undefined;
}

/**
 * Runs a check's body: a vendor that does not answer is a broken check naming the base URL's
 * variable (a wrong host, a firewall), never an exception out of doctor.
 */
export async function runCheck(
  vendor: string,
  baseUrlVariable: string,
  variables: string[],
  body: () => Promise<CheckResult>,
): Promise<CheckResult> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof CheckUnreachable)) throw error;
    return {
      vendor,
      status: "broken",
      detail: `no answer: ${error.message}`,
      variables: [baseUrlVariable, ...variables.filter((name) => name !== baseUrlVariable)],
      fix: `check ${baseUrlVariable} (host and path) and that this machine can reach it`,
    };
  }
}

/** A result in one call. */
export function result(
  vendor: string,
  status: CheckStatus,
  detail: string,
  variables: string[],
  fix?: string,
): CheckResult {
  return { vendor, status, detail, variables, ...(fix ? { fix } : {}) };
}

/** The usual credential check: one read, 200 is who the credentials belong to, 401/403 a refusal. */
export interface ReadCheck {
  vendor: string;
  baseUrlVariable: string;
  /** Every variable the check reads. */
  variables: string[];
  url: string;
  request?: ProbeRequest;
  /** The result of a 200. */
  ok(answer: ProbeAnswer): CheckResult;
  /** A 401 or 403: the credentials at fault, what the vendor refused, how to get good ones. */
  refused: { variables: string[]; what: string; fix: string };
  /** The vendor's other meaningful answers (an unknown id, a restricted key), checked first. */
  other?(answer: ProbeAnswer): CheckResult | undefined;
}

export function readCheck(check: ReadCheck, options: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(check.vendor, check.baseUrlVariable, check.variables, async () => {
    const answer = await probe(check.url, check.request, options);
    const special = check.other?.(answer);
    if (special) return special;
    if (answer.status === 200) return check.ok(answer);
    if (answer.status === 401 || answer.status === 403) {
      return result(
        check.vendor,
        "broken",
        `${check.refused.what} (${vendorMessage(answer)})`,
        check.refused.variables,
        check.refused.fix,
      );
    }
    return result(
      check.vendor,
      "broken",
      `${new URL(check.url).pathname} answered ${vendorMessage(answer)}`,
      check.variables,
    );
  });
}
