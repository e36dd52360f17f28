import { type CheckOptions, joinUrl, probe, vendorMessage } from "./vendor-check";

/**
 * La Growth Machine's inbox webhooks (`/inboxWebhooks`, integrations research §6, §11c), for
 * `leadrelay connect lgm`: listed first (a bare array or `{data}`), created only when none has the
 * URL. The URL carries leadrelay's path token: LGM has no signature, the URL is the secret.
 */
export class LgmConnectError extends Error {
  override readonly name = "LgmConnectError";
}

export async function connectLgmWebhook(
  config: { baseUrl: string; apiKey: string },
  url: string,
  options: CheckOptions = {},
): Promise<{ id: string; action: "created" | "unchanged" }> {
  const headers = { "x-api-key": config.apiKey };
  const listed = await probe(joinUrl(config.baseUrl, "inboxWebhooks"), { headers }, options);
  if (listed.status === 401 || listed.status === 403)
    throw new LgmConnectError(
      `LGM refused LGM_API_KEY (${vendorMessage(listed)}); the API needs the Pro plan`,
    );
  if (listed.status !== 200)
    throw new LgmConnectError(`GET /inboxWebhooks answered ${vendorMessage(listed)}`);
  const body = listed.json as unknown;
  const items = Array.isArray(body)
    ? body
    : Array.isArray((body as { data?: unknown } | undefined)?.data)
      ? (body as { data: unknown[] }).data
      : [];
  const existing = items.find((item) => (item as { url?: unknown })?.url === url) as
    | { id?: unknown; _id?: unknown }
    | undefined;
  if (existing) return { id: String(existing.id ?? existing._id ?? "?"), action: "unchanged" };
  const created = await probe(
    joinUrl(config.baseUrl, "inboxWebhooks"),
    {
      method: "POST",
      headers,
      json: {
        url,
        name: "leadrelay",
        description: "LinkedIn and email replies → leadrelay (linkedin-replies)",
        campaigns: [],
      },
    },
    options,
  );
  if (created.status < 200 || created.status >= 300)
    throw new LgmConnectError(`POST /inboxWebhooks answered ${vendorMessage(created)}`);
  const id = (created.json as { id?: unknown; _id?: unknown } | undefined) ?? {};
  return { id: String(id.id ?? id._id ?? "?"), action: "created" };
}
