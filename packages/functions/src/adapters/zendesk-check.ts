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
 * Zendesk: `GET /api/v2/users/me.json` with Basic `{email}/token:{api_token}`. Zendesk answers 200
 * with an anonymous user (`id: null`) when it did not accept the credentials: that is a failure too.
 */
export async function checkZendesk(
  config: { baseUrl: string; email: string; apiToken: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"];
  const fix =
    "ZENDESK_EMAIL is an agent's sign-in email and ZENDESK_API_TOKEN a token from Admin Center → Apps and integrations → Zendesk API";
  return runCheck("zendesk", "ZENDESK_BASE_URL", variables, async () => {
    const answer = await probe(
      joinUrl(config.baseUrl, "api/v2/users/me.json"),
      { headers: { authorization: basicAuth(`${config.email}/token`, config.apiToken) } },
      options,
    );
    if (answer.status === 200) {
      const user = (answer.json as { user?: unknown } | undefined)?.user;
      const id = textOf(user, "id");
      if (id === undefined) {
        return result(
          "zendesk",
          "broken",
          "Zendesk answered as an anonymous user: it did not accept the email and token",
          ["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
          fix,
        );
      }
      const role = textOf(user, "role") ?? "unknown role";
      if (role === "end-user") {
        return result(
          "zendesk",
          "broken",
          `${textOf(user, "email") ?? id} is an end user: only agents and admins can create tickets`,
          ["ZENDESK_EMAIL"],
          "use an agent's or an admin's email",
        );
      }
      return result("zendesk", "ok", `${textOf(user, "email") ?? id} (${role})`, variables);
    }
    if (answer.status === 401 || answer.status === 403) {
      return result(
        "zendesk",
        "broken",
        `Zendesk refused the credentials (${vendorMessage(answer)})`,
        ["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
        fix,
      );
    }
    return result(
      "zendesk",
      "broken",
      `GET /api/v2/users/me.json answered ${vendorMessage(answer)}`,
      variables,
    );
  });
}
