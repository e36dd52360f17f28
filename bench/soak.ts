/**
 * `pnpm bench --soak [minutes]` (default 20; never in CI): `pnpm start` with all five flows on, in
 * its own process, fed the issue's mixed load through each flow's own source, hold 0 so every
 * execution runs to its end:
 * - signed Close `lead.created` webhooks at a steady rate plus a burst every 30 s (announce + triage),
 *   their messages urgent, tire-kicker, support and spam in turn (each triage branch and its action);
 * - CRM deal updates, each deal Qualified then Committed (deal-stage);
 * - signed Meta leadgen webhooks, members, former members and pending leads in turn (meta-leads);
 * - La Growth Machine replies, each a first reply of its own lead (linkedin-replies).
 * The bodies and signatures are the flows' bench drivers' (bench/flows/*.ts).
 *
 * Each minute: RSS, V8 heap, open fds, data folder size, running executions, webhook p50/p99 of
 * that minute (every source). At the end the runtime is stopped on the accumulated data (running
 * executions included) and started again: the time to `ready` is the restart time. Once the
 * restarted runtime has nothing left running, every side effect is counted from the stand-ins'
 * `_requests`: each accepted event must have caused its action exactly once, across the restart.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { deterministicUuid } from "../packages/core/src";
import { conversionEventId } from "../packages/flows/deal-stage/src/domain/conversion-event";
import { dealBusinessKey } from "../packages/flows/deal-stage/src/domain/keys";
import { replyExecutionName } from "../packages/flows/linkedin-replies/src/domain/keys";
import { runHubSpotSetup } from "../packages/flows/linkedin-replies/src/hubspot-setup";
import { FLOW_IDS } from "../packages/flows/registry";
import type { RecordedRequest } from "../packages/local/src/stand-ins/stand-in";
import { dealBody, dealHeaders } from "./flows/deal-stage";
import { lgmKnows, lgmWebhookUrl, replyBody, replyKeyOf } from "./flows/linkedin-replies";
import {
  leadgenBody,
  memberEmailOf,
  metaHeaders,
  metaLeadId,
  writeLead,
  writeMembers,
} from "./flows/meta-leads";
import { MESSAGES, type TriageBranch, triageLeadBody } from "./flows/triage";
import {
  leadId as benchLeadId,
  getJson,
  type LoadRequest,
  type LoadResult,
  memoryOf,
  type NodeProcess,
  ownerFileFor,
  percentile,
  removeDir,
  runLoad,
  SECRET,
  sleep,
  spawnTs,
  tempDir,
} from "./lib";

export interface SoakOptions {
  minutes: number;
  /** Close leads a second, steady. */
  ratePerSecond: number;
  /** Extra Close leads every 30 s, 32 in flight. */
  burst: number;
  /** CRM deal updates a second: half Qualified, half the Committed of the same deals. */
  dealEventsPerSecond: number;
  /** Meta leadgen webhooks a second. */
  metaLeadsPerSecond: number;
  /** LGM replies a second. */
  repliesPerSecond: number;
}

/** The issue's load: about 8 Close leads, 2 deal events, 2 Meta leads and 2 LGM replies a second, 100 more Close leads every 30 s. */
export const SOAK_LOAD: Omit<SoakOptions, "minutes"> = {
  ratePerSecond: 8,
  burst: 100,
  dealEventsPerSecond: 2,
  metaLeadsPerSecond: 2,
  repliesPerSecond: 2,
};

/** How long the backlog may take to drain after the restart before the side effects are counted. */
const DRAIN_LIMIT_SECONDS = 600;
/** Beyond the load's minutes: start, stop, restart (≤ 120 s), the drain and the count. */
export const SOAK_AFTER_LOAD_SECONDS = DRAIN_LIMIT_SECONDS + 300;

type Source = "close" | "crm" | "meta" | "lgm";

export interface SoakMinute {
  minute: number;
  webhooks: number;
  /** Webhooks by source this minute. */
  bySource: Record<Source, number>;
  failed: number;
  /** Non-2xx answers (and load-generator errors) by status. */
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  /** p99 of each source's webhooks this minute. */
  p99MsBySource: Record<Source, number>;
  rssMB: number;
  heapMB: number;
  fds: number;
  dataMB: number;
  running: number;
  loadAverage: number;
}

/** One flow's side effect, counted from a stand-in's `_requests` against the events the webhooks accepted. */
export interface SideEffectCount {
  flow: string;
  effect: string;
  /** Accepted events that must each have caused it once. */
  expected: number;
  once: number;
  missing: number;
  doubled: number;
  /** Effects for keys that no accepted event asked for (another run's, or a wrong key). */
  unexpected: number;
}

