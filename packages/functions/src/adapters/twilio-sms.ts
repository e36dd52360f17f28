import { ServiceRateLimited, ServiceRejected, ServiceUnavailable, type SmsSender } from "@leadrelay/core";
import {
  basicAuth,
  type Classifier,
  createHttpClient,
  type HttpClientOptions,
  retryAfterSeconds,
} from "../http-client";
import { vendorFailure } from "./vendor-failure";

export interface TwilioConfig {
  /** `TWILIO_BASE_URL`, https://api.twilio.com on AWS. */
  baseUrl: string;
  /** `TWILIO_ACCOUNT_SID` (AC…): in the path and the Basic user. */
  accountSid: string;
  /** `TWILIO_AUTH_TOKEN`: the Basic password. */
  authToken: string;
}

const SERVICE = "twilio";
/** "Too many concurrent requests": Twilio never processed the request, so it is always safe to retry. */
const TOO_MANY_REQUESTS = 20429;
const UNKNOWN = "unknown";

interface TwilioError {
  code?: unknown;
  message?: unknown;
  more_info?: unknown;
}

/**
 * Twilio's error body is `{code, message, more_info, status}`; the code says more than the status
 * (21211 invalid To, 21610 unsubscribed recipient, 20003 bad credentials) and goes into `code`.
 */
export const classifyTwilioError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const body = (response.json ?? {}) as TwilioError;
  const code = typeof body.code === "number" || typeof body.code === "string" ? body.code : undefined;
  const message = typeof body.message === "string" ? body.message : undefined;
  const detailed = vendorFailure(failure, message, code);
  if (response.status === 429 || Number(code) === TOO_MANY_REQUESTS) {
    return new ServiceRateLimited(detailed, retryAfterSeconds(response.headers));
  }
  if (response.status >= 500 || response.status === 408) return new ServiceUnavailable(detailed);
  return new ServiceRejected(detailed);
};

/**
 * Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded,
 * HTTP Basic `sid:token`. Twilio has no idempotency key on create: the caller's marker prevents a
 * second SMS, and a 429 was never processed, so retrying it cannot send twice.
 */
export function createTwilioSmsSender(
  config: TwilioConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): SmsSender {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { authorization: basicAuth(config.accountSid, config.authToken) },
    classify: classifyTwilioError,
    ...options,
  });
  const path = `2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;

  return {
    async send(message) {
      const response = await client.request({
        method: "POST",
        path,
        form: { To: message.to, From: message.from, Body: message.body },
      });
      const body = (response.json ?? {}) as { sid?: unknown; status?: unknown };
      // A 2xx means Twilio took the message: even without a readable sid it must not be sent again.
      return {
        sid: typeof body.sid === "string" && body.sid !== "" ? body.sid : UNKNOWN,
        status: typeof body.status === "string" ? body.status : UNKNOWN,
      };
    },
  };
}
