import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keySegment, replyExecutionName } from "../../packages/flows/linkedin-replies/src/domain/keys";
import { runHubSpotSetup } from "../../packages/flows/linkedin-replies/src/hubspot-setup";
import { type Runtime, startRuntime } from "../../packages/local/src/runtime";
import type { RecordedRequest } from "../../packages/local/src/stand-ins/stand-in";
import { removeDir, sleep, summarize, tempDir } from "../lib";
import { type BranchResult, COUNTING_RULE, countS3, measureBranch } from "./branch-cost";

/**
 * linkedin-replies on the local runtime (its ingest Lambda, the ASL on the local engine, the real
 * handlers, the HubSpot and LGM stand-ins), only this flow. Latency per reply = the HubSpot
 * stand-in recording the note's create − the webhook's 202 received, both on this process's
 * clock. Every reply of the stream is a first reply of its own lead (contact, deal and note: the
 * most HubSpot writes). Then a few replies per branch, alone, for transitions, calls and cost,
 * counted from the execution histories as bench/transitions.ts counts announce's.
 */

export type ReplyBranch = "firstReply" | "nextReply" | "noteRateLimited" | "lgmDegraded";

export interface ReplyBranchResult extends BranchResult {
  /** Requests HubSpot (the stand-in) received for this reply, retries included. */
  hubspotCalls: number;
  lgmCalls: number;
}

export interface LinkedinRepliesBenchResult {
  events: number;
  ratePerSecond: number;
  /** Webhook 202 → note created in HubSpot (ms). */
  webhookToNote: ReturnType<typeof summarize>;
  /** Webhook round trip (ms). */
  ingest: ReturnType<typeof summarize>;
  /** How many replies of the stream had their note within the wait. */
  completed: number;
  /** Over the stream: HubSpot and LGM requests per reply. */
  hubspotCallsPerReply: number;
  lgmCallsPerReply: number;
  branches: Record<ReplyBranch, ReplyBranchResult>;
  countingRule: string;
}

let serial = 0;
/** A first reply of a new lead (its own conversation, message and lead ids; a serial per process). */
export function replyBody(overrides: Record<string, unknown> = {}) {
  serial++;
  return {
    conversationId: `benchconv${serial}`,
    messageId: `benchmsg${serial}`,
    leadId: `benchlead${serial}`,
    lastMessageStatus: "RECEIVED",
    lastMessageType: "LINKEDIN",
    text: `Bench reply ${serial}: happy to talk next week.`,
    createdAt: new Date(Date.UTC(2026, 10, 20, 14, 0, serial % 60)).toISOString(),
    firstname: "Bench",
    lastname: `Lead ${serial}`,
    proEmail: `bench${serial}@example.com`,
    linkedinUrl: `https://www.linkedin.com/in/bench-${serial}`,
    campaignName: "Bench campaign",
    ...overrides,
  };
}

/**
 * What LGM's API knows about a reply, as files the LGM stand-in serves: the bench then counts only
 * the flow's own S3 requests (the stand-in would otherwise read the stored deliveries back).
 */
export function lgmKnows(dir: string, body: Record<string, unknown>) {
  const conversations = join(dir, "lgm", "conversations");
  const leads = join(dir, "lgm", "leads");
  mkdirSync(conversations, { recursive: true });
  mkdirSync(leads, { recursive: true });
  const message = {
    id: body.messageId,
    status: "RECEIVED",
    type: "LINKEDIN",
    text: body.text,
    createdAt: body.createdAt,
  };
  writeFileSync(
    join(conversations, `${keySegment(String(body.conversationId))}.json`),
    JSON.stringify({ data: [message], total: 1 }),
  );
  const lead = {
    id: body.leadId,
    firstname: body.firstname,
    lastname: body.lastname,
    proEmail: body.proEmail,
    linkedinUrl: body.linkedinUrl,
  };
  writeFileSync(join(leads, `${keySegment(String(body.leadId))}.json`), JSON.stringify(lead));
}

/** LGM's webhook URL (`…/webhook/lgm/{token}`) with the token filled in. */
export const lgmWebhookUrl = (template: string, token: string) =>
  template.replace("{token}", encodeURIComponent(token));

async function post(runtime: Runtime, body: unknown): Promise<{ status: number; reply: string }> {
  const url = lgmWebhookUrl(runtime.webhooks.lgm ?? "", runtime.settings.LGM_WEBHOOK_TOKEN ?? "");
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as { reply?: string };
  return { status: response.status, reply: answer.reply ?? "" };
}

/** The reply key a HubSpot note names (`Reply key: …` in its body): the reply's execution name. */
export const replyKeyOf = (request: RecordedRequest) =>
  /Reply key: ([A-Za-z0-9_-]+)/.exec(
    String(
      (request.body as { properties?: { hs_note_body?: unknown } } | undefined)?.properties?.hs_note_body ??
        "",
    ),
  )?.[1];

async function script(runtime: Runtime, slug: string, failure: Record<string, unknown>) {
  await fetch(`${runtime.url}/_local/${slug}/_fail`, { method: "POST", body: JSON.stringify(failure) });
}

