import { randomUUID } from "node:crypto";
import { formatRate, parseRate, type Rate } from "@leadrelay/functions/vendor-budget";
import type { StandInReply } from "./stand-in";

/**
 * Stand-ins that refuse like the vendor: a stand-in given a limit (`LEADRELAY_STANDIN_LIMITS=
 * close=12/1s,hubspot=100/10s`, or `POST /_local/<slug>/_fail {"limit": "12/1s"}`) accepts at most
 * that many requests in any sliding window and answers the rest with the vendor's own 429 —
 * status, body and headers as documented (shared/research/integrations.md) — so a burst can be
 * rehearsed locally. Vendors that send their rate-limit headers on every answer (Close, HubSpot,
 * Brevo, Zendesk) do so here too while limited.
 */

export interface ThrottleState {
  /** The limit's count. */
  limit: number;
  /** Requests left in the current window (after this one). */
  remaining: number;
  /** Seconds until the oldest request leaves the window. */
  resetSeconds: number;
  windowMs: number;
}

interface VendorThrottle {
  /** The vendor's answer beyond its limit. */
  refuse(state: ThrottleState): StandInReply;
  /** The rate-limit headers the vendor sends on every answer. */
  headers?(state: ThrottleState): Record<string, string>;
  /** Whether a request counts toward this limit (all do, unless the vendor limits some apart). */
  counts?(request: { path: string }): boolean;
}

const seconds = (value: number) => String(Math.round(value * 1000) / 1000);
const wholeSeconds = (value: number) => String(Math.max(1, Math.ceil(value)));

const closeHeaders = (state: ThrottleState) => ({
  ratelimit: `limit=${state.limit}, remaining=${state.remaining}, reset=${seconds(state.resetSeconds)}`,
});
const hubspotHeaders = (state: ThrottleState) => ({
  "x-hubspot-ratelimit-max": String(state.limit),
  "x-hubspot-ratelimit-remaining": String(state.remaining),
  "x-hubspot-ratelimit-interval-milliseconds": String(state.windowMs),
});
const brevoHeaders = (state: ThrottleState) => ({
  "x-sib-ratelimit-limit": String(state.limit),
  "x-sib-ratelimit-remaining": String(state.remaining),
  "x-sib-ratelimit-reset": wholeSeconds(state.resetSeconds),
});
const zendeskHeaders = (state: ThrottleState) => ({
  "x-rate-limit": String(state.limit),
  "x-rate-limit-remaining": String(state.remaining),
});

