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
 * Close: `GET /me/` with the API key as the Basic user answers who the key belongs to; nothing
 * changes at Close. 401 is a wrong or revoked key.
 */
export async function checkClose(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["CLOSE_API_BASE_URL", "CLOSE_API_KEY"];
  return runCheck("close", "CLOSE_API_BASE_URL", variables, async () => {
    const answer = await probe(
      `${joinUrl(config.baseUrl, "me/")}?_fields=id,email,organizations`,
      { headers: { authorization: basicAuth(config.apiKey, "") } },
      options,
    );
    if (answer.status === 200) {
      const organizations = (answer.json as { organizations?: unknown } | undefined)?.organizations;
      const organization = Array.isArray(organizations) ? textOf(organizations[0], "name") : undefined;
      const who = textOf(answer.json, "email") ?? textOf(answer.json, "id") ?? "a user";
      return result("close", "ok", `API key of ${who}${organization ? ` (${organization})` : ""}`, variables);
    }
    if (answer.status === 401 || answer.status === 403) {
      return result(
        "close",
        "broken",
        `Close refused the API key (${vendorMessage(answer)})`,
        ["CLOSE_API_KEY"],
        "create an API key in Close (Settings → Developer → API Keys) and set CLOSE_API_KEY",
      );
    }
    return result("close", "broken", `GET /me/ answered ${vendorMessage(answer)}`, variables);
  });
}
