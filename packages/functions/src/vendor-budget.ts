/**
 * One call budget per vendor, shared by every execution of every flow (issue 20): what a budget
 * is (`count/window`: at most `count` calls start in any sliding window of that length), which
 * budgets apply with these settings, and the pure sliding-window arithmetic that both the local
 * gate (one in-process window per vendor) and the AWS consumer (one DynamoDB item per vendor) use.
 */

/** The budgets a Task can draw on, named as the vendors' stand-in slugs (HubSpot's search has its own). */
export const BUDGETS = [
  "close",
  "hubspot",
  "hubspot-search",
  "zendesk",
  "twilio",
  "brevo",
  "meta",
  "llm",
  "slack",
] as const;
export type BudgetName = (typeof BUDGETS)[number];

/** How many calls of each budget one invocation of a Task makes at most (`TaskSpec.calls`). */
export type BudgetCalls = Partial<Record<BudgetName, number>>;

export interface Rate {
  count: number;
  windowMs: number;
}

interface BudgetRule {
  variable: string;
  /** The variable pointing the vendor's calls somewhere else than the vendor (stand-in, proxy). */
  baseUrlVariable: string;
  /** The real vendor's host: a base URL unset (AWS) or on this host uses the default. */
  realHost: RegExp;
  /** The smallest plan's documented limit, where there is one. */
  defaultRate?: string;
}

/**
 * Defaults are the smallest plan's documented limits (shared/research/integrations.md):
 * Close 20 req/s per key per endpoint group (developer.close.com/topics/rate-limits),
 * HubSpot Free/Starter private apps 100 per 10 s per portal and search 4 req/s per token
 * (HubSpot changelog), Zendesk Team 200 per minute, Brevo's general tier 1,000 req/s on
 * `POST /v3/smtp/email` (developers.brevo.com/docs/api-limits). Twilio, Meta, the LLM and Slack
 * publish no plain rate (Twilio limits concurrency, Meta scales per app usage): no default.
 */
export const BUDGET_RULES: Record<BudgetName, BudgetRule> = {
  close: {
    variable: "CLOSE_RATE_LIMIT",
    baseUrlVariable: "CLOSE_API_BASE_URL",
    realHost: /^api\.close\.com$/,
    defaultRate: "20/1s",
  },
  hubspot: {
    variable: "HUBSPOT_RATE_LIMIT",
    baseUrlVariable: "HUBSPOT_BASE_URL",
    realHost: /^api\.hubapi\.com$/,
    defaultRate: "100/10s",
  },
  "hubspot-search": {
    variable: "HUBSPOT_SEARCH_RATE_LIMIT",
    baseUrlVariable: "HUBSPOT_BASE_URL",
    realHost: /^api\.hubapi\.com$/,
    defaultRate: "4/1s",
  },
  zendesk: {
    variable: "ZENDESK_RATE_LIMIT",
    baseUrlVariable: "ZENDESK_BASE_URL",
    realHost: /\.zendesk\.com$/,
    defaultRate: "200/60s",
  },
  brevo: {
    variable: "BREVO_RATE_LIMIT",
    baseUrlVariable: "BREVO_BASE_URL",
    realHost: /^api\.brevo\.com$/,
    defaultRate: "1000/1s",
  },
  twilio: { variable: "TWILIO_RATE_LIMIT", baseUrlVariable: "TWILIO_BASE_URL", realHost: /\.twilio\.com$/ },
  meta: {
    variable: "META_RATE_LIMIT",
    baseUrlVariable: "META_GRAPH_BASE_URL",
    realHost: /\.facebook\.com$/,
  },
  llm: { variable: "LLM_RATE_LIMIT", baseUrlVariable: "LLM_BASE_URL", realHost: /^api\.openai\.com$/ },
  slack: { variable: "SLACK_RATE_LIMIT", baseUrlVariable: "SLACK_WEBHOOK_URL", realHost: /\.slack\.com$/ },
};

/** Every variable that sets a budget (the runtime and the deploy read them). */
export const BUDGET_VARIABLES = BUDGETS.map((name) => BUDGET_RULES[name].variable);

export class BudgetSettingError extends Error {
  override readonly name = "BudgetSettingError";
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `count/window`, e.g. `20/1s`, `100/10s`, `200/60s`, `200/1m`; the variable is named in the error. */
export function parseRate(text: string, variable = "rate"): Rate {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|m|h)\s*$/.exec(text);
  const count = Number(match?.[1]);
  const windowMs = Number(match?.[2] ?? 1) * (UNIT_MS[match?.[3] ?? ""] ?? Number.NaN);
  if (!match || !Number.isInteger(count) || count < 1 || !(windowMs >= 1) || windowMs > 86_400_000) {
    throw new BudgetSettingError(
      `${variable} must be count/window with a count ≥ 1 and a window of at most a day, e.g. 20/1s, 100/10s or 200/1m (got "${text}")`,
    );
  }
  return { count, windowMs };
}

