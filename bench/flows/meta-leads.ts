import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signMetaPayload } from "../../packages/core/src";
import { type Runtime, startRuntime } from "../../packages/local/src/runtime";
import type { RecordedRequest } from "../../packages/local/src/stand-ins/stand-in";
import { removeDir, sleep, summarize, tempDir } from "../lib";
import { type BranchResult, COUNTING_RULE, countS3, measureBranch } from "./branch-cost";

/**
 * meta-leads on the local runtime (the meta source's ingest Lambda, the ASL on the local engine,
 * the real handlers, the meta / members / events stand-ins), only this flow. Latency per lead =
 * the events stand-in recording the lead's PutEvents − the webhook's 200 received, both on this
 * process's clock; leads cycle through the three categories. Then one lead per branch, alone, for
 * transitions and cost, counted from the execution histories as bench/transitions.ts counts
 * announce's, plus EventBridge's price per event put.
 */

export type MetaLeadBranch =
  | "pending"
  | "alreadySubscribed"
  | "terminated"
  | "graphThrottledOnce"
  | "busThrottledOnce"
  | "graphTokenRejected";

/** EventBridge custom events: $1.00 per million (each 64 KB chunk of an entry counts as one). */
export const EVENTBRIDGE_USD_PER_EVENT = 1.0 / 1e6;

export interface MetaLeadBranchResult extends BranchResult {
  /** Events this lead put on the bus. */
  busEvents: number;
  /** `usdPerEvent` plus EventBridge's PutEvents. */
  usdPerEventWithBus: number;
}

export interface MetaLeadsBenchResult {
  events: number;
  ratePerSecond: number;
  /** Webhook 200 received → the lead's event recorded on the bus stand-in (ms). */
  webhookToEventPublished: ReturnType<typeof summarize>;
  /** Webhook request → its 200 (ms): Meta drops slow endpoints. */
  webhookAnswer: ReturnType<typeof summarize>;
  /** Of the leads, how many reached the bus within the wait. */
  completed: number;
  /**
   * CPU time of this process (ingest, engine, handlers, stand-ins, S3: all in one) per lead over the
   * latency run: 1000 / this is how many leads per second one core keeps up with.
   */
  cpuMsPerLead: number;
  branches: Record<MetaLeadBranch, MetaLeadBranchResult>;
  countingRule: string;
}

export const ACTIVE_EMAIL = "bench.active@example.org";
export const ENDED_EMAIL = "bench.ended@example.org";

/** 17-digit lead ids (beyond Number.MAX_SAFE_INTEGER, as Meta's are). */
export const metaLeadId = (n: number) => `2${String(n).padStart(16, "0")}`;

/** One Page webhook with one leadgen change, the id a bare JSON number as in Meta's sample. */
export const leadgenBody = (id: string) =>
  `{"object":"page","entry":[{"id":153125381133,"time":1763647391,"changes":[{"field":"leadgen","value":{"leadgen_id":${id},"page_id":153125381133,"form_id":447333180259108,"ad_id":23849853425890183,"adgroup_id":23849853425900183,"created_time":1763647391}}]}]}`;

/** What Graph answers for lead `id` (the meta stand-in serves `<standInDir>/meta/leads/{id}.json`). */
export function writeLead(standInDir: string, id: string, email: string) {
  writeFileSync(
    join(standInDir, "meta", "leads", `${id}.json`),
    JSON.stringify({
      field_data: [
        { name: "full_name", values: ["Bench Lead"] },
        { name: "email", values: [email] },
      ],
    }),
  );
}

/** A webhook delivery's headers, signed with the app secret as Meta signs it. */
export function metaHeaders(appSecret: string, body: string): Record<string, string> {
  return { "content-type": "application/json", "x-hub-signature-256": signMetaPayload(appSecret, body) };
}

/** The members folder (LEADRELAY_MEMBERS_DIR): one active member, one whose membership ended. */
export function writeMembers(membersDir: string) {
  writeFileSync(join(membersDir, "active.json"), JSON.stringify({ email: ACTIVE_EMAIL, status: "active" }));
  writeFileSync(join(membersDir, "ended.json"), JSON.stringify({ email: ENDED_EMAIL, status: "terminated" }));
}

/** Lead n's email: every third lead is a member, every third a former one, the rest are pending (no file). */
export const memberEmailOf = (n: number) => [undefined, ACTIVE_EMAIL, ENDED_EMAIL][n % 3];

async function post(runtime: Runtime, body: string): Promise<number> {
  const response = await fetch(runtime.webhooks.meta ?? "", {
    method: "POST",
    headers: metaHeaders(runtime.settings.META_APP_SECRET ?? "", body),
    body,
  });
  await response.text();
  return response.status;
}

async function script(runtime: Runtime, slug: string, failure: Record<string, unknown>) {
  await fetch(`${runtime.url}/_local/${slug}/_fail`, { method: "POST", body: JSON.stringify(failure) });
}

