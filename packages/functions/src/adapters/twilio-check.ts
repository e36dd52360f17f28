import { basicAuth } from "../http-client";
import {
  type CheckOptions,
  type CheckResult,
  joinUrl,
  probe,
  result,
  runCheck,
  textOf,
  vendorMessage,
} from "./vendor-check";

/**
 * Twilio: `GET /2010-04-01/Accounts/{sid}.json` with Basic `sid:token`. The answer carries the
 * account's `auth_token`: only `status`, `type` and `friendly_name` are ever read from it. 401
 * (code 20003) is a wrong SID/token pair, 404 an unknown SID; a Trial account texts verified
 * numbers only (a warning), a suspended or closed one sends nothing.
 */
export async function checkTwilio(
  config: { baseUrl: string; accountSid: string; authToken: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["TWILIO_BASE_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"];
  return runCheck("twilio", "TWILIO_BASE_URL", variables, async () => {
    const answer = await probe(
      joinUrl(config.baseUrl, `2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}.json`),
      { headers: { authorization: basicAuth(config.accountSid, config.authToken) } },
      options,
    );
    if (answer.status === 200) {
      const status = textOf(answer.json, "status") ?? "unknown";
      const type = textOf(answer.json, "type") ?? "unknown";
      const name = textOf(answer.json, "friendly_name");
      const about = `account ${name ? `"${name}" ` : ""}${status}, ${type}`;
      if (status !== "active") {
        return result(
          "twilio",
          "broken",
          about,
          ["TWILIO_ACCOUNT_SID"],
          "the account cannot send: reactivate it in the Twilio console",
        );
      }
      if (type === "Trial") {
        return result(
          "twilio",
          "warning",
          about,
          variables,
          "a Trial account texts verified numbers only: upgrade it, or verify ON_CALL_PHONE in Twilio",
        );
      }
      return result("twilio", "ok", about, variables);
    }
    const code = textOf(answer.json, "code");
    if (answer.status === 401 || code === "20003") {
      return result(
        "twilio",
        "broken",
        `Twilio refused the credentials (${vendorMessage(answer)}${code ? `, code ${code}` : ""})`,
        ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"],
        "copy the Account SID and Auth Token from the Twilio console (Account → API keys & tokens) into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
      );
    }
    if (answer.status === 404) {
      return result(
        "twilio",
        "broken",
        `no account ${config.accountSid} (${vendorMessage(answer)})`,
        ["TWILIO_ACCOUNT_SID"],
        "TWILIO_ACCOUNT_SID is the AC… SID of the Twilio console's dashboard",
      );
    }
    return result("twilio", "broken", `account GET answered ${vendorMessage(answer)}`, variables);
  });
}
