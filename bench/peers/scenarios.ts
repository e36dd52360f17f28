/**
 * The measurements, the same for every peer: same signed webhooks (bench/lib.ts), same load
 * generator, same owner and Slack stand-ins. Each scenario launches the peer fresh (its own data),
 * measures, and stops it; every wait is bounded in time.
 */
import { type LoadResult, leadBodies, runLoad, sleep, summarize } from "../lib";
import { monitor, type SegmentCost } from "./monitor";
import type { Peer, Running } from "./peer";
import type { Attempt, StandIns } from "./stand-ins";

export interface PeersSettings {
  /** maxSeconds bounds the measured load (a peer slower than requests / maxSeconds sends fewer). */
  ingest: { requests: number; warmup: number; concurrency: number; holdSeconds: number; maxSeconds: number };
  waiting: { leads: number; concurrency: number; holdSeconds: number; maxSeconds: number };
  restart: { leads: number; concurrency: number; holdSeconds: number };
  endToEnd: { leads: number; ratePerSecond: number; concurrency: number };
  /** First retry interval after owner-not-assigned / a Slack failure, for every peer (production: minutes). */
  retryIntervalMs: number;
  /** Section 7's Close burst with BullMQ's limiter (bullmq only: leadrelay's figures are section 7's). */
  burst: { leads: number };
}

const CODE: Record<Peer["name"], string> = { leadrelay: "L", bullmq: "B", n8n: "N" };
const round1 = (n: number) => Math.round(n * 10) / 10;

function accepted(load: LoadResult): number {
  return Object.entries(load.statuses)
    .filter(([status]) => /^2\d\d$/.test(status))
    .reduce((sum, [, count]) => sum + count, 0);
}

async function withPeer<T>(
  peer: Peer,
  standIns: StandIns,
  options: { holdSeconds: number; retryIntervalMs: number },
  body: (running: Running) => Promise<T>,
): Promise<T & { readyMs: number }> {
  const running = await peer.launch({ ...options, standIns });
  try {
    return { ...(await body(running)), readyMs: running.readyMs };
  } finally {
    await running.stop();
  }
}

/** Until every lead in `ids` has a Slack message, or `deadline` (performance.now()) passes. */
async function untilAnnounced(standIns: StandIns, ids: string[], deadline: number) {
  while (performance.now() < deadline && ids.some((id) => !standIns.messages.has(id))) await sleep(100);
}

// ── 1. ingest ─────────────────────────────────────────────────────────────────

export async function ingest(peer: Peer, standIns: StandIns, settings: PeersSettings) {
  const { requests, warmup, concurrency, holdSeconds, maxSeconds } = settings.ingest;
  return withPeer(
    peer,
    standIns,
    { holdSeconds, retryIntervalMs: settings.retryIntervalMs },
    async (running) => {
      const bodies = leadBodies(`Ingest${CODE[peer.name]}`, warmup + requests);
      // Warm-up (JIT, sockets, caches), not recorded; at most 20 s of it.
      await runLoad({
        url: running.webhookUrl,
        requests: bodies.slice(0, warmup),
        concurrency,
        maxMs: 20_000,
      });
      const watch = monitor(running);
      const load = await runLoad({
        url: running.webhookUrl,
        requests: bodies.slice(warmup),
        concurrency,
        maxMs: maxSeconds * 1000,
      });
      const cost = watch.stop();
      return {
        requests: load.sent,
        cappedByTime: load.sent < requests,
        accepted: accepted(load),
        statuses: load.statuses,
        rps: load.rps,
        latencyMs: summarize(load.latenciesMs),
        cost,
      };
    },
  );
}

// ── 2. leads waiting ──────────────────────────────────────────────────────────

export async function waiting(peer: Peer, standIns: StandIns, settings: PeersSettings) {
  const { leads, concurrency, holdSeconds, maxSeconds } = settings.waiting;
  return withPeer(
    peer,
    standIns,
    { holdSeconds, retryIntervalMs: settings.retryIntervalMs },
    async (running) => {
      await sleep(1000);
      const idle = monitor(running).stop();
      const watch = monitor(running);
      const load = await runLoad({
        url: running.webhookUrl,
        requests: leadBodies(`Waiting${CODE[peer.name]}`, leads),
        concurrency,
        maxMs: maxSeconds * 1000,
      });
      const ok = accepted(load);
      // The system's own count of held leads, where it has one (bounded wait for it to catch up).
      let held: number | undefined;
      const deadline = performance.now() + 15_000;
      while (running.held && performance.now() < deadline) {
        held = await running.held().catch(() => undefined);
        if (held !== undefined && held >= ok) break;
        await sleep(250);
      }
      await sleep(1000);
      const cost = watch.stop();
      return {
        leads,
        accepted: ok,
        cappedByTime: load.sent < leads,
        statuses: load.statuses,
        acceptSeconds: round1(load.elapsedMs / 1000),
        /** For a peer stopped by maxSeconds: the time all `leads` would take at the rate it managed. */
        acceptSecondsExtrapolated: ok > 0 ? round1((load.elapsedMs / 1000) * (leads / ok)) : null,
        rps: load.rps,
        latencyMs: summarize(load.latenciesMs),
        heldBySystem: held,
        idleRssMB: idle.peakTotalRssMB,
        rssAfterMB: cost.processes.reduce((sum, p) => sum + p.rssMB, 0),
        peakTotalRssMB: cost.peakTotalRssMB,
        cost,
      };
    },
  );
}

