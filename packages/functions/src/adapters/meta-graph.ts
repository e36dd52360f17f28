import {
  type OutboundFailure,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import type { Classifier, HttpResponse } from "../http-client";

/**
 * Graph API failures come as HTTP 400 (mostly) with `{ error: { code, error_subcode, message,
 * is_transient } }`: the code decides, not the status. Throttling and transient codes are worth
 * retrying; a bad token (190) or a permission problem is not. Meta sends no Retry-After.
 */
const THROTTLING = new Set([4, 17, 32, 341, 613]);
const TRANSIENT = new Set([1, 2, 368]);
const isBusinessUseCaseThrottle = (code: number) => code >= 80000 && code <= 80014;

export interface GraphError {
  code?: number;
  subcode?: number;
  message?: string;
  type?: string;
  transient?: boolean;
}

export function graphErrorOf(response: HttpResponse): GraphError | undefined {
  const error = (response.json as { error?: Record<string, unknown> } | undefined)?.error;
  if (!error || typeof error !== "object") return undefined;
  return {
    code: typeof error.code === "number" ? error.code : undefined,
    subcode: typeof error.error_subcode === "number" ? error.error_subcode : undefined,
    message: typeof error.message === "string" ? error.message : undefined,
    type: typeof error.type === "string" ? error.type : undefined,
    transient: error.is_transient === true,
  };
}

/** The Graph rules on top of the HTTP client's status rules (use as `classify`). */
export const classifyGraphError: Classifier = (response, failure) => {
  if (response.status >= 200 && response.status < 300) return undefined;
  const error = graphErrorOf(response);
  if (error?.code === undefined) return undefined;
  const detailed: OutboundFailure = {
    ...failure,
    code: String(error.code),
    detail: `${failure.detail.split(": ")[0]}: ${(error.message ?? "Graph error").slice(0, 300)}`,
  };
  if (THROTTLING.has(error.code) || isBusinessUseCaseThrottle(error.code))
    return new ServiceRateLimited(detailed);
  if (TRANSIENT.has(error.code) || error.transient) return new ServiceUnavailable(detailed);
  if (error.code === 190) {
    return new ServiceRejected({
      ...detailed,
      detail: `${detailed.detail} — the access token is invalid or expired: issue a new one and update the secret`,
    });
  }
  return new ServiceRejected(detailed);
};
