import { basicAuth } from "../http-client";
import {
  type CheckOptions,
  type CheckResult,
  joinUrl,
  readCheck,
  result,
  textOf,
  vendorMessage,
} from "./vendor-check";

const VARIABLES = ["TWILIO_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"];

/** Only `status`, `type` and `friendly_name` are read: the account's answer also carries its auth_token. */
function accountResult(json: unknown): CheckResult {
  const status = textOf(json, "status") ?? "unknown";
  const type = textOf(json, "type") ?? "unknown";
  const name = textOf(json, "friendly_name");
  const about = `account ${name ? `"${name}" ` : ""}${status}, ${type}`;
  if (status !== "active")
    return result(
      "twilio",
      "broken",
      about,
      ["TWILIO_ACCOUNT_SID"],
      "the account cannot send: reactivate it in the Twilio console",
    );
  if (type === "Trial")
    return result(
      "twilio",
      "warning",
      about,
      VARIABLES,
      "a Trial account texts verified numbers only: upgrade it, or verify ON_CALL_PHONE in Twilio",
    );
  return result("twilio", "ok", about, VARIABLES);
}

/**
 * Twilio: `GET /2010-04-01/Accounts/{sid}.json` with Basic `sid:token`. 401 (code 20003) is a wrong
 * SID/token pair, 404 an unknown SID; a Trial account texts verified numbers only (a warning), a
 * suspended or closed one sends nothing.
 */
export function checkTwilio(
  config: { baseUrl: string; accountSid: string; authToken: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  return readCheck(
    {
      vendor: "twilio",
      baseUrlVariable: "TWILIO_BASE_URL",
      variables: VARIABLES,
      url: joinUrl(config.baseUrl, `2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}.json`),
      request: { headers: { authorization: basicAuth(config.accountSid, config.authToken) } },
      ok: (answer) => accountResult(answer.json),
      other(answer) {
        if (answer.status !== 404) return undefined;
        return result(
          "twilio",
          "broken",
          `no account ${config.accountSid} (${vendorMessage(answer)})`,
          ["TWILIO_ACCOUNT_SID"],
          "TWILIO_ACCOUNT_SID is the AC… SID of the Twilio console's dashboard",
        );
      },
      refused: {
        variables: ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
        what: "Twilio refused the credentials",
        fix: "copy the Account SID and Auth Token from the Twilio console (Account → API keys & tokens) into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
      },
    },
    options,
  );
}
