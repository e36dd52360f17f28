import { runHubSpotSetup } from "../packages/flows/linkedin-replies/src/hubspot-setup";
import { replyBody } from "./flows/linkedin-replies";
import {
  getJson,
  leadBodies,
  type NodeProcess,
  removeDir,
  runLoad,
  SECRET,
  sleep,
  spawnTs,
  tempDir,
} from "./lib";

/**
 * #7 bursts (issue 20), each against stand-ins that refuse like their vendor a little above its
 * budget. Completion time against the bound (the vendor's calls ÷ its budget), 429s as a share of
 * the vendor's calls, failed executions and peak memory.
 * - Close: `leads` Close `lead.created` at once into triage with CLOSE_RATE_LIMIT=10/1s (Twilio
 *   and Zendesk limited too), Close refusing beyond 12/s.
 * - HubSpot: `replies` LGM replies at once into linkedin-replies with HUBSPOT_RATE_LIMIT=100/10s,
 *   HubSpot refusing beyond 110/10s with its TEN_SECONDLY_ROLLING 429. Each reply is a new lead's
 *   first (contact, deal and note: the most HubSpot calls). The search endpoints have their own
 *   limit at HubSpot (4/s); HUBSPOT_SEARCH_RATE_LIMIT is left unset, as the stand-in does not
 *   limit them, so the bound counts the ten-secondly calls only.
 */

const CLOSE_PER_SECOND = 10;
const HUBSPOT_RATE = { count: 100, seconds: 10 };
const LGM_TOKEN = "bench-burst-lgm-token";

function executionsByStatus(metrics: string, flow: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of metrics.matchAll(/^leadrelay_executions_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const labels = Object.fromEntries(
      [...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]),
    );
    if (labels.flow === flow && labels.status) out[labels.status] = Number(match[2]);
  }
  return out;
}

/** A burst's own runtime: a fresh data folder, any free port, the given flows and limits. */
function startBurstRuntime(name: string, env: Record<string, string>) {
  const dataDir = tempDir(name);
  const runtime = spawnTs("packages/local/src/main.ts", {
    CLOSE_WEBHOOK_SECRET: SECRET,
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
    ...env,
  });
  return { dataDir, runtime };
}

const tenths = (value: number) => Math.round(value * 10) / 10;

/** Completion time against the bound, as every burst reports it. */
const timingOf = (seconds: number, boundSeconds: number) => ({
  doneSeconds: tenths(seconds),
  boundSeconds: tenths(boundSeconds),
  ratioToBound: Math.round((seconds / boundSeconds) * 100) / 100,
});

/** `part` as a share of `whole` (4 decimals), 0 when there is no whole. */
const shareOf = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : 0);