export async function benchLinkedinReplies(options: {
  events: number;
  ratePerSecond: number;
}): Promise<LinkedinRepliesBenchResult> {
  const dataDir = tempDir("linkedin-replies");
  const standInDir = tempDir("linkedin-replies-stand-ins");
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    flows: "linkedin-replies",
    // Short retry intervals so the retry branch is quick; each retry is still an invocation in the history.
    retryIntervalMs: 1,
    env: { LEADRELAY_STANDIN_DIR: standInDir },
    print: () => {},
  });
  try {
    await runHubSpotSetup({}, runtime.url);
    const engine = runtime.engines["linkedin-replies"];
    const hubspot = runtime.standIns.hubspot;
    const lgm = runtime.standIns.lgm;
    if (!engine || !hubspot || !lgm) throw new Error("the flow or its stand-ins are not running");
    const s3 = countS3(runtime);

    // ── the stream: one first reply per lead, at the rate asked ──
    const notedAt = new Map<string, number>();
    const stop = hubspot.onRequest((request) => {
      if (request.method !== "POST" || request.path !== "/crm/v3/objects/notes" || request.status !== 201)
        return;
      const key = replyKeyOf(request);
      if (key && !notedAt.has(key)) notedAt.set(key, performance.now());
    });
    const hubspotBefore = hubspot.requests().length;
    const lgmBefore = lgm.requests().length;
    const answered = new Map<string, number>();
    const ingestMs: number[] = [];
    const interval = 1000 / options.ratePerSecond;
    const start = performance.now();
    const posts: Array<Promise<void>> = [];
    for (let i = 0; i < options.events; i++) {
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      posts.push(
        (async () => {
          const body = replyBody();
          lgmKnows(standInDir, body);
          const t0 = performance.now();
          const { status, reply } = await post(runtime, body);
          const t1 = performance.now();
          if (status !== 202) throw new Error(`the webhook answered ${status}`);
          ingestMs.push(t1 - t0);
          answered.set(reply, t1);
        })(),
      );
    }
    await Promise.all(posts);
    const deadline = performance.now() + 30_000 + options.events * 50;
    while (notedAt.size < answered.size && performance.now() < deadline) await sleep(20);
    stop();
    for (const name of answered.keys()) await engine.settled(name);
    const latencies = [...answered].flatMap(([name, at]) => {
      const noted = notedAt.get(name);
      return noted === undefined ? [] : [noted - at];
    });
    const streamHubspot = hubspot.requests().length - hubspotBefore;
    const streamLgm = lgm.requests().length - lgmBefore;

    // ── one branch at a time ──
    async function branch(name: ReplyBranch, body: Record<string, unknown>, setup?: () => Promise<void>) {
      lgmKnows(standInDir, body);
      await setup?.();
      const calls = { hubspot: hubspot?.requests().length ?? 0, lgm: lgm?.requests().length ?? 0 };
      const result = await measureBranch({
        engine: engine as NonNullable<typeof engine>,
        s3,
        name: replyExecutionName(String(body.conversationId), String(body.messageId)),
        send: async () => (await post(runtime, body)).status,
      });
      if (result.status !== "SUCCEEDED") throw new Error(`${name} ended ${result.status}`);
      return {
        ...result,
        hubspotCalls: (hubspot?.requests().length ?? 0) - calls.hubspot,
        lgmCalls: (lgm?.requests().length ?? 0) - calls.lgm,
      };
    }
    const first = replyBody();
    const branches: Record<ReplyBranch, ReplyBranchResult> = {
      firstReply: await branch("firstReply", first),
      nextReply: await branch("nextReply", {
        ...first,
        messageId: `${first.messageId}-next`,
        text: "And Thursday works too.",
        createdAt: "2026-11-21T09:00:00.000Z",
      }),
      noteRateLimited: await branch("noteRateLimited", replyBody(), () =>
        script(runtime, "hubspot", {
          status: 429,
          method: "POST",
          path: "/crm/v3/objects/notes",
          headers: { "x-hubspot-ratelimit-interval-milliseconds": "10000" },
          body: {
            status: "error",
            message: "ten_secondly_rolling",
            errorType: "RATE_LIMIT",
            policyName: "TEN_SECONDLY_ROLLING",
          },
        }),
      ),
      lgmDegraded: await branch("lgmDegraded", replyBody(), () =>
        script(runtime, "lgm", { status: 503, body: "Service Unavailable", times: 10 }),
      ),
    };
    await fetch(`${runtime.url}/_local/lgm/_fail`, { method: "DELETE" });

    return {
      events: options.events,
      ratePerSecond: options.ratePerSecond,
      webhookToNote: summarize(latencies),
      ingest: summarize(ingestMs),
      completed: latencies.length,
      hubspotCallsPerReply: Math.round((streamHubspot / options.events) * 100) / 100,
      lgmCallsPerReply: Math.round((streamLgm / options.events) * 100) / 100,
      branches,
      countingRule: COUNTING_RULE,
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
    removeDir(standInDir);
  }
}

// `tsx bench/flows/linkedin-replies.ts [events] [rate]`: one run, printed as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [events = "200", rate = "20"] = process.argv.slice(2);
  benchLinkedinReplies({ events: Number(events), ratePerSecond: Number(rate) }).then(
    (result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
