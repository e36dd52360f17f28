import { basicAuth } from "../http-client";
import { type CheckOptions, type CheckResult, joinUrl, readCheck, result, textOf } from "./vendor-check";

/**
 * Close: `GET /me/` with the API key as the Basic user answers who the key belongs to; nothing
 * changes at Close. 401 is a wrong or revoked key.
 */
export function checkClose(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["CLOSE_API_BASE_URL", "CLOSE_API_KEY"];
  return readCheck(
    {
      vendor: "close",
      baseUrlVariable: "CLOSE_API_BASE_URL",
      variables,
      url: `${joinUrl(config.baseUrl, "me/")}?_fields=id,email,organizations`,
      request: { headers: { authorization: basicAuth(config.apiKey, "") } },
      ok(answer) {
        const organizations = (answer.json as { organizations?: unknown } | undefined)?.organizations;
        const organization = Array.isArray(organizations) ? textOf(organizations[0], "name") : undefined;
        const who = textOf(answer.json, "email") ?? textOf(answer.json, "id") ?? "a user";
        return result(
          "close",
          "ok",
          `API key of ${who}${organization ? ` (${organization})` : ""}`,
          variables,
        );
      },
      refused: {
        variables: ["CLOSE_API_KEY"],
        what: "Close refused the API key",
        fix: "create an API key in Close (Settings → Developer → API Keys) and set CLOSE_API_KEY",
      },
    },
    options,
  );
}
