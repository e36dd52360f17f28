import { basicAuth } from "../http-client";
import { type CheckOptions, type CheckResult, joinUrl, readCheck, result, textOf } from "./vendor-check";

const FIX =
  "ZENDESK_EMAIL is an agent's sign-in email and ZENDESK_API_TOKEN a token from Admin Center → Apps and integrations → Zendesk API";

/**
 * Zendesk: `GET /api/v2/users/me.json` with Basic `{email}/token:{api_token}`. Zendesk answers 200
 * with an anonymous user (`id: null`) when it did not accept the credentials: that is a failure too.
 */
export function checkZendesk(
  config: { baseUrl: string; email: string; apiToken: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"];
  return readCheck(
    {
      vendor: "zendesk",
      baseUrlVariable: "ZENDESK_BASE_URL",
      variables,
      url: joinUrl(config.baseUrl, "api/v2/users/me.json"),
      request: { headers: { authorization: basicAuth(`${config.email}/token`, config.apiToken) } },
      ok(answer) {
        const user = (answer.json as { user?: unknown } | undefined)?.user;
        const id = textOf(user, "id");
        if (id === undefined) {
          return result(
            "zendesk",
            "broken",
            "Zendesk answered as an anonymous user: it did not accept the email and token",
            ["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
            FIX,
          );
        }
        const role = textOf(user, "role") ?? "unknown role";
        const who = textOf(user, "email") ?? id;
        if (role === "end-user") {
          return result(
            "zendesk",
            "broken",
            `${who} is an end user: only agents and admins can create tickets`,
            ["ZENDESK_EMAIL"],
            "use an agent's or an admin's email",
          );
        }
        return result("zendesk", "ok", `${who} (${role})`, variables);
      },
      refused: {
        variables: ["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
        what: "Zendesk refused the credentials",
        fix: FIX,
      },
    },
    options,
  );
}
