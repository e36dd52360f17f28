import { randomBytes } from "node:crypto";
import { basicCredentials } from "./basic-auth";
import type { StandInReply, StandInSpec } from "./stand-in";

/**
 * Twilio's Messages resource: `POST /2010-04-01/Accounts/{sid}/Messages.json` (form-encoded To,
 * From, Body) answers 201 with a queued `SM…` message, or Twilio's error body with its code:
 * 20003 without credentials, 21211 for a To that is not E.164, 21603/21602 without From/Body.
 * `GET` on the same path lists what was sent.
 */

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[A-Za-z0-9]+)\/Messages\.json$/;
const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/(AC[A-Za-z0-9]+)\.json$/;
const E164 = /^\+[1-9]\d{1,14}$/;
/** The listing keeps the latest messages only: the state file stays small across long local runs. */
const KEPT_MESSAGES = 500;
export const LOCAL_TWILIO_ACCOUNT_SID = `AC${"0".repeat(32)}`;

function twilioError(status: number, code: number, message: string): StandInReply {
  return {
    status,
    json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  };
}

/** RFC 2822, as Twilio writes dates. */
const rfc2822 = (ms: number) => new Date(ms).toUTCString().replace("GMT", "+0000");

export function twilioStandIn(): StandInSpec {
  return {
    slug: "twilio",
    title: "Twilio SMS",
    baseUrlVariable: "TWILIO_BASE_URL",
    fills: (url) => ({
      TWILIO_BASE_URL: url,
      TWILIO_ACCOUNT_SID: LOCAL_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: "local-twilio-auth-token",
      TWILIO_FROM: "+15550100000",
      ON_CALL_PHONE: "+15550100001",
    }),
    respond(request, context) {
      const account = ACCOUNT_PATH.exec(request.path)?.[1];
      if (account !== undefined && request.method === "GET") {
        const credentials = basicCredentials(request.headers);
        if (!credentials || credentials.user !== account) return twilioError(401, 20003, "Authenticate");
        // Twilio's answer carries the auth token too: doctor must never print it.
        return {
          status: 200,
          json: {
            sid: account,
            friendly_name: "leadrelay stand-in",
            status: "active",
            type: "Full",
            auth_token: credentials.password,
          },
        };
      }
      const accountSid = MESSAGES_PATH.exec(request.path)?.[1];
      if (accountSid === undefined) return twilioError(404, 20404, "The requested resource was not found");
      const credentials = basicCredentials(request.headers);
      if (!credentials || credentials.user !== accountSid) return twilioError(401, 20003, "Authenticate");
      const state = context.state as { messages?: Array<Record<string, unknown>> };
      if (request.method === "GET") {
        const messages = (state.messages ?? []).filter((message) => message.account_sid === accountSid);
        return { status: 200, json: { messages: [...messages].reverse(), page: 0, page_size: 50 } };
      }
      if (request.method !== "POST") return twilioError(405, 20004, "Method not allowed");
      const form = (request.json ?? {}) as Record<string, unknown>;
      const to = typeof form.To === "string" ? form.To : "";
      const from = typeof form.From === "string" ? form.From : "";
      const body = typeof form.Body === "string" ? form.Body : "";
      if (!E164.test(to))
        return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (from === "") return twilioError(400, 21603, "The 'From' phone number is required.");
      if (body === "") return twilioError(400, 21602, "Message body is required.");
      const sid = `SM${randomBytes(16).toString("hex")}`;
      const now = rfc2822(context.now());
      const message = {
        sid,
        account_sid: accountSid,
        to,
        from,
        body,
        status: "queued",
        direction: "outbound-api",
        num_segments: String(Math.max(1, Math.ceil(body.length / 160))),
        num_media: "0",
        messaging_service_sid: null,
        error_code: null,
        error_message: null,
        price: null,
        price_unit: "USD",
        api_version: "2010-04-01",
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      };
      state.messages = [...(state.messages ?? []), message].slice(-KEPT_MESSAGES);
      context.save();
      return { status: 201, json: message };
    },
  };
}
