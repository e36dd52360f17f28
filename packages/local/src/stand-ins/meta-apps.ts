import type { StandInContext, StandInReply, StandInRequest } from "./stand-in";

/**
 * The Graph endpoints of going live with lead ads (integrations research §11b, §12), with state:
 * `debug_token` (the page token, read with the app token `{app-id}|{app-secret}`), the page's
 * `has_lead_access`, the pixel's read, the app's webhook subscriptions (`/{app-id}/subscriptions`,
 * a POST for an object replaces it) and the page's installed apps (`/{page-id}/subscribed_apps`).
 * The stand-in grants every permission; `PUT /_local/meta/_permissions {"revoked": [scopes]}` takes
 * some away (what App Review or Leads Access would withhold), `GET` shows them.
 */

type Json = Record<string, unknown>;

export const LOCAL_META_APP_ID = "100000000000001";
export const LOCAL_META_PAGE_ID = "100000000000002";
const ALL_SCOPES = [
  "leads_retrieval",
  "pages_manage_metadata",
  "pages_show_list",
  "pages_read_engagement",
  "ads_management",
];

interface MetaAppState {
  /** app id → object → subscription */
  subscriptions?: Record<string, Record<string, Json>>;
  /** page id → installed app ids with their fields */
  installs?: Record<string, Record<string, string[]>>;
  revoked?: string[];
}

const error = (message: string, code: number, status = 400): StandInReply => ({
  status,
  json: { error: { message, type: "OAuthException", code, fbtrace_id: "AlocalStandIn" } },
});

function appsOf(context: StandInContext): MetaAppState {
  const state = context.state as { apps?: MetaAppState };
  state.apps ??= {};
  return state.apps;
}

const tokenOf = (request: StandInRequest) =>
  request.query.get("access_token") ??
  request.headers.authorization?.replace(/^Bearer\s+/i, "") ??
  (request.json as Json | undefined)?.access_token?.toString();

const appToken = (token: string | undefined) => /^\d+\|.+$/.test(token ?? "");

/** Answers the lead-ads set-up endpoints, or undefined for the other Graph paths (leads, events). */
export function metaAppsReply(
  request: StandInRequest,
  context: StandInContext,
  pixelId: string,
): StandInReply | undefined {
  if (request.path === "/_permissions") {
    const apps = appsOf(context);
    const revoked = (request.json as { revoked?: unknown } | undefined)?.revoked;
    if (request.method === "PUT" && Array.isArray(revoked)) {
      apps.revoked = revoked.map(String);
      context.save();
    } else if (request.method !== "GET")
      return { status: 400, json: { error: 'PUT {"revoked": ["leads_retrieval", …]}' } };
    return {
      status: 200,
      json: {
        granted: ALL_SCOPES.filter((scope) => !(apps.revoked ?? []).includes(scope)),
        revoked: apps.revoked ?? [],
      },
    };
  }
  const parts = request.path.split("/").filter(Boolean);
  const [, id, edge] = parts;
  if (parts.length < 2 || parts.length > 3 || id === undefined) return undefined;
  const apps = appsOf(context);
  const token = tokenOf(request);
  const form = (request.json ?? {}) as Json;
  const field = (name: string) =>
    request.query.get(name) ?? (typeof form[name] === "string" ? String(form[name]) : undefined);

  if (id === "debug_token" && parts.length === 2) {
    if (!appToken(token)) return error("(#100) You must provide an app access token", 100);
    const input = request.query.get("input_token");
    if (!input) return error("(#100) The parameter input_token is required", 100);
    const scopes = ALL_SCOPES.filter((scope) => !(apps.revoked ?? []).includes(scope));
    return {
      status: 200,
      json: {
        data: {
          app_id: token?.split("|")[0],
          type: "PAGE",
          application: "leadrelay (stand-in)",
          is_valid: true,
          expires_at: 0,
          data_access_expires_at: 0,
          scopes,
          profile_id: LOCAL_META_PAGE_ID,
          user_id: "100000000000009",
        },
      },
    };
  }
  if (edge === "subscriptions") {
    if (!appToken(token)) return error("(#15) This method must be called with an app access token", 15);
    apps.subscriptions ??= {};
    apps.subscriptions[id] ??= {};
    const mine = apps.subscriptions[id];
    if (request.method === "GET") return { status: 200, json: { data: Object.values(mine) } };
    if (request.method !== "POST") return error(`Unsupported ${request.method.toLowerCase()} request.`, 100);
    const object = field("object");
    const callback = field("callback_url");
    const fields = (field("fields") ?? "").split(",").filter(Boolean);
    if (!object || !callback || !field("verify_token") || fields.length === 0)
      return error("(#100) object, callback_url, fields and verify_token are required", 100);
    mine[object] = {
      object,
      callback_url: callback,
      active: true,
      fields: fields.map((name) => ({ name, version: "v21.0" })),
    };
    context.save();
    return { status: 200, json: { success: true } };
  }
  if (edge === "subscribed_apps") {
    if (!token || appToken(token))
      return error("(#210) A page access token is required to request this resource.", 210);
    apps.installs ??= {};
    apps.installs[id] ??= {};
    const page = apps.installs[id];
    if (request.method === "GET")
      return {
        status: 200,
        json: {
          data: Object.entries(page).map(([app, subscribed]) => ({
            id: app,
            name: "leadrelay",
            subscribed_fields: subscribed,
          })),
        },
      };
    if (request.method !== "POST") return error(`Unsupported ${request.method.toLowerCase()} request.`, 100);
    if ((apps.revoked ?? []).includes("pages_manage_metadata"))
      return error(
        "(#200) The user must be an administrator, editor, or moderator of the page with pages_manage_metadata",
        200,
        403,
      );
    page[LOCAL_META_APP_ID] = (field("subscribed_fields") ?? "").split(",").filter(Boolean);
    context.save();
    return { status: 200, json: { success: true } };
  }
  if (parts.length !== 2 || request.method !== "GET") return undefined;
  const fields = request.query.get("fields") ?? "";
  if (fields.startsWith("has_lead_access")) {
    if (!token) return error("An access token is required to request this resource.", 190);
    const granted = !(apps.revoked ?? []).includes("leads_retrieval");
    return {
      status: 200,
      json: {
        id,
        has_lead_access: granted
          ? { can_access_lead: true, app_has_leads_permission: true, is_page_admin: true, page_id: id }
          : {
              can_access_lead: false,
              failure_reason: "The app has no leads_retrieval permission",
              failure_resolution: "Grant leads_retrieval to the app and assign it in Leads Access",
              page_id: id,
            },
      },
    };
  }
  if (id === pixelId) {
    if (!token) return error("An access token is required to request this resource.", 190);
    return {
      status: 200,
      json: { id, name: "leadrelay stand-in pixel", last_fired_time: new Date(context.now()).toISOString() },
    };
  }
  return undefined;
}
