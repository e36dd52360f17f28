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

export interface HubSpotPropertyRef {
  /** `contacts`, `deals`… */
  type: string;
  name: string;
}

/**
 * HubSpot, read-only: the private app token's info (`POST /oauth/v2/private-apps/get/access-token-info`,
 * which needs no scope and tells the portal and scopes), the account (`GET /account-info/v3/details`),
 * then each property the chosen flows write (`GET /crm/v3/properties/{type}/{name}`): a missing one
 * would make every write fail, and `leadrelay connect hubspot` creates it.
 */
export async function checkHubSpot(
  config: { baseUrl: string; token: string; properties: readonly HubSpotPropertyRef[] },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["HUBSPOT_BASE_URL", "HUBSPOT_TOKEN"];
  const auth = { authorization: `Bearer ${config.token}` };
  const tokenFix =
    "create a private app in HubSpot (Settings → Integrations → Private apps) and set HUBSPOT_TOKEN to its token";
  return runCheck("hubspot", "HUBSPOT_BASE_URL", variables, async () => {
    const info = await probe(
      joinUrl(config.baseUrl, "oauth/v2/private-apps/get/access-token-info"),
      { method: "POST", headers: auth, json: { tokenKey: config.token } },
      options,
    );
    if (info.status < 200 || info.status >= 300) {
      return result(
        "hubspot",
        "broken",
        `HubSpot did not accept the token (${vendorMessage(info)})`,
        ["HUBSPOT_TOKEN"],
        tokenFix,
      );
    }
    const account = await probe(
      joinUrl(config.baseUrl, "account-info/v3/details"),
      { headers: auth },
      options,
    );
    if (account.status === 401) {
      return result(
        "hubspot",
        "broken",
        `HubSpot refused the token (${vendorMessage(account)})`,
        ["HUBSPOT_TOKEN"],
        tokenFix,
      );
    }
    const portal = textOf(account.json, "portalId") ?? textOf(info.json, "hubId") ?? "unknown";
    const kind = textOf(account.json, "accountType");
    const missing: string[] = [];
    for (const property of config.properties) {
      const answer = await probe(
        joinUrl(
          config.baseUrl,
          `crm/v3/properties/${encodeURIComponent(property.type)}/${encodeURIComponent(property.name)}`,
        ),
        { headers: auth },
        options,
      );
      if (answer.status === 404) missing.push(`${property.type}.${property.name}`);
      else if (answer.status === 403) {
        return result(
          "hubspot",
          "broken",
          `portal ${portal}: the token may not read ${property.type} properties (${vendorMessage(answer)})`,
          ["HUBSPOT_TOKEN"],
          `give the private app the crm.schemas.${property.type}.read scope`,
        );
      } else if (answer.status !== 200) {
        return result(
          "hubspot",
          "broken",
          `GET property ${property.type}.${property.name} answered ${vendorMessage(answer)}`,
          variables,
        );
      }
    }
    const about = `portal ${portal}${kind ? ` (${kind})` : ""}`;
    if (missing.length > 0) {
      return result(
        "hubspot",
        "broken",
        `${about}: missing properties ${missing.join(", ")}`,
        ["HUBSPOT_TOKEN"],
        "run 'pnpm leadrelay connect hubspot' (it creates them; the token needs the crm.schemas.*.write scopes)",
      );
    }
    return result(
      "hubspot",
      "ok",
      `${about}${config.properties.length ? `, ${config.properties.length} properties present` : ""}`,
      variables,
    );
  });
}