export async function benchBurst(options: { leads: number }) {
  const { dataDir, runtime } = startBurstRuntime("burst", {
    LEADRELAY_FLOWS: "triage",
    CLOSE_RATE_LIMIT: `${CLOSE_PER_SECOND}/1s`,
    TWILIO_RATE_LIMIT: "5/1s",
    ZENDESK_RATE_LIMIT: "200/60s",
    LEADRELAY_STANDIN_LIMITS: "close=12/1s,twilio=6/1s,zendesk=220/60s",
  });
  try {
    const start = await runtime.ready();
    const origin = new URL(start.url).origin;
    const began = performance.now();
    const load = await runLoad({
      url: start.url,
      requests: leadBodies("Burst", options.leads),
      concurrency: 64,
      maxMs: 120_000,
    });
    const peakRssMB = await untilIdle(origin, runtime);
    const seconds = (performance.now() - began) / 1000;
    const close = (await getJson(`${origin}/_local/close/_requests`)) as {
      requests: Array<{ throttled?: boolean }>;
    };
    const refused = close.requests.filter((request) => request.throttled).length;
    const answered = close.requests.length - refused;
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    const executions = executionsByStatus(metrics, "triage");
    const boundSeconds = answered / CLOSE_PER_SECOND;
    return {
      leads: options.leads,
      accepted: load.statuses["202"] ?? 0,
      ...timingOf(seconds, boundSeconds),
      closeCalls: close.requests.length,
      close429: refused,
      close429Share: shareOf(refused, close.requests.length),
      executions,
      failed: failedOf(executions),
      peakRssMB: Math.round(peakRssMB),
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}

/** Executions that did not succeed (the metric's status labels are lower case). */
const failedOf = (executions: Record<string, number>) =>
  (executions.failed ?? 0) + (executions.timed_out ?? 0) + (executions.aborted ?? 0);

/** Polls until the runtime runs no execution (10 min at most); the peak RSS seen meanwhile. */
async function untilIdle(origin: string, runtime: NodeProcess): Promise<number> {
  let peakRssMB = runtime.rss().peakRssMB;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const { running } = (await getJson(`${origin}/healthz`)) as { running: number };
    peakRssMB = Math.max(peakRssMB, runtime.rss().peakRssMB);
    if (running === 0 || Date.now() > deadline) return peakRssMB;
    await sleep(200);
  }
}

/** First replies of new leads, as LGM's inbox webhook posts them (the flow's own bench body). */
function replyBodies(count: number): Array<{ leadId: string; body: string }> {
  return Array.from({ length: count }, () => {
    const body = replyBody({ campaignName: "Burst campaign" });
    return { leadId: body.leadId, body: JSON.stringify(body) };
  });
}

const isSearch = (request: { path: string }) => /\/search\/?$/.test(request.path);

export async function benchReplyBurst(options: { replies: number }) {
  const { dataDir, runtime } = startBurstRuntime("reply-burst", {
    LEADRELAY_FLOWS: "linkedin-replies",
    LGM_WEBHOOK_TOKEN: LGM_TOKEN,
    HUBSPOT_RATE_LIMIT: `${HUBSPOT_RATE.count}/${HUBSPOT_RATE.seconds}s`,
    LEADRELAY_STANDIN_LIMITS: "hubspot=110/10s",
  });
  try {
    const start = await runtime.ready();
    const origin = new URL(start.url).origin;
    type Recorded = { requests: Array<{ path: string; throttled?: boolean }> };
    const hubspotRequests = async () =>
      ((await getJson(`${origin}/_local/hubspot/_requests`)) as Recorded).requests;
    // The flow's custom properties, as `pnpm leadrelay hubspot setup` makes them; its calls must
    // leave the stand-in's window before the burst.
    await runHubSpotSetup({}, origin);
    const before = (await hubspotRequests()).length;
    await sleep(HUBSPOT_RATE.seconds * 1000 + 500);
    const began = performance.now();
    const load = await runLoad({
      url: `${origin}/webhook/lgm/${LGM_TOKEN}`,
      requests: replyBodies(options.replies),
      concurrency: 64,
      maxMs: 120_000,
    });
    const peakRssMB = await untilIdle(origin, runtime);
    const seconds = (performance.now() - began) / 1000;
    const requests = (await hubspotRequests()).slice(before);
    const limited = requests.filter((request) => !isSearch(request));
    const refused = limited.filter((request) => request.throttled).length;
    const answered = limited.length - refused;
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    const executions = executionsByStatus(metrics, "linkedin-replies");
    const boundSeconds = (answered / HUBSPOT_RATE.count) * HUBSPOT_RATE.seconds;
    return {
      replies: options.replies,
      accepted: load.statuses["202"] ?? 0,
      ...timingOf(seconds, boundSeconds),
      hubspotCalls: limited.length,
      hubspotSearchCalls: requests.length - limited.length,
      hubspot429: refused,
      hubspot429Share: shareOf(refused, limited.length),
      executions,
      failed: failedOf(executions),
      peakRssMB: Math.round(peakRssMB),
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}