export function formatRate(rate: Rate): string {
  return rate.windowMs % 1000 === 0
    ? `${rate.count}/${rate.windowMs / 1000}s`
    : `${rate.count}/${rate.windowMs}ms`;
}

function pointsAtVendor(rule: BudgetRule, settings: Record<string, string | undefined>): boolean {
  const url = settings[rule.baseUrlVariable];
  if (url === undefined || url.trim() === "") return true;
  try {
    return rule.realHost.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * The budgets that apply with these settings: a budget's variable when set; else, when the
 * vendor's base URL is the real vendor's (or unset, as on AWS, where it defaults to the vendor),
 * its documented default. Stand-ins and other hosts are unlimited unless told.
 */
export function applicableBudgets(settings: Record<string, string | undefined>): Map<BudgetName, Rate> {
  const out = new Map<BudgetName, Rate>();
  for (const name of BUDGETS) {
    const rule = BUDGET_RULES[name];
    const value = settings[rule.variable];
    if (value !== undefined && value.trim() !== "") out.set(name, parseRate(value, rule.variable));
    else if (rule.defaultRate && pointsAtVendor(rule, settings))
      out.set(name, parseRate(rule.defaultRate, rule.variable));
  }
  return out;
}

/** The budgets a Task's declared calls draw on that apply with these settings. */
export function budgetedCalls(
  calls: BudgetCalls | undefined,
  budgets: ReadonlyMap<BudgetName, Rate>,
): BudgetCalls {
  const out: BudgetCalls = {};
  for (const [name, count] of Object.entries(calls ?? {}) as Array<[BudgetName, number]>) {
    if (budgets.has(name) && count > 0) out[name] = count;
  }
  return out;
}

/** The budget a call to this vendor service and path draws on (HubSpot's search endpoints have their own). */
export function budgetOfCall(service: string, path: string): BudgetName | undefined {
  if (service === "hubspot" && /\/search\/?$/.test(path)) return "hubspot-search";
  return (BUDGETS as readonly string[]).includes(service) ? (service as BudgetName) : undefined;
}

// ── the sliding window ──────────────────────────────────────────────────────

/**
 * What limits a vendor besides its budget: a hold until a 429's reset, and what the vendor's own
 * rate-limit headers said is left until their reset (it can lower a budget, never raise it).
 */
export interface VendorHold {
  /** No call starts before this (epoch ms): a 429's reset. */
  pausedUntil?: number;
  /** The vendor said `remaining` calls are left until `resetAt` (epoch ms). */
  allowance?: { remaining: number; resetAt: number };
}

/**
 * When `n` more calls may start, given the start times of the calls in the window (ascending),
 * the budget (absent: unlimited) and the vendor's hold: `now` when they may start at once.
 */
export function nextStart(
  starts: readonly number[],
  n: number,
  rate: Rate | undefined,
  hold: VendorHold,
  now: number,
): number {
  let at = Math.max(now, hold.pausedUntil ?? 0);
  const allowance = hold.allowance;
  // `remaining` is kept current by whoever starts calls (each start takes one).
  if (allowance && allowance.resetAt > at && allowance.remaining < n) at = allowance.resetAt;
  if (!rate) return at;
  const need = Math.min(n, rate.count);
  // The calls still inside the window at `at`; the oldest ones must leave it first.
  const inWindow = starts.filter((start) => start > at - rate.windowMs);
  const excess = inWindow.length + need - rate.count;
  if (excess <= 0) return at;
  const leaving = inWindow[excess - 1] as number;
  return Math.max(at, leaving + rate.windowMs);
}

/** The start times still relevant to a budget at `now` (older ones can never count again). */
export function pruneStarts(starts: readonly number[], rate: Rate | undefined, now: number): number[] {
  if (!rate) return [];
  return starts.filter((start) => start > now - rate.windowMs);
}

// ── what a vendor's answer says about its limits ────────────────────────────

export interface RateLimitReading {
  /** The vendor's limit per window. */
  limit?: number;
  /** Calls left in the vendor's current window. */
  remaining?: number;
  /** Seconds until the vendor's window resets. */
  resetSeconds?: number;
}

const num = (value: string | null | undefined) => {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
};

/**
 * The vendor's own rate-limit headers, whichever it sends: Close's `RateLimit: limit=, remaining=,
 * reset=` (reset in decimal seconds), the IETF draft's `RateLimit-Remaining`/`-Reset`, Brevo's
 * `x-sib-ratelimit-remaining`/`-reset` (seconds), HubSpot's `X-HubSpot-RateLimit-Remaining` with
 * `-Interval-Milliseconds` (its rolling window, taken as the reset), Zendesk's `X-Rate-Limit-Remaining`
 * (per minute).
 */
export function readRateLimit(headers: Headers): RateLimitReading {
  const combined = headers.get("ratelimit");
  if (combined) {
    const field = (key: string) =>
      num(new RegExp(`(?:^|[,;\\s])${key}=(\\d+(?:\\.\\d+)?)`).exec(combined)?.[1]);
    return { limit: field("limit"), remaining: field("remaining"), resetSeconds: field("reset") };
  }
  if (headers.has("ratelimit-remaining")) {
    return {
      limit: num(headers.get("ratelimit-limit")),
      remaining: num(headers.get("ratelimit-remaining")),
      resetSeconds: num(headers.get("ratelimit-reset")),
    };
  }
  if (headers.has("x-sib-ratelimit-remaining")) {
    return {
      limit: num(headers.get("x-sib-ratelimit-limit")),
      remaining: num(headers.get("x-sib-ratelimit-remaining")),
      resetSeconds: num(headers.get("x-sib-ratelimit-reset")),
    };
  }
  if (headers.has("x-hubspot-ratelimit-remaining")) {
    const interval = num(headers.get("x-hubspot-ratelimit-interval-milliseconds"));
    return {
      limit: num(headers.get("x-hubspot-ratelimit-max")),
      remaining: num(headers.get("x-hubspot-ratelimit-remaining")),
      resetSeconds: interval === undefined ? undefined : interval / 1000,
    };
  }
  if (headers.has("x-rate-limit-remaining")) {
    return {
      limit: num(headers.get("x-rate-limit")),
      remaining: num(headers.get("x-rate-limit-remaining")),
      resetSeconds: 60,
    };
  }
  return {};
}

/** A 429's reset in seconds from whichever header the vendor uses (Retry-After comes first). */
export function throttleResetSeconds(headers: Headers, retryAfter: number | undefined): number | undefined {
  if (retryAfter !== undefined) return retryAfter;
  const reading = readRateLimit(headers);
  return reading.resetSeconds;
}

// ── what an answer means for the vendor ─────────────────────────────────────

/** When a vendor throttles without saying until when (Twilio's 20429): hold its calls this long. */
export const DEFAULT_THROTTLE_SECONDS = 1;

export interface AnswerVerdict {
  /** Hold every call to the vendor until then (epoch ms): it answered 429 or a throttling code. */
  pauseUntil?: number;
  /** What its rate-limit headers said is left (before subtracting calls already on their way). */
  allowance?: { remaining: number; resetAt: number };
  /**
   * The rate its headers announce (`limit` per window; the window is at least the reset it gave,
   * in whole seconds): once the allowance's reset is past, calls go on at this rate, not all at once.
   */
  rate?: Rate;
  /** The vendor's daily (or billing) quota is used up: stop its calls, alert once. */
  quota?: string;
}

/** What one vendor answer (or failure) means for every later call to that vendor. */
export function verdictOfAnswer(call: { headers?: Headers; error?: unknown }, now: number): AnswerVerdict {
  const verdict: AnswerVerdict = {};
  const error = call.error as { name?: string; message?: string; retryAfterSeconds?: number } | undefined;
  if (error?.name === "ServiceQuotaExhausted") verdict.quota = error.message ?? "quota used up";
  if (error?.name === "ServiceRateLimited") {
    const seconds =
      error.retryAfterSeconds ??
      (call.headers ? throttleResetSeconds(call.headers, undefined) : undefined) ??
      DEFAULT_THROTTLE_SECONDS;
    verdict.pauseUntil = now + Math.max(seconds, 0.05) * 1000;
  }
  if (call.headers) {
    const reading = readRateLimit(call.headers);
    if (reading.remaining !== undefined && reading.resetSeconds !== undefined) {
      verdict.allowance = {
        remaining: Math.max(0, Math.floor(reading.remaining)),
        resetAt: now + reading.resetSeconds * 1000,
      };
    }
    if (reading.limit !== undefined && reading.limit >= 1 && reading.resetSeconds !== undefined) {
      verdict.rate = {
        count: Math.floor(reading.limit),
        windowMs: Math.max(1, Math.ceil(reading.resetSeconds)) * 1000,
      };
    }
  }
  return verdict;
}
