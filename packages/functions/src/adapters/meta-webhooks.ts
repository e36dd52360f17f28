import { type CheckOptions, joinUrl, type ProbeAnswer, probe, vendorMessage } from "./vendor-check";

/**
 * Registering lead ads delivery with Meta (integrations research §11b), for `leadrelay connect
 * meta`: the app's `page` subscription (`/{app-id}/subscriptions`: `leadgen`, the callback URL,
 * the verify token; app token `{app-id}|{app-secret}`; Meta runs the handshake against the
 * callback during the call) and the app's install on the page (`/{page-id}/subscribed_apps` with
 * the page token). Both must exist or nothing is delivered. Each is read first and written only
 * when it differs, so a second run changes nothing.
 */

export interface MetaConnectConfig {
  baseUrl: string;
  version: string;
  appId: string;
  appSecret: string;
  verifyToken: string;
  pageId: string;
  pageToken: string;
}

export class MetaConnectError extends Error {
  override readonly name = "MetaConnectError";
}

export interface MetaConnectResult {
  app: "created" | "updated" | "unchanged";
  page: "installed" | "unchanged";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const dataOf = (answer: ProbeAnswer): Record<string, unknown>[] => {
  const data = isObject(answer.json) ? answer.json.data : undefined;
  return Array.isArray(data) ? data.filter(isObject) : [];
};

/** Graph's error code, for a message per missing permission. */
function graphFailure(what: string, answer: ProbeAnswer, hint: string): MetaConnectError {
  const code = isObject(answer.json) && isObject(answer.json.error) ? answer.json.error.code : undefined;
  const why =
    code === 190
      ? "the token is invalid or expired"
      : code === 200 || code === 210 || code === 10
        ? `a permission is missing (${hint})`
        : "Meta refused it";
  return new MetaConnectError(`${what}: ${why} — ${vendorMessage(answer)}`);
}

export async function connectMetaWebhook(
  config: MetaConnectConfig,
  callbackUrl: string,
  options: CheckOptions = {},
): Promise<MetaConnectResult> {
  const url = (path: string) => joinUrl(config.baseUrl, `${config.version}/${path}`);
  const appToken = `${config.appId}|${config.appSecret}`;
  const appPath = `${encodeURIComponent(config.appId)}/subscriptions`;

  const listed = await probe(`${url(appPath)}?access_token=${encodeURIComponent(appToken)}`, {}, options);
  if (listed.status !== 200)
    throw graphFailure(
      "reading the app's webhook subscriptions",
      listed,
      "META_APP_ID and META_APP_SECRET must be the app's",
    );
  const current = dataOf(listed).find((entry) => entry.object === "page");
  const fields = Array.isArray(current?.fields) ? current.fields : [];
  const hasLeadgen = fields.some(
    (field) => field === "leadgen" || (isObject(field) && field.name === "leadgen"),
  );
  let app: MetaConnectResult["app"] = "unchanged";
  if (!current || current.callback_url !== callbackUrl || !hasLeadgen || current.active === false) {
    // A POST for the page object replaces that subscription: never a second one. The verify token
    // cannot be read back, so a changed token needs this POST too: it is sent whenever anything differs.
    const written = await probe(
      url(appPath),
      {
        method: "POST",
        form: {
          object: "page",
          callback_url: callbackUrl,
          fields: "leadgen",
          verify_token: config.verifyToken,
          include_values: "true",
          access_token: appToken,
        },
      },
      options,
    );
    if (written.status !== 200)
      throw graphFailure(
        "subscribing the app to the page's leadgen field",
        written,
        `Meta calls ${callbackUrl} with META_VERIFY_TOKEN during this call: the stage must be deployed and answer it`,
      );
    app = current ? "updated" : "created";
  }

  const pagePath = `${encodeURIComponent(config.pageId)}/subscribed_apps`;
  const installed = await probe(
    `${url(pagePath)}?access_token=${encodeURIComponent(config.pageToken)}`,
    {},
    options,
  );
  if (installed.status !== 200)
    throw graphFailure(
      "reading the page's installed apps",
      installed,
      "the page token needs pages_manage_metadata and pages_show_list",
    );
  const ours = dataOf(installed).find((entry) => String(entry.id) === config.appId);
  const subscribed = Array.isArray(ours?.subscribed_fields) ? ours.subscribed_fields.map(String) : [];
  if (ours && subscribed.includes("leadgen")) return { app, page: "unchanged" };
  const install = await probe(
    url(pagePath),
    {
      method: "POST",
      form: {
        subscribed_fields: [...new Set([...subscribed, "leadgen"])].join(","),
        access_token: config.pageToken,
      },
    },
    options,
  );
  if (install.status !== 200)
    throw graphFailure(
      `installing the app on page ${config.pageId}`,
      install,
      "pages_manage_metadata; the token's user must be able to ADVERTISE on the page",
    );
  return { app, page: "installed" };
}