export async function benchMetaLeads(options: {
  events: number;
  ratePerSecond: number;
}): Promise<MetaLeadsBenchResult> {
  const dataDir = tempDir("meta-leads");
  const standInDir = tempDir("meta-leads-standins");
  const membersDir = tempDir("meta-leads-members");
  mkdirSync(join(standInDir, "meta", "leads"), { recursive: true });
  writeMembers(membersDir);
  for (let n = 0; n < options.events; n++) {
    const email = memberEmailOf(n);
    if (email) writeLead(standInDir, metaLeadId(n), email);
  }
  const branchIds: Record<MetaLeadBranch, string> = {
    pending: metaLeadId(9_000_001),
    alreadySubscribed: metaLeadId(9_000_002),
    terminated: metaLeadId(9_000_003),
    graphThrottledOnce: metaLeadId(9_000_004),
    busThrottledOnce: metaLeadId(9_000_005),
    graphTokenRejected: metaLeadId(9_000_006),
  };
  writeLead(standInDir, branchIds.alreadySubscribed, ACTIVE_EMAIL);
  writeLead(standInDir, branchIds.terminated, ENDED_EMAIL);

  // The members stand-in reads its folder from the environment (packages/flows/meta-leads/README.md).
  const previousMembersDir = process.env.LEADRELAY_MEMBERS_DIR;
  process.env.LEADRELAY_MEMBERS_DIR = membersDir;
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    flows: "meta-leads",
    // Retry intervals shortened so the retry branches are quick; each retry is still a Lambda invocation.
    retryIntervalMs: 1,
    env: { LEADRELAY_STANDIN_DIR: standInDir },
    print: () => {},
  });
  const engine = runtime.engines["meta-leads"];
  if (!engine) throw new Error("meta-leads is not running");
  const s3 = countS3(runtime);

  const publishedAt = new Map<string, number>();
  const onEvent = (request: RecordedRequest) => {
    if (request.status !== 200 || request.scripted) return;
    const entries = (request.body as { Entries?: Array<{ Detail?: string }> }).Entries ?? [];
    for (const entry of entries) {
      const id = (JSON.parse(entry.Detail ?? "{}") as { leadgenId?: string }).leadgenId;
      if (id && !publishedAt.has(id)) publishedAt.set(id, performance.now());
    }
  };
  const stop = runtime.standIns.events?.onRequest(onEvent);

  try {
    // ── latency: one lead per webhook at a steady rate ──
    const ids = Array.from({ length: options.events }, (_, n) => metaLeadId(n));
    const bodies = ids.map(leadgenBody);
    const answeredAt = new Map<string, number>();
    const answerMs: number[] = [];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const interval = 1000 / options.ratePerSecond;
    await Promise.all(
      ids.map(async (id, i) => {
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const t0 = performance.now();
        const status = await post(runtime, bodies[i] as string);
        if (status !== 200) throw new Error(`ingest answered ${status} for ${id}`);
        answeredAt.set(id, performance.now());
        answerMs.push(performance.now() - t0);
      }),
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && ids.some((id) => !publishedAt.has(id))) await sleep(20);
    const latencies = ids.flatMap((id) => {
      const answered = answeredAt.get(id);
      const published = publishedAt.get(id);
      return answered === undefined || published === undefined ? [] : [published - answered];
    });
    for (const id of ids) await engine.settled(`meta-${id}`);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMsPerLead = Math.round(((cpu.user + cpu.system) / 1000 / options.events) * 100) / 100;

    // ── one lead per branch, alone: transitions, invocations, S3 requests, cost ──
    const setups: Partial<Record<MetaLeadBranch, () => Promise<void>>> = {
      // Graph answers code 17 (user request limit) once, then the lead.
      graphThrottledOnce: () =>
        script(runtime, "meta", {
          status: 400,
          body: { error: { message: "(#17) User request limit reached", type: "OAuthException", code: 17 } },
          path: `/v21.0/${branchIds.graphThrottledOnce}`,
        }),
      // EventBridge throttles the put once.
      busThrottledOnce: () =>
        script(runtime, "events", {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: { __type: "ThrottlingException", message: "Rate exceeded" },
        }),
      // The Page token expired: LeadNotFetched at once, nothing published.
      graphTokenRejected: () =>
        script(runtime, "meta", {
          status: 400,
          body: { error: { message: "Error validating access token", type: "OAuthException", code: 190 } },
          path: `/v21.0/${branchIds.graphTokenRejected}`,
        }),
    };
    const branches = {} as Record<MetaLeadBranch, MetaLeadBranchResult>;
    for (const [branch, id] of Object.entries(branchIds) as Array<[MetaLeadBranch, string]>) {
      await setups[branch]?.();
      const result = await measureBranch({
        engine,
        s3,
        name: `meta-${id}`,
        send: () => post(runtime, leadgenBody(id)),
        expectStatus: 200,
      });
      const busEvents = publishedAt.has(id) ? 1 : 0;
      branches[branch] = {
        ...result,
        busEvents,
        usdPerEventWithBus: result.usdPerEvent + busEvents * EVENTBRIDGE_USD_PER_EVENT,
      };
    }
    return {
      events: options.events,
      ratePerSecond: options.ratePerSecond,
      webhookToEventPublished: summarize(latencies),
      webhookAnswer: summarize(answerMs),
      completed: latencies.length,
      cpuMsPerLead,
      branches,
      countingRule: `${COUNTING_RULE} Plus EventBridge custom events at $1.00 per million.`,
    };
  } finally {
    stop?.();
    await runtime.stop();
    if (previousMembersDir === undefined) delete process.env.LEADRELAY_MEMBERS_DIR;
    else process.env.LEADRELAY_MEMBERS_DIR = previousMembersDir;
    for (const dir of [dataDir, standInDir, membersDir]) removeDir(dir);
  }
}

/** `pnpm exec tsx bench/flows/meta-leads.ts [events] [rate]`: one run, printed as JSON. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const [events = "500", rate = "25"] = process.argv.slice(2);
  benchMetaLeads({ events: Number(events), ratePerSecond: Number(rate) })
    .then((result) => process.stdout.write(`${JSON.stringify(result, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    });
}