// ── 3. restart durability ─────────────────────────────────────────────────────

export async function restart(
  peer: Peer,
  standIns: StandIns,
  settings: PeersSettings,
  crash: Peer["crashes"][0],
) {
  const { leads, concurrency, holdSeconds } = settings.restart;
  return withPeer(
    peer,
    standIns,
    { holdSeconds, retryIntervalMs: settings.retryIntervalMs },
    async (running) => {
      const watch = monitor(running);
      const prefix = `Restart${CODE[peer.name]}${crash.part.replace(/[^A-Za-z0-9]/g, "")}`;
      const load = await runLoad({
        url: running.webhookUrl,
        requests: leadBodies(prefix, leads),
        concurrency,
        maxMs: 60_000,
      });
      const ids = [...load.acceptedAt.keys()];
      const announcedBeforeCrash = ids.filter((id) => standIns.messages.has(id)).length;
      const crashedAt = performance.now();
      await running.crash(crash.part);
      await sleep(500);
      const recoverMs = await running.recover(crash.part);
      // Long enough for any recovery mechanism to deliver (the hold, then 30 s), shorter once all arrived.
      await untilAnnounced(standIns, ids, performance.now() + holdSeconds * 1000 + 30_000);
      // Doubles arrive late (a re-run after a lock expires): a few more seconds once everything is in.
      if (ids.every((id) => standIns.messages.has(id))) await sleep(5000);
      const cost = watch.stop();
      const counts = ids.map((id) => standIns.messages.get(id)?.length ?? 0);
      const lastMessage = Math.max(0, ...ids.flatMap((id) => standIns.messages.get(id) ?? []));
      return {
        crash: crash.what,
        leads,
        accepted: ids.length,
        statuses: load.statuses,
        announcedBeforeCrash,
        heldAtCrash: ids.length - announcedBeforeCrash,
        recoverMs,
        exactlyOnce: counts.filter((n) => n === 1).length,
        lost: counts.filter((n) => n === 0).length,
        doubled: counts.filter((n) => n > 1).length,
        lastAnnouncedSecondsAfterCrash:
          lastMessage > crashedAt ? round1((lastMessage - crashedAt) / 1000) : null,
        cost,
      };
    },
  );
}

// ── 4. webhook → Slack, hold 0, and 5. the two faults ────────────────────────

function attemptsReport(attempts: Attempt[] | undefined) {
  const list = attempts ?? [];
  return {
    statuses: list.map((a) => a.status),
    gapsMs: list.slice(1).map((a, i) => Math.round(a.at - (list[i]?.at ?? a.at))),
  };
}

export async function endToEndAndFaults(peer: Peer, standIns: StandIns, settings: PeersSettings) {
  const { leads, ratePerSecond, concurrency } = settings.endToEnd;
  return withPeer(
    peer,
    standIns,
    { holdSeconds: 0, retryIntervalMs: settings.retryIntervalMs },
    async (running) => {
      const watch = monitor(running);
      const load = await runLoad({
        url: running.webhookUrl,
        requests: leadBodies(`EndToEnd${CODE[peer.name]}`, leads),
        concurrency,
        ratePerSecond,
        maxMs: 120_000,
      });
      const ids = [...load.acceptedAt.keys()];
      await untilAnnounced(standIns, ids, performance.now() + 60_000);
      const cost: SegmentCost = watch.stop();
      const latencies: number[] = [];
      for (const [id, at] of load.acceptedAt) {
        const posted = standIns.messages.get(id)?.[0];
        if (posted !== undefined) latencies.push(posted - at);
      }

      const [owner403, slack429] = leadBodies(`Fault${CODE[peer.name]}`, 2);
      if (!owner403 || !slack429) throw new Error("no fault leads");
      standIns.ownerScript.set(owner403.leadId, [{ status: 403 }]);
      standIns.slackScript.set(slack429.leadId, [{ status: 429, headers: { "retry-after": "1" } }]);
      const faultLoad = await runLoad({
        url: running.webhookUrl,
        requests: [owner403, slack429],
        concurrency: 2,
        maxMs: 30_000,
      });
      const faultIds = [owner403.leadId, slack429.leadId];
      await untilAnnounced(standIns, faultIds, performance.now() + 60_000);
      await sleep(3000);
      const fault = (leadId: string) => ({
        leadId,
        ownerRequests: attemptsReport(standIns.ownerAttempts.get(leadId)),
        slackRequests: attemptsReport(standIns.slackAttempts.get(leadId)),
        messages: standIns.messages.get(leadId)?.length ?? 0,
      });
      return {
        leads,
        ratePerSecond,
        /** Fewer than `leads` when the peer could not take them within the 120 s the load runs. */
        sent: load.sent,
        accepted: ids.length,
        statuses: load.statuses,
        delivered: latencies.length,
        webhookToSlackMs: summarize(latencies),
        ingestLatencyMs: summarize(load.latenciesMs),
        cost,
        faults: {
          statuses: faultLoad.statuses,
          owner403Then200: fault(owner403.leadId),
          slack429RetryAfter1: fault(slack429.leadId),
        },
      };
    },
  );
}
