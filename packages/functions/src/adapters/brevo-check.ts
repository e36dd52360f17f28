import {
  type CheckOptions,
  type CheckResult,
  joinUrl,
  readCheck,
  result,
  textOf,
  vendorMessage,
} from "./vendor-check";

/**
 * Brevo: `GET /v3/account` with the `api-key` header. A key restricted to sending email gets
 * "Access denied" here yet may still send: a warning, not a failure. With Brevo's IP blocking on,
 * an unknown address is refused even with a good key (Lambda has no fixed address without a NAT).
 */
export function checkBrevo(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["BREVO_BASE_URL", "BREVO_API_KEY"];
  return readCheck(
    {
      vendor: "brevo",
      baseUrlVariable: "BREVO_BASE_URL",
      variables,
      url: joinUrl(config.baseUrl, "v3/account"),
      request: { headers: { "api-key": config.apiKey } },
      ok(answer) {
        const plan = (answer.json as { plan?: unknown } | undefined)?.plan;
        const first = Array.isArray(plan) ? textOf(plan[0], "type") : undefined;
        const who = textOf(answer.json, "companyName") ?? textOf(answer.json, "email") ?? "an account";
        return result("brevo", "ok", `account ${who}${first ? `, plan ${first}` : ""}`, variables);
      },
      other(answer) {
        const message = vendorMessage(answer);
        if (answer.status === 401 && /unrecognised IP|IP address/i.test(message)) {
          return result(
            "brevo",
            "broken",
            `Brevo refused this machine's address (${message})`,
            ["BREVO_API_KEY"],
            "allow the address in Brevo (Security → Authorised IPs) or turn IP blocking off",
          );
        }
        if (answer.status === 403 || (answer.status !== 200 && /access denied/i.test(message))) {
          return result(
            "brevo",
            "warning",
            `the key cannot read the account (${message}); a restricted key may still send email`,
            ["BREVO_API_KEY"],
            "to check it fully, use a key with account access; else send a test email from the flow",
          );
        }
        return undefined;
      },
      refused: {
        variables: ["BREVO_API_KEY"],
        what: "Brevo refused the key",
        fix: "create an API key in Brevo (SMTP & API → API keys) and set BREVO_API_KEY",
      },
    },
    options,
  );
}