export interface SoakGoal {
  goal: string;
  value: string;
  met: boolean;
}

/** `du -sk`; files renamed while it walks make it exit 1 with its total still printed. */
function duKB(...paths: string[]): number[] {
  let out: string;
  try {
    out = execFileSync("du", ["-sk", ...paths], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  const sizes = new Map(out.split("\n").map((line) => [line.split("\t")[1], Number(line.split("\t")[0])]));
  return paths.map((path) => sizes.get(path) ?? Number.NaN);
}
const duMB = (dir: string) => (duKB(dir)[0] ?? Number.NaN) / 1024;
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** The webhook URLs `pnpm start` prints (`  webhook   <source> <url>`), by source. */
function webhooksOf(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/^ {2}webhook\s+(\S+)\s+(\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** Least-squares slope of y over x (per unit of x). */
export function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((sum, [x]) => sum + x, 0) / n;
  const my = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const sxx = points.reduce((sum, [x]) => sum + (x - mx) ** 2, 0);
  const sxy = points.reduce((sum, [x, y]) => sum + (x - mx) * (y - my), 0);
  return sxy / sxx;
}

/** How often each key occurs, against the keys expected once each. */
export function countOnce(
  flow: string,
  effect: string,
  expected: Iterable<string>,
  seen: Iterable<string>,
): SideEffectCount {
  const counts = new Map<string, number>();
  for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
  const want = new Set(expected);
  let once = 0;
  let missing = 0;
  let doubled = 0;
  for (const key of want) {
    const count = counts.get(key) ?? 0;
    if (count === 0) missing++;
    else if (count === 1) once++;
    else doubled++;
  }
  const unexpected = [...counts.keys()].filter((key) => !want.has(key)).length;
  return { flow, effect, expected: want.size, once, missing, doubled, unexpected };
}

async function requestsOf(origin: string, slug: string): Promise<RecordedRequest[]> {
  const answer = (await getJson(`${origin}/_local/${slug}/_requests`)) as { requests?: RecordedRequest[] };
  if (!Array.isArray(answer.requests)) throw new Error(`/_local/${slug}/_requests answered no request list`);
  return answer.requests;
}

const ok = (request: RecordedRequest) => request.status >= 200 && request.status < 300 && !request.scripted;

/** Every side effect of the accepted events, from the stand-ins' request logs. */
async function sideEffects(
  origin: string,
  accepted: {
    branchOf: Map<string, TriageBranch>;
    leads: Set<string>;
    dealStages: Set<string>;
    committedEmails: Map<string, string>;
    metaLeads: Set<string>;
    replies: Set<string>;
  },
): Promise<{ counts: SideEffectCount[]; failureAlerts: Record<string, number> }> {
  const leadOf = (request: RecordedRequest) => /lead_BenchSoak\d+/.exec(JSON.stringify(request.body))?.[0];
  const slack = (await requestsOf(origin, "slack")).filter(
    (request) => ok(request) && request.method === "POST" && request.path === "/",
  );
  const textOf = (request: RecordedRequest) =>
    String((request.body as { text?: unknown } | undefined)?.text ?? "");
  // A failed execution's alert (`leadrelay: <flow> failed: <key> (<error>)`) goes to the same webhook.
  const alertOf = (request: RecordedRequest) => /^leadrelay: (\S+) failed: /.exec(textOf(request))?.[1];
  const failureAlerts: Record<string, number> = {};
  for (const request of slack) {
    const flow = alertOf(request);
    if (flow) failureAlerts[flow] = (failureAlerts[flow] ?? 0) + 1;
  }
  const urgent = (request: RecordedRequest) => textOf(request).startsWith("Urgent buyer");
  const announcePosts = slack
    .filter((request) => !urgent(request) && !alertOf(request))
    .flatMap((request) => leadOf(request) ?? []);
  const urgentPosts = slack.filter(urgent).flatMap((r) => leadOf(r) ?? []);
  const notes = (await requestsOf(origin, "close"))
    .filter(
      (request) => ok(request) && request.method === "POST" && /\/activity\/note\/?$/.test(request.path),
    )
    .flatMap((request) => leadOf(request) ?? []);
  const capi = (await requestsOf(origin, "meta"))
    .filter((request) => ok(request) && request.method === "POST" && /\/events\/?$/.test(request.path))
    .flatMap((request) =>
      ((request.body as { data?: Array<{ event_id?: string }> }).data ?? []).map(
        (event) => event.event_id ?? "",
      ),
    );
  const brevo = (await requestsOf(origin, "brevo")).filter(
    (request) => ok(request) && request.method === "POST",
  );
  const emailKeyOf = (request: RecordedRequest) =>
    (request.body as { headers?: { idempotencyKey?: string } } | undefined)?.headers?.idempotencyKey;
  const emails = brevo.flatMap((request) => {
    const key = emailKeyOf(request);
    return key && accepted.committedEmails.has(key) ? [key] : [];
  });
  const busEvents = (await requestsOf(origin, "events")).filter(ok).flatMap((request) =>
    ((request.body as { Entries?: Array<{ Detail?: string }> } | undefined)?.Entries ?? []).flatMap(
      (entry) => {
        const id = (JSON.parse(entry.Detail ?? "{}") as { leadgenId?: string }).leadgenId;
        return id ? [id] : [];
      },
    ),
  );
  const hubspotNotes = (await requestsOf(origin, "hubspot"))
    .filter((request) => ok(request) && request.method === "POST" && request.path === "/crm/v3/objects/notes")
    .flatMap((request) => replyKeyOf(request) ?? []);
  const sms = (await requestsOf(origin, "twilio"))
    .filter((request) => ok(request) && request.method === "POST")
    .flatMap((request) => leadOf(request) ?? []);
  const tickets = (await requestsOf(origin, "zendesk"))
    .filter((request) => ok(request) && request.method === "POST" && /\/tickets(\.json)?$/.test(request.path))
    .flatMap((request) => leadOf(request) ?? []);
  const leadsOf = (branch: TriageBranch) =>
    [...accepted.leads].filter((id) => accepted.branchOf.get(id) === branch);
  const triageEmailOf = new Map(
    leadsOf("tireKicker").map((id) => [deterministicUuid("triage", id, "email"), id]),
  );
  const triageEmails = brevo.flatMap((request) => triageEmailOf.get(emailKeyOf(request) ?? "") ?? []);
  const counts = [
    countOnce("announce", "Slack post per lead", accepted.leads, announcePosts),
    countOnce("triage", "Close note per lead", accepted.leads, notes),
    countOnce("triage", "urgent Slack post per urgent lead", leadsOf("urgent"), urgentPosts),
    countOnce("triage", "on-call SMS per urgent lead", leadsOf("urgent"), sms),
    countOnce("triage", "email per tire-kicker lead", leadsOf("tireKicker"), triageEmails),
    countOnce("triage", "Zendesk ticket per support lead", leadsOf("support"), tickets),
    countOnce("deal-stage", "CAPI event per deal stage", accepted.dealStages, capi),
    countOnce("deal-stage", "property email per committed deal", accepted.committedEmails.keys(), emails),
    countOnce("meta-leads", "EventBridge event per Meta lead", accepted.metaLeads, busEvents),
    countOnce("linkedin-replies", "HubSpot note per reply", accepted.replies, hubspotNotes),
  ];
  return { counts, failureAlerts };
}

const TRIAGE_BRANCHES = Object.keys(MESSAGES) as TriageBranch[];

/** Close leads `from`…`from + count - 1`, each with its owner file; their messages cycle through triage's branches. */
function closeLeadRequests(
  from: number,
  count: number,
  ownersDir: string,
  branchOf: Map<string, TriageBranch>,
) {
  return Array.from({ length: count }, (_, i): LoadRequest => {
    const id = benchLeadId("Soak", from + i);
    const branch = TRIAGE_BRANCHES[(from + i) % TRIAGE_BRANCHES.length] as TriageBranch;
    branchOf.set(id, branch);
    writeFileSync(join(ownersDir, `${id}.json`), ownerFileFor(id));
    return { leadId: id, body: triageLeadBody(id, MESSAGES[branch]) };
  });
}

export async function benchSoak(options: SoakOptions, log: (line: string) => void = () => {}) {
  const dataDir = tempDir("soak");
  // What Graph and LGM's API answer (files the meta and lgm stand-ins serve), the member list, and
  // each Close lead's owner file (every lead has a rep: announce posts it, none fails).
  const standInDir = tempDir("soak-stand-ins");
  const membersDir = tempDir("soak-members");
  const ownersDir = tempDir("soak-owners");
  mkdirSync(join(standInDir, "meta", "leads"), { recursive: true });
  writeMembers(membersDir);
  const secrets = {
    CLOSE_WEBHOOK_SECRET: SECRET,
    CRM_WEBHOOK_API_KEY: "soak-crm-api-key",
    META_APP_SECRET: "soak-meta-app-secret",
    META_VERIFY_TOKEN: "soak-meta-verify-token",
    LGM_WEBHOOK_TOKEN: "soak-lgm-token",
  };
  const env = {
    ...secrets,
    LEADRELAY_FLOWS: FLOW_IDS.join(","),
    LEAD_WAIT_SECONDS: "0",
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
    LEADRELAY_STANDIN_DIR: standInDir,
    LEADRELAY_MEMBERS_DIR: membersDir,
    LEADRELAY_OWNERS_DIR: ownersDir,
    LEADRELAY_RETRY_INTERVAL_MS: "200",
    DEFAULT_PHONE_COUNTRY_CODE: "1",
  };
  let runtime: NodeProcess = spawnTs("packages/local/src/main.ts", env);
  try {
    const { url } = await runtime.ready();
    const origin = new URL(url).origin;
    const webhooks = webhooksOf(runtime.output());
    for (const source of ["crm", "meta", "lgm"])
      if (!webhooks[source])
        throw new Error(`pnpm start did not print the ${source} webhook:\n${runtime.output()}`);
    // linkedin-replies writes its own HubSpot properties: create them first, as `pnpm leadrelay hubspot setup` does.
    await runHubSpotSetup({}, origin);

    const branchOf = new Map<string, TriageBranch>();
    const accepted = {
      branchOf,
      leads: new Set<string>(),
      dealStages: new Set<string>(),
      committedEmails: new Map<string, string>(),
      metaLeads: new Set<string>(),
      replies: new Set<string>(),
    };
    const minutes: SoakMinute[] = [];
    const latenciesByMinute: number[][] = [];
    const sent = { close: 0, deals: 0, meta: 0, replies: 0 };
    for (let minute = 1; minute <= options.minutes; minute++) {
      // This minute's webhooks, built (and the stand-ins' files written) before its clock starts.
      const steady = options.ratePerSecond * 60;
      const closeBodies = closeLeadRequests(sent.close, steady + 2 * options.burst, ownersDir, branchOf);
      sent.close += closeBodies.length;
      const deals: LoadRequest[] = [];
      const stageOf = new Map<string, { dealId: string; stage: "qualified" | "committed" }>();
      for (let i = 0; i < options.dealEventsPerSecond * 60; i++) {
        const dealId = `SOAK-${String(sent.deals + Math.floor(i / 2)).padStart(6, "0")}`;
        const stage = i % 2 === 0 ? "qualified" : "committed";
        const key = conversionEventId(dealId, stage);
        stageOf.set(key, { dealId, stage });
        deals.push({
          leadId: key,
          body: dealBody(`deal-${stage}`, dealId),
          url: webhooks.crm,
          headers: dealHeaders(secrets.CRM_WEBHOOK_API_KEY),
        });
      }
      sent.deals += Math.ceil((options.dealEventsPerSecond * 60) / 2);
      const metaLeads: LoadRequest[] = [];
      for (let i = 0; i < options.metaLeadsPerSecond * 60; i++) {
        const n = sent.meta++;
        const id = metaLeadId(n);
        const email = memberEmailOf(n);
        if (email) writeLead(standInDir, id, email);
        const body = leadgenBody(id);
        metaLeads.push({
          leadId: id,
          body,
          url: webhooks.meta,
          headers: metaHeaders(secrets.META_APP_SECRET, body),
        });
      }
      const replies: LoadRequest[] = [];
      for (let i = 0; i < options.repliesPerSecond * 60; i++) {
        const reply = replyBody();
        lgmKnows(standInDir, reply);
        sent.replies++;
        replies.push({
          leadId: replyExecutionName(reply.conversationId, reply.messageId),
          body: JSON.stringify(reply),
          url: lgmWebhookUrl(webhooks.lgm ?? "", secrets.LGM_WEBHOOK_TOKEN),
          headers: { "content-type": "application/json" },
        });
      }

      // The steady streams and two Close bursts (at 0 s and 30 s) of this minute, side by side.
      const steadyLoad = (requests: LoadRequest[], ratePerSecond: number, concurrency: number) =>
        runLoad({ url, requests, concurrency, ratePerSecond, maxMs: 60_000 });
      const [close, burst1, burst2, crm, meta, lgm] = await Promise.all([
        steadyLoad(closeBodies.slice(0, steady), options.ratePerSecond, 16),
        runLoad({
          url,
          requests: closeBodies.slice(steady, steady + options.burst),
          concurrency: 32,
          maxMs: 30_000,
        }),
        sleep(30_000).then(() =>
          runLoad({
            url,
            requests: closeBodies.slice(steady + options.burst),
            concurrency: 32,
            maxMs: 30_000,
          }),
        ),
        steadyLoad(deals, options.dealEventsPerSecond, 4),
        steadyLoad(metaLeads, options.metaLeadsPerSecond, 4),
        steadyLoad(replies, options.repliesPerSecond, 4),
      ]);
      for (const result of [close, burst1, burst2])
        for (const id of result.acceptedAt.keys()) accepted.leads.add(id);
      for (const key of crm.acceptedAt.keys()) {
        accepted.dealStages.add(key);
        const deal = stageOf.get(key);
        if (deal?.stage === "committed")
          accepted.committedEmails.set(
            deterministicUuid("deal-stage", dealBusinessKey(deal.dealId, "committed"), "property-email"),
            deal.dealId,
          );
      }
      for (const id of meta.acceptedAt.keys()) accepted.metaLeads.add(id);
      for (const key of lgm.acceptedAt.keys()) accepted.replies.add(key);

      const results: LoadResult[] = [close, burst1, burst2, crm, meta, lgm];
      const latencies = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
      latenciesByMinute.push(latencies);
      const p99Of = (...sources: LoadResult[]) =>
        Math.round(
          percentile(
            sources.flatMap((result) => result.latenciesMs).sort((a, b) => a - b),
            99,
          ),
        );
      const failures: Record<string, number> = {};
      for (const result of results) {
        for (const [status, count] of Object.entries(result.statuses))
          if (!/^2\d\d$/.test(status)) failures[status] = (failures[status] ?? 0) + count;
      }
      // A load-generator error is counted once, as status "0"; its message is listed beside it.
      const failed = Object.entries(failures)
        .filter(([status]) => !status.startsWith("error:"))
        .reduce((sum, [, count]) => sum + count, 0);
      const health = (await getJson(`${origin}/healthz`)) as { running?: number; heapMB?: number };
      const row: SoakMinute = {
        minute,
        webhooks: latencies.length,
        bySource: {
          close: close.sent + burst1.sent + burst2.sent,
          crm: crm.sent,
          meta: meta.sent,
          lgm: lgm.sent,
        },
        failed,
        failures,
        p50Ms: Math.round(percentile(latencies, 50)),
        p99Ms: Math.round(percentile(latencies, 99)),
        p99MsBySource: {
          close: p99Of(close, burst1, burst2),
          crm: p99Of(crm),
          meta: p99Of(meta),
          lgm: p99Of(lgm),
        },
        rssMB: memoryOf(runtime.pid).rssMB,
        heapMB: health.heapMB ?? Number.NaN,
        fds: fdsOf(runtime.pid),
        dataMB: round1(duMB(dataDir)),
        running: health.running ?? Number.NaN,
        loadAverage: round1(loadavg()[0] ?? 0),
      };
      minutes.push(row);
      log(`  soak ${JSON.stringify(row)}`);
    }

    // Restart on the accumulated data, with whatever is still running: it resumes after the restart.
    const runningAtStop = ((await getJson(`${origin}/healthz`)) as { running?: number }).running;
    const dataByFolderMB = Object.fromEntries(
      (() => {
        const names = readdirSync(dataDir);
        const sizes = duKB(...names.map((name) => join(dataDir, name)));
        return names.map((name, i) => [name, round1((sizes[i] ?? Number.NaN) / 1024)]);
      })(),
    );
    await runtime.stop();
    runtime = spawnTs("packages/local/src/main.ts", env);
    const restarted = await runtime.ready(120_000);
    const restartOrigin = new URL(restarted.url).origin;
    const runningAfterRestart = ((await getJson(`${restartOrigin}/healthz`)) as { running?: number }).running;
    log(`  soak: restarted in ${restarted.msFromSpawn} ms with ${runningAfterRestart} running; draining…`);

    // Until nothing is running (bounded): then every accepted event has had its effects.
    const drainStarted = performance.now();
    let running = runningAfterRestart ?? 0;
    while (running > 0 && performance.now() - drainStarted < DRAIN_LIMIT_SECONDS * 1000) {
      await sleep(1000);
      running = ((await getJson(`${restartOrigin}/healthz`)) as { running?: number }).running ?? 0;
      const seconds = Math.round((performance.now() - drainStarted) / 1000);
      if (seconds % 30 === 0) log(`  soak: ${running} running after ${seconds} s`);
    }
    const drainSeconds = round1((performance.now() - drainStarted) / 1000);
    log(`  soak: ${running} running after ${drainSeconds} s; counting the side effects`);
    const { counts: effects, failureAlerts } = await sideEffects(restartOrigin, accepted);
    const failedExecutions = Object.values(failureAlerts).reduce((sum, count) => sum + count, 0);

    const window = Math.max(1, Math.min(5, Math.floor(minutes.length / 2)));
    const pooledP99 = (rows: number[][]) =>
      percentile(
        rows.flat().sort((a, b) => a - b),
        99,
      );
    const firstP99 = pooledP99(latenciesByMinute.slice(0, window));
    const lastP99 = pooledP99(latenciesByMinute.slice(-window));
    const rssSlope = slope(
      minutes.filter((row) => row.minute > window).map((row) => [row.minute, row.rssMB]),
    );
    const firstRunning = Math.max(...minutes.slice(0, window).map((row) => row.running));
    const lastRunning = Math.max(...minutes.slice(-window).map((row) => row.running));
    const closeLeads = accepted.leads.size;
    const dataPer1000 = ((minutes.at(-1)?.dataMB ?? Number.NaN) / closeLeads) * 1000;
    const doubledOrMissing = effects.reduce((sum, effect) => sum + effect.missing + effect.doubled, 0);
    const goals: SoakGoal[] = [
      {
        goal: `RSS slope after minute ${window} < 2 MB/min`,
        value: Number.isFinite(rssSlope) ? `${round1(rssSlope)} MB/min` : "— (needs 2 minutes after it)",
        met: rssSlope < 2,
      },
      {
        goal: `webhook p99, last ${window} min < 2× first ${window} min`,
        value: `${Math.round(lastP99)} / ${Math.round(firstP99)} ms = ${(lastP99 / firstP99).toFixed(2)}×`,
        met: lastP99 < 2 * firstP99,
      },
      {
        goal: `running does not pile up (last ${window} min max ≤ 2× first ${window} min, or ≤ 50)`,
        value: `${firstRunning} → ${lastRunning}; ${runningAtStop} at stop, drained ${drainSeconds} s after restart`,
        met: (lastRunning <= 2 * firstRunning || lastRunning <= 50) && running === 0,
      },
      {
        goal: "restart on the accumulated data < 3 s (spawn → ready)",
        value: `${restarted.msFromSpawn} ms (runtime's own: ${restarted.reportedMs ?? "—"} ms), ${runningAfterRestart} resumed`,
        met: restarted.msFromSpawn < 3000,
      },
      {
        goal: "data per 1,000 Close leads ≤ 15 MB (every flow's data counted)",
        value: `${round1(dataPer1000)} MB (${minutes.at(-1)?.dataMB} MB, ${closeLeads} Close leads)`,
        met: dataPer1000 <= 15,
      },
      {
        goal: "every side effect exactly once across the restart, no execution failed",
        value: `${effects.reduce((sum, effect) => sum + effect.once, 0)} once, ${doubledOrMissing} missing or doubled${running > 0 ? ` (${running} executions still running after the ${DRAIN_LIMIT_SECONDS} s drain: their effects may be the missing ones)` : ""}; ${failedExecutions} failure alerts${failedExecutions > 0 ? ` (${JSON.stringify(failureAlerts)})` : ""}`,
        met:
          doubledOrMissing === 0 &&
          effects.every((effect) => effect.unexpected === 0) &&
          failedExecutions === 0,
      },
    ];
    return {
      options,
      sent,
      accepted: {
        closeLeads,
        dealStages: accepted.dealStages.size,
        metaLeads: accepted.metaLeads.size,
        replies: accepted.replies.size,
      },
      minutes,
      restartMs: restarted.msFromSpawn,
      restartReportedMs: restarted.reportedMs,
      runningAtStop,
      runningAfterRestart,
      drainSeconds,
      runningAfterDrain: running,
      dataByFolderMB,
      sideEffects: effects,
      failureAlerts,
      rssSlopeMBPerMinute: round1(rssSlope),
      p99LastOverFirst: Math.round((lastP99 / firstP99) * 100) / 100,
      dataMBPer1000Leads: round1(dataPer1000),
      goals,
    };
  } finally {
    await runtime.stop();
    for (const dir of [dataDir, standInDir, membersDir, ownersDir]) removeDir(dir);
  }
}
