import { basicAuth } from "../http-client";
import { type CheckOptions, joinUrl, type ProbeAnswer, probe, vendorMessage } from "./vendor-check";

/**
 * Close's webhook subscriptions (`/webhook/`, integrations research §11a), for `leadrelay connect
 * close`: list first, then create once, change the URL when it moved, re-activate a subscription
 * Close paused — never a second subscription for the same target. The `signature_key` Close
 * returns on create and on reads is the stage's CLOSE_WEBHOOK_SECRET.
 */

export interface CloseSubscription {
  id: string;
  url: string;
  status: string;
  events: Array<{ object_type?: string; action?: string }>;
  signatureKey?: string;
  latestError?: string;
}

export const LEAD_CREATED = { object_type: "lead", action: "created" } as const;

export class CloseWebhookError extends Error {
  override readonly name = "CloseWebhookError";
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function subscriptionOf(value: unknown): CloseSubscription | undefined {
  if (!isObject(value) || typeof value.id !== "string") return undefined;
  const key = value.signature_key;
  return {
    id: value.id,
    url: typeof value.url === "string" ? value.url : "",
    status: typeof value.status === "string" ? value.status : "active",
    events: Array.isArray(value.events) ? value.events.filter(isObject) : [],
    ...(typeof key === "string" && /^[0-9a-f]{32,}$/i.test(key) ? { signatureKey: key } : {}),
    ...(typeof value.latest_error === "string" && value.latest_error
      ? { latestError: value.latest_error.slice(0, 200) }
      : {}),
  };
}

export const hasLeadCreated = (subscription: CloseSubscription) =>
  subscription.events.some(
    (event) => event.object_type === LEAD_CREATED.object_type && event.action === LEAD_CREATED.action,
  );

export interface CloseWebhooks {
  list(): Promise<CloseSubscription[]>;
  get(id: string): Promise<CloseSubscription | undefined>;
  create(url: string): Promise<CloseSubscription>;
  update(id: string, fields: { url?: string; status?: "active" | "paused" }): Promise<CloseSubscription>;
}

export function createCloseWebhooks(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): CloseWebhooks {
  const headers = { authorization: basicAuth(config.apiKey, "") };
  const call = async (method: "GET" | "POST" | "PUT", path: string, json?: unknown) => {
    const answer = await probe(joinUrl(config.baseUrl, path), { method, headers, json }, options);
    if (answer.status === 401 || answer.status === 403) {
      throw new CloseWebhookError(
        `Close refused the API key (${vendorMessage(answer)}): webhooks need an admin's API key in CLOSE_API_KEY`,
      );
    }
    return answer;
  };
  const one = (answer: ProbeAnswer, what: string) => {
    const subscription = subscriptionOf(answer.json);
    if (answer.status >= 300 || !subscription)
      throw new CloseWebhookError(`${what} answered ${vendorMessage(answer)}`);
    return subscription;
  };
  return {
    async list() {
      const all: CloseSubscription[] = [];
      for (let skip = 0; ; ) {
        const answer = await call("GET", `webhook/?_skip=${skip}`);
        if (answer.status !== 200)
          throw new CloseWebhookError(`GET /webhook/ answered ${vendorMessage(answer)}`);
        // The list is `{data, has_more}` like Close's other lists; a bare array is read too.
        const body = answer.json;
        const items = Array.isArray(body)
          ? body
          : isObject(body) && Array.isArray(body.data)
            ? body.data
            : [];
        for (const item of items) {
          const subscription = subscriptionOf(item);
          if (subscription) all.push(subscription);
        }
        if (!isObject(body) || body.has_more !== true || items.length === 0) return all;
        skip += items.length;
      }
    },
    async get(id) {
      const answer = await call("GET", `webhook/${encodeURIComponent(id)}/`);
      if (answer.status === 404) return undefined;
      return one(answer, `GET /webhook/${id}/`);
    },
    async create(url) {
      return one(
        await call("POST", "webhook/", { url, events: [LEAD_CREATED], verify_ssl: url.startsWith("https:") }),
        "POST /webhook/",
      );
    },
    async update(id, fields) {
      return one(await call("PUT", `webhook/${encodeURIComponent(id)}/`, fields), `PUT /webhook/${id}/`);
    },
  };
}

export interface ConnectCloseResult {
  subscription: CloseSubscription;
  /** What was done, in order: "created", "url-updated", "reactivated", "unchanged". */
  actions: Array<"created" | "url-updated" | "reactivated" | "unchanged">;
  /** The key to store as CLOSE_WEBHOOK_SECRET; undefined when Close's reads gave none (keep the stored one). */
  signatureKey?: string;
  /** Other lead.created subscriptions pointing at a leadrelay webhook: left alone, reported. */
  others: CloseSubscription[];
}

/** A subscription that delivers to some leadrelay stage's Close webhook (any host). */
const isLeadrelayTarget = (url: string) => /\/webhook\/close\/?$/.test(url);

/**
 * Makes Close deliver `lead.created` to `url` through exactly one subscription: the one already
 * pointing there, else the one `knownId` names (stored by an earlier run) or the only one aimed at
 * a `/webhook/close` path, its URL changed; else a new one. A paused one is re-activated. The
 * signature key comes from the answers (create, PUT, or a GET of the subscription); none is never a
 * reason to create another subscription.
 */
export async function connectCloseWebhook(
  webhooks: CloseWebhooks,
  url: string,
  knownId?: string,
): Promise<ConnectCloseResult> {
  const all = (await webhooks.list()).filter(hasLeadCreated);
  const actions: ConnectCloseResult["actions"] = [];
  let subscription =
    all.find((candidate) => candidate.url === url) ??
    all.find((candidate) => candidate.id === knownId) ??
    (() => {
      const ours = all.filter((candidate) => isLeadrelayTarget(candidate.url));
      return ours.length === 1 ? ours[0] : undefined;
    })();
  if (!subscription) {
    subscription = await webhooks.create(url);
    actions.push("created");
  } else {
    if (subscription.url !== url) {
      subscription = await webhooks.update(subscription.id, { url });
      actions.push("url-updated");
    }
    if (subscription.status === "paused") {
      subscription = await webhooks.update(subscription.id, { status: "active" });
      actions.push("reactivated");
    }
    if (actions.length === 0) actions.push("unchanged");
  }
  let signatureKey = subscription.signatureKey;
  if (!signatureKey) signatureKey = (await webhooks.get(subscription.id))?.signatureKey;
  const chosen = subscription.id;
  return {
    subscription,
    actions,
    ...(signatureKey ? { signatureKey } : {}),
    others: all.filter((candidate) => candidate.id !== chosen && isLeadrelayTarget(candidate.url)),
  };
}
