import {
  type MemberDirectory,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { type Classifier, createHttpClient, type HttpClientOptions, retryAfterSeconds } from "../http-client";

const SERVICE = "members";

/**
 * The directory's failures without its body: an error body may echo the email that was asked
 * for, and errors end up in execution histories and logs. Only `METHOD /path` and the status.
 */
export const classifyMemberError: Classifier = (response, failure) => {
  if ((response.status >= 200 && response.status < 300) || response.status === 404) return undefined;
  const cut = failure.detail.indexOf(": ");
  const where = cut === -1 ? failure.detail : failure.detail.slice(0, cut);
  const safe = { ...failure, detail: `${where}: HTTP ${response.status}` };
  if (response.status === 429) return new ServiceRateLimited(safe, retryAfterSeconds(response.headers));
  if (response.status >= 500 || response.status === 408) return new ServiceUnavailable(safe);
  return new ServiceRejected(safe);
};

/**
 * `GET {MEMBERS_BASE_URL}/members?email=<email>`: 200 `{ "status": "active" | "terminated" | … }`,
 * 404 when nobody has that email. The HTTP client keeps query strings out of every error.
 */
export function createMemberDirectory(
  baseUrl: string,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): MemberDirectory {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl,
    classify: classifyMemberError,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
  });
  const where = `GET ${new URL(`${baseUrl.replace(/\/+$/, "")}/members`).pathname}`;
  return {
    async lookup(email) {
      const response = await client.request({ path: "members", query: { email }, accept: [404] });
      if (response.status === 404) return { found: false };
      const status = (response.json as { status?: unknown } | undefined)?.status;
      if (typeof status !== "string" || status.trim() === "") {
        throw new ServiceRejected({
          service: SERVICE,
          status: response.status,
          detail: `${where}: the answer has no status`,
        });
      }
      return { found: true, status: status.trim().toLowerCase() };
    },
  };
}
