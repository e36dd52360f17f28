import { randomBytes } from "node:crypto";
import type { StandInReply, StandInSpec } from "./stand-in";

/**
 * Brevo's transactional email: `POST /v3/smtp/email` with the `api-key` header answers 201
 * `{messageId}`. As Brevo does, an idempotency key (`headers.idempotencyKey` in the body) seen in
 * the last 30 minutes answers 400 `duplicate_parameter`, and a missing sender, recipient, subject
 * or content answers 400 `missing_parameter`.
 */

const IDEMPOTENCY_TTL_MS = 30 * 60_000;

interface BrevoState {
  /** idempotency key → when it was first accepted and the id it got. */
  keys?: Record<string, { at: number; messageId: string }>;
}

function brevoError(status: number, code: string, message: string): StandInReply {
  return { status, json: { code, message } };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const hasEmail = (value: unknown) => isObject(value) && typeof value.email === "string" && value.email !== "";

/** What Brevo would refuse as missing, or undefined when the email is complete. */
function missingPart(body: Record<string, unknown>): string | undefined {
  const template = body.templateId !== undefined;
  if (!template && !hasEmail(body.sender)) return "sender is missing";
  if (!Array.isArray(body.to) || body.to.length === 0 || !body.to.every(hasEmail)) return "to is missing";
  if (!template && (typeof body.subject !== "string" || body.subject === "")) return "subject is missing";
  const content = [body.htmlContent, body.textContent].some(
    (part) => typeof part === "string" && part !== "",
  );
  if (!template && !content) return "htmlContent or textContent is missing";
  return undefined;
}

function messageId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/\D/g, "").slice(0, 14);
  return `<${stamp}.${randomBytes(6).toString("hex")}@smtp-relay.mailin.fr>`;
}

export function brevoStandIn(): StandInSpec {
  return {
    slug: "brevo",
    title: "Brevo email",
    baseUrlVariable: "BREVO_BASE_URL",
    fills: (url) => ({
      BREVO_BASE_URL: url,
      BREVO_API_KEY: "xkeysib-local-stand-in",
      EMAIL_FROM: "leadrelay@localhost.test",
    }),
    respond(request, context) {
      if (request.path === "/v3/account" && request.method === "GET") {
        if (!request.headers["api-key"]) return brevoError(401, "unauthorized", "Key not found");
        return {
          status: 200,
          json: {
            email: "stand-in@localhost.test",
            companyName: "leadrelay stand-in",
            plan: [{ type: "free", credits: 300, creditsType: "sendLimit" }],
          },
        };
      }
      if (request.path !== "/v3/smtp/email") return brevoError(404, "document_not_found", "Not found");
      if (request.method !== "POST") return brevoError(405, "method_not_allowed", "Use POST");
      if (!request.headers["api-key"]) return brevoError(401, "unauthorized", "Key not found");
      if (!isObject(request.json))
        return brevoError(400, "invalid_parameter", "The body must be a JSON object");
      const body = request.json;
      const missing = missingPart(body);
      if (missing) return brevoError(400, "missing_parameter", missing);
      const now = context.now();
      const state = context.state as BrevoState;
      const keys = Object.fromEntries(
        Object.entries(state.keys ?? {}).filter(([, seen]) => now - seen.at < IDEMPOTENCY_TTL_MS),
      );
      const key = isObject(body.headers) ? body.headers.idempotencyKey : undefined;
      if (typeof key === "string" && key !== "" && keys[key]) {
        return brevoError(400, "duplicate_parameter", "An email with this idempotencyKey was already sent");
      }
      const id = messageId(now);
      if (typeof key === "string" && key !== "") keys[key] = { at: now, messageId: id };
      state.keys = keys;
      context.save();
      return { status: 201, json: { messageId: id } };
    },
  };
}
