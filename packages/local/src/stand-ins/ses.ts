import { randomBytes, randomUUID } from "node:crypto";
import type { StandInReply, StandInSpec } from "./stand-in";

/**
 * Amazon SES v2 `SendEmail` as the AWS SDK sends it (REST JSON, `POST /v2/email/outbound-emails`),
 * at the endpoint the runtime gives `kit.aws("sesv2")`. Errors use SES's shape: the type in the
 * `x-amzn-ErrorType` header (what the SDK's REST JSON parser reads first) and `message` in the body.
 */

type Json = Record<string, unknown>;

function sesError(status: number, type: string, message: string): StandInReply {
  return { status, headers: { "x-amzn-errortype": type }, json: { __type: type, message } };
}

const badRequest = (message: string) => sesError(400, "BadRequestException", message);

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const addresses = (value: unknown) =>
  Array.isArray(value) ? value.filter((entry) => typeof entry === "string" && entry !== "") : [];

/** What SES would refuse in the request, or undefined when it would send it. */
function problemOf(body: Json): string | undefined {
  if (typeof body.FromEmailAddress !== "string" || body.FromEmailAddress === "") {
    return "Missing required parameter: FromEmailAddress";
  }
  const destination = isObject(body.Destination) ? body.Destination : undefined;
  const recipients = destination
    ? [destination.ToAddresses, destination.CcAddresses, destination.BccAddresses].flatMap(addresses)
    : [];
  if (recipients.length === 0) return "Missing required parameter: Destination";
  const content = isObject(body.Content) ? body.Content : {};
  if (isObject(content.Simple)) {
    const simple = content.Simple;
    const subject = isObject(simple.Subject) ? simple.Subject.Data : undefined;
    if (typeof subject !== "string") return "Missing required parameter: Content.Simple.Subject";
    const parts = isObject(simple.Body) ? simple.Body : {};
    if (!isObject(parts.Text) && !isObject(parts.Html))
      return "Missing required parameter: Content.Simple.Body";
    return undefined;
  }
  if (isObject(content.Raw) || isObject(content.Template)) return undefined;
  return "Missing required parameter: Content";
}

export function sesStandIn(): StandInSpec {
  return {
    slug: "ses",
    title: "Amazon SES",
    respond(request) {
      // The reads of `doctor`: the stand-in's account has production access and every sender is verified.
      if (request.method === "GET" && request.path === "/v2/email/account") {
        return {
          status: 200,
          json: {
            ProductionAccessEnabled: true,
            SendingEnabled: true,
            EnforcementStatus: "HEALTHY",
            SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 },
          },
        };
      }
      const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(request.path)?.[1];
      if (request.method === "GET" && identity !== undefined) {
        const name = decodeURIComponent(identity);
        return {
          status: 200,
          json: {
            IdentityType: name.includes("@") ? "EMAIL_ADDRESS" : "DOMAIN",
            VerifiedForSendingStatus: true,
            VerificationStatus: "SUCCESS",
          },
        };
      }
      if (request.path !== "/v2/email/outbound-emails") {
        return sesError(404, "NotFoundException", `No SES operation at ${request.method} ${request.path}`);
      }
      if (request.method !== "POST") return badRequest("SendEmail takes POST");
      if (!isObject(request.json)) return badRequest("The request body must be a JSON object");
      const problem = problemOf(request.json);
      if (problem) return badRequest(problem);
      return {
        status: 200,
        json: { MessageId: `0100${randomBytes(6).toString("hex")}-${randomUUID()}-000000` },
      };
    },
  };
}
