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

/** What the page token needs for lead ads (fetching leads, installing the app on the page). */
export const META_LEAD_SCOPES = [
  "leads_retrieval",
  "pages_manage_metadata",
  "pages_show_list",
  "pages_read_engagement",
  "ads_management",
] as const;

/** Why each Graph permission matters, for the operator. */
const SCOPE_WHY: Record<string, string> = {
  leads_retrieval: "read a lead's answers",
  pages_manage_metadata: "install the app on the page (subscribed_apps)",
  pages_show_list: "see the page",
  pages_read_engagement: "read the page",
  ads_management: "read leads of ads",
};

export function missingScopeMessage(scopes: readonly string[]): string {
  return scopes.map((scope) => `${scope} (${SCOPE_WHY[scope] ?? "needed"})`).join(", ");
}

interface GraphConfig {
  baseUrl: string;
  version: string;
}

const graphUrl = (config: GraphConfig, path: string, query: Record<string, string>) =>
  `${joinUrl(config.baseUrl, `${config.version}/${path}`)}?${new URLSearchParams(query)}`;

/**
 * Meta's page token, read-only: `debug_token` with the app token (`{app-id}|{app-secret}`) says
 * whether it is valid, a PAGE token, when it expires and its scopes; then `has_lead_access` on the
 * page tells whether Leads Access (Business settings) lets this app read leads.
 */
export async function checkMetaPageToken(
  config: GraphConfig & { appId: string; appSecret: string; pageToken: string; pageId?: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["META_APP_ID", "META_APP_SECRET", "META_PAGE_ACCESS_TOKEN", "META_PAGE_ID"];
  return runCheck("meta", "META_GRAPH_BASE_URL", variables, async () => {
    const debug = await probe(
      graphUrl(config, "debug_token", {
        input_token: config.pageToken,
        access_token: `${config.appId}|${config.appSecret}`,
      }),
      {},
      options,
    );
    if (debug.status !== 200) {
      return result(
        "meta",
        "broken",
        `debug_token refused the app token (${vendorMessage(debug)})`,
        ["META_APP_ID", "META_APP_SECRET"],
        "META_APP_ID and META_APP_SECRET are on the app's Settings → Basic page at developers.facebook.com",
      );
    }
    const data = ((debug.json as { data?: Record<string, unknown> } | undefined)?.data ?? {}) as Record<
      string,
      unknown
    >;
    if (data.is_valid !== true) {
      const why = textOf(data.error, "message") ?? "invalid";
      return result(
        "meta",
        "broken",
        `the page token is not valid (${why})`,
        ["META_PAGE_ACCESS_TOKEN"],
        "issue a long-lived page token (user token → /oauth/access_token → /me/accounts) and set META_PAGE_ACCESS_TOKEN",
      );
    }
    if (textOf(data, "type") && textOf(data, "type") !== "PAGE") {
      return result(
        "meta",
        "broken",
        `META_PAGE_ACCESS_TOKEN is a ${textOf(data, "type")} token, not a PAGE token`,
        ["META_PAGE_ACCESS_TOKEN"],
        "use the page's token from GET /me/accounts",
      );
    }
    const scopes = Array.isArray(data.scopes) ? data.scopes.map(String) : [];
    const missing = META_LEAD_SCOPES.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      return result(
        "meta",
        "broken",
        `the page token lacks ${missingScopeMessage(missing)}`,
        ["META_PAGE_ACCESS_TOKEN"],
        "grant these permissions to the app (App Review for live mode) and issue the page token again",
      );
    }
    const expires = Number(data.expires_at ?? 0);
    const expiry =
      expires === 0 ? "never expires" : `expires ${new Date(expires * 1000).toISOString().slice(0, 10)}`;
    const pageId = config.pageId ?? textOf(data, "profile_id");
    if (!pageId) return result("meta", "ok", `page token valid, ${expiry}`, variables);
    const access = await probe(
      graphUrl(config, encodeURIComponent(pageId), {
        fields: `has_lead_access.app_id(${config.appId})`,
        access_token: config.pageToken,
      }),
      {},
      options,
    );
    if (access.status !== 200) {
      return result(
        "meta",
        "broken",
        `page ${pageId}: lead access could not be read (${vendorMessage(access)})`,
        ["META_PAGE_ID", "META_PAGE_ACCESS_TOKEN"],
        "META_PAGE_ID must be the page the token belongs to",
      );
    }
    const lead = ((access.json as { has_lead_access?: Record<string, unknown> } | undefined)
      ?.has_lead_access ?? {}) as Record<string, unknown>;
    if (lead.can_access_lead === false) {
      const why = textOf(lead, "failure_reason") ?? "no lead access";
      const resolution = textOf(lead, "failure_resolution");
      return result(
        "meta",
        "broken",
        `page ${pageId}: this app may not read leads (${why})`,
        ["META_PAGE_ID"],
        resolution ?? "Business settings → Integrations → Leads access: assign this app (CRM) to the page",
      );
    }
    return result("meta", "ok", `page ${pageId}: token valid, ${expiry}, lead access granted`, variables);
  });
}

/** The Conversions API pixel, read-only: `GET /{pixel-id}?fields=id,name,last_fired_time` with the CAPI token. */
export async function checkMetaPixel(
  config: GraphConfig & { pixelId: string; accessToken: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["META_PIXEL_ID", "META_ACCESS_TOKEN"];
  return runCheck("meta-capi", "META_GRAPH_BASE_URL", variables, async () => {
    const answer = await probe(
      graphUrl(config, encodeURIComponent(config.pixelId), {
        fields: "id,name,last_fired_time",
        access_token: config.accessToken,
      }),
      {},
      options,
    );
    if (answer.status === 200) {
      const name = textOf(answer.json, "name");
      return result("meta-capi", "ok", `pixel ${config.pixelId}${name ? ` (${name})` : ""}`, variables);
    }
    const code = textOf((answer.json as { error?: unknown } | undefined)?.error, "code");
    if (code === "190" || answer.status === 401) {
      return result(
        "meta-capi",
        "broken",
        `the Conversions API token is invalid or expired (${vendorMessage(answer)})`,
        ["META_ACCESS_TOKEN"],
        "generate a token in Events Manager → the pixel → Settings → Conversions API and set META_ACCESS_TOKEN",
      );
    }
    return result(
      "meta-capi",
      "broken",
      `pixel ${config.pixelId} could not be read (${vendorMessage(answer)})`,
      ["META_PIXEL_ID", "META_ACCESS_TOKEN"],
      "META_PIXEL_ID must be a pixel (dataset) the token's system user or app may use",
    );
  });
}