/** Each vendor's refusal, by stand-in slug. */
export const VENDOR_THROTTLES: Record<string, VendorThrottle> = {
  // Close: `RateLimit` and `retry-after` on every 429; the body's rate_reset is the older contract.
  close: {
    headers: closeHeaders,
    refuse: (state) => ({
      status: 429,
      headers: { ...closeHeaders(state), "retry-after": wholeSeconds(state.resetSeconds) },
      json: {
        error: {
          rate_reset: state.resetSeconds,
          rate_limit: state.limit,
          message: `API call count exceeded for this ${state.windowMs / 1000} second period`,
        },
      },
    }),
  },
  hubspot: {
    headers: hubspotHeaders,
    // The search endpoints have their own, lower limit (4/s per token, integrations.md §5): the
    // ten-secondly limit does not count them (HUBSPOT_SEARCH_RATE_LIMIT budgets them apart).
    counts: (request) => !/\/search\/?$/.test(request.path),
    refuse: (state) => ({
      status: 429,
      headers: hubspotHeaders(state),
      json: {
        status: "error",
        message: "You have reached your ten_secondly_rolling limit.",
        errorType: "RATE_LIMIT",
        correlationId: randomUUID(),
        policyName: "TEN_SECONDLY_ROLLING",
      },
    }),
  },
  brevo: {
    headers: brevoHeaders,
    refuse: (state) => ({
      status: 429,
      headers: brevoHeaders(state),
      json: { code: "too_many_requests", message: "The expected rate limit is exceeded." },
    }),
  },
  zendesk: {
    headers: zendeskHeaders,
    refuse: (state) => ({
      status: 429,
      headers: { ...zendeskHeaders(state), "retry-after": wholeSeconds(state.resetSeconds) },
      text: "Too Many Requests",
    }),
  },
  // Twilio: 20429 "too many concurrent requests", no Retry-After.
  twilio: {
    refuse: () => ({
      status: 429,
      json: {
        code: 20429,
        message: "Too Many Requests",
        more_info: "https://www.twilio.com/docs/errors/20429",
        status: 429,
      },
    }),
  },
  // OpenAI: 429 rate_limit_exceeded (retryable; insufficient_quota is the one that is not).
  llm: {
    refuse: (state) => ({
      status: 429,
      headers: {
        "retry-after-ms": String(Math.ceil(state.resetSeconds * 1000)),
        "retry-after": wholeSeconds(state.resetSeconds),
      },
      json: {
        error: {
          message: "Rate limit reached for requests. Please try again later.",
          type: "requests",
          param: null,
          code: "rate_limit_exceeded",
        },
      },
    }),
  },
  // Graph API: throttling is an error envelope with code 4 (application) and no Retry-After.
  meta: {
    refuse: () => ({
      status: 400,
      json: {
        error: {
          message: "(#4) Application request limit reached",
          type: "OAuthException",
          is_transient: true,
          code: 4,
          fbtrace_id: randomUUID().replaceAll("-", "").slice(0, 22),
        },
      },
    }),
  },
  slack: {
    refuse: (state) => ({
      status: 429,
      headers: { "retry-after": wholeSeconds(state.resetSeconds) },
      text: "rate_limited",
    }),
  },
};

const GENERIC: VendorThrottle = {
  refuse: (state) => ({
    status: 429,
    headers: { "retry-after": wholeSeconds(state.resetSeconds) },
    json: { error: "Too Many Requests" },
  }),
};

/** `close=20/1s,hubspot=100/10s` → slug → rate (the variable is named in the error). */
export function parseStandInLimits(text: string | undefined, variable = "LEADRELAY_STANDIN_LIMITS") {
  const out: Record<string, Rate> = {};
  for (const part of (text ?? "").split(",")) {
    if (part.trim() === "") continue;
    const [slug, rate] = part.split("=");
    if (!slug?.trim() || rate === undefined) {
      throw new Error(`${variable} must be slug=count/window pairs, e.g. close=20/1s,hubspot=100/10s`);
    }
    out[slug.trim()] = parseRate(rate, `${variable} (${slug.trim()})`);
  }
  return out;
}

/** One stand-in's limit: a sliding window of the requests it accepted. */
export class StandInLimiter {
  private accepted: number[] = [];
  private readonly throttle: VendorThrottle;

  constructor(
    slug: string,
    private rate: Rate | undefined,
    private readonly now: () => number,
  ) {
    this.throttle = VENDOR_THROTTLES[slug] ?? GENERIC;
  }

  get limit(): string | undefined {
    return this.rate && formatRate(this.rate);
  }

  set(rate: Rate | undefined) {
    this.rate = rate;
    this.accepted = [];
  }

  /** Counts the request: the vendor's refusal when over the limit, else the headers to add to the answer. */
  admit(request?: { path: string }): { refuse: StandInReply } | { headers: Record<string, string> } {
    const rate = this.rate;
    if (!rate) return { headers: {} };
    if (request && this.throttle.counts && !this.throttle.counts(request)) return { headers: {} };
    const now = this.now();
    this.accepted = this.accepted.filter((at) => at > now - rate.windowMs);
    const oldest = this.accepted[0] ?? now;
    const state = (remaining: number): ThrottleState => ({
      limit: rate.count,
      remaining,
      resetSeconds: Math.max(0, oldest + rate.windowMs - now) / 1000,
      windowMs: rate.windowMs,
    });
    if (this.accepted.length >= rate.count) return { refuse: this.throttle.refuse(state(0)) };
    this.accepted.push(now);
    return { headers: this.throttle.headers?.(state(rate.count - this.accepted.length)) ?? {} };
  }
}
