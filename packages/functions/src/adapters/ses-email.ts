import { SESv2Client, type SESv2ClientConfig, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  type EmailAddress,
  type EmailSender,
  type OutboundEmail,
  type OutboundFailure,
  ServiceQuotaExhausted,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { type AwsClientConfig, withTimeouts } from "../aws-clients";

const SERVICE = "ses";
/** A header on the message itself, so a copy in a mailbox can be traced to its business key. */
export const SES_IDEMPOTENCY_HEADER = "X-Leadrelay-Idempotency-Key";

const THROTTLED = new Set(["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]);
const STOPPED = new Set(["AccountSuspendedException", "SendingPausedException"]);

/**
 * One SDK attempt per call: retries live in the ASL, where the history shows them. The request
 * timeout must throw (`throwOnRequestTimeout`): by default the SDK's HTTP handler only logs a
 * warning and keeps waiting on a hung SES. `timeoutMs` shortens both timeouts (tests).
 */
export function createSesClient(config: AwsClientConfig = {}, timeoutMs?: number): SESv2Client {
  const requestHandler = withTimeouts(config.requestHandler, {
    ...(timeoutMs === undefined ? {} : { connectionTimeout: timeoutMs, requestTimeout: timeoutMs }),
    throwOnRequestTimeout: true,
  }) as SESv2ClientConfig["requestHandler"];
  return new SESv2Client({ maxAttempts: 1, ...(config as SESv2ClientConfig), requestHandler });
}

/** RFC 5322 `"Name" <email>`; a non-ASCII name as an RFC 2047 encoded word, as SES requires. */
export function formatAddress(address: EmailAddress): string {
  const name = address.name?.replace(/[\r\n]+/g, " ").trim();
  if (!name) return address.email;
  const display = /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/(["\\])/g, "\\$1")}"`
    : `=?UTF-8?B?${Buffer.from(name, "utf8").toString("base64")}?=`;
  return `${display} <${address.email}>`;
}

/** SES tag names and values take letters, digits, `_`, `-` and `.` only. */
function tagName(tag: string): string {
  return tag.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 256) || "tag";
}

interface SdkError {
  name?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The SDK's errors as the outbound errors every ASL knows: throttling is retried, a suspended or
 * paused account is a quota (retrying within minutes cannot help), a rejected message or an
 * unverified sender is for good, and 5xx or no answer at all is worth another try.
 */
export function classifySesError(error: unknown): Error {
  const sdk = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const name = sdk.name ?? "Error";
  const status = sdk.$metadata?.httpStatusCode;
  const failure: OutboundFailure = {
    service: SERVICE,
    ...(status === undefined ? {} : { status }),
    code: name,
    detail: `SendEmail: ${(sdk.message ?? String(error)).replace(/\s+/g, " ").slice(0, 300)}`,
  };
  const options = { cause: error };
  if (THROTTLED.has(name) || status === 429) return new ServiceRateLimited(failure, undefined, options);
  if (STOPPED.has(name)) return new ServiceQuotaExhausted(failure, options);
  if (status === undefined || status >= 500 || status === 408 || sdk.$fault === "server") {
    return new ServiceUnavailable(failure, options);
  }
  return new ServiceRejected(failure, options);
}

/** The `SendEmail` input: Simple content with subject, text and HTML (a Brevo template id has no meaning here). */
export function sesSendEmailInput(message: OutboundEmail, idempotencyKey: string) {
  return {
    FromEmailAddress: formatAddress(message.from),
    Destination: { ToAddresses: [formatAddress(message.to)] },
    Content: {
      Simple: {
        Subject: { Data: message.subject, Charset: "UTF-8" },
        Body: {
          Text: { Data: message.text, Charset: "UTF-8" },
          Html: { Data: message.html, Charset: "UTF-8" },
        },
        Headers: [{ Name: SES_IDEMPOTENCY_HEADER, Value: idempotencyKey }],
      },
    },
    ...(message.tags && message.tags.length > 0
      ? { EmailTags: message.tags.map((tag) => ({ Name: tagName(tag), Value: "true" })) }
      : {}),
  };
}

/**
 * Amazon SES v2 `SendEmail`. SES has no idempotency key: the header above only labels the message
 * (SES does not deduplicate on it), so the caller's marker before the call is what keeps a retry
 * or a replay from sending twice.
 */
export function createSesEmailSender(
  aws: AwsClientConfig = {},
  options: { timeoutMs?: number; client?: SESv2Client } = {},
): EmailSender {
  const client = options.client ?? createSesClient(aws, options.timeoutMs);
  return {
    provider: "ses",
    async send(message, idempotencyKey) {
      let output: { MessageId?: string };
      try {
        output = await client.send(new SendEmailCommand(sesSendEmailInput(message, idempotencyKey)));
      } catch (error) {
        throw classifySesError(error);
      }
      // A 2xx means SES took the email: it must not be sent again even without a readable id.
      return { messageId: output.MessageId || "unknown" };
    },
  };
}
