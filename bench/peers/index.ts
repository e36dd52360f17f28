/**
 * `pnpm bench --peers`: leadrelay next to what a user would pick instead — BullMQ + Redis, and n8n —
 * on the same work, machine, load generator and signed webhooks. Scenario by scenario, each peer
 * in turn (so that slow drift of the machine hits all three alike). A peer that cannot be installed
 * or started on this machine is recorded with the exact error; the others go on.
 */
import { loadavg } from "node:os";
import { bullmqCloseBurst } from "./bullmq/close-burst";
import { bullmq } from "./bullmq/system";
import type { StepRecord } from "./installs";
import { cpuMsPerLead } from "./monitor";
import { n8n } from "./n8n/system";
import { leadrelay, type Peer, type PeerName } from "./peer";
import { killAllGroups } from "./processes";
import { endToEndAndFaults, ingest, type PeersSettings, restart, waiting } from "./scenarios";
import { startStandIns } from "./stand-ins";

export { peersTable } from "./report";
export type { PeersSettings } from "./scenarios";

export const PEERS_SETTINGS: PeersSettings = {
  ingest: { requests: 3000, warmup: 300, concurrency: 16, holdSeconds: 3600, maxSeconds: 60 },
  waiting: { leads: 10_000, concurrency: 32, holdSeconds: 3600, maxSeconds: 150 },
  restart: { leads: 200, concurrency: 16, holdSeconds: 5 },
  endToEnd: { leads: 500, ratePerSecond: 25, concurrency: 32 },
  retryIntervalMs: 1000,
  burst: { leads: 300 },
};

/** `pnpm bench --peers --quick`: the same code paths with small counts (results in the OS temp dir). */
export const PEERS_QUICK_SETTINGS: PeersSettings = {
  ingest: { requests: 200, warmup: 50, concurrency: 16, holdSeconds: 3600, maxSeconds: 30 },
  waiting: { leads: 500, concurrency: 32, holdSeconds: 3600, maxSeconds: 60 },
  restart: { leads: 30, concurrency: 16, holdSeconds: 5 },
  endToEnd: { leads: 50, ratePerSecond: 25, concurrency: 32 },
  retryIntervalMs: 1000,
  burst: { leads: 50 },
};

/** The scenarios, in order; LEADRELAY_BENCH_PEERS_SCENARIOS=burst runs a subset (merged into the last peers numbers). */
export const PEER_SCENARIOS = ["ingest", "waiting", "restart", "endToEnd", "burst"] as const;
export const peerScenarios = (env: Record<string, string | undefined> = process.env) =>
  env.LEADRELAY_BENCH_PEERS_SCENARIOS?.split(",").map((name) => name.trim()) ?? [...PEER_SCENARIOS];

/** Wall-clock limit of a full peers run, first installs included (n8n alone: ≈ 6 min of npm + node-gyp). */
export const PEERS_BUDGET_SECONDS = 25 * 60;

const ALL: Peer[] = [leadrelay, bullmq, n8n];
const round2 = (n: number) => Math.round(n * 100) / 100;
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
    ? null
    : round2(a / b);

export interface Outcome<T> {
  result?: T;
  error?: string;
}
type IngestResult = Awaited<ReturnType<typeof ingest>>;
type WaitingResult = Awaited<ReturnType<typeof waiting>>;
type RestartResult = Awaited<ReturnType<typeof restart>>;
type EndToEndResult = Awaited<ReturnType<typeof endToEndAndFaults>>;
type BurstResult = Awaited<ReturnType<typeof bullmqCloseBurst>>;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function benchPeers(
  settings: PeersSettings = PEERS_SETTINGS,
  log: (line: string) => void = () => {},
  // LEADRELAY_BENCH_PEERS=bullmq,n8n runs a subset (handy while working on one peer).
  only: string[] = process.env.LEADRELAY_BENCH_PEERS?.split(",") ?? ALL.map((p) => p.name),
  which: string[] = peerScenarios(),
) {
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAtStart = loadavg().map(round2);
  const elapsed = () => `${Math.round((performance.now() - t0) / 1000)} s`;
  // Detached process groups do not get the terminal's Ctrl-C: stop them here, then exit.
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`bench --peers: ${signal}, killing every child\n`);
    killAllGroups();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const standIns = await startStandIns();
  const peers: Partial<
    Record<PeerName, { setup?: Record<string, unknown>; steps: StepRecord[]; error?: string }>
  > = {};
  const ready: Peer[] = [];
  const scenarios = {
    ingest: {} as Partial<Record<PeerName, Outcome<IngestResult>>>,
    waiting: {} as Partial<Record<PeerName, Outcome<WaitingResult>>>,
    restart: {} as Partial<Record<PeerName, Array<Outcome<RestartResult>>>>,
    endToEnd: {} as Partial<Record<PeerName, Outcome<EndToEndResult>>>,
    burst: {} as Partial<Record<PeerName, Outcome<BurstResult>>>,
  };
  try {
    for (const peer of ALL.filter((p) => only.includes(p.name))) {
      const steps: StepRecord[] = [];
      log(`bench --peers: setting up ${peer.name}… (${elapsed()})`);
      try {
        peers[peer.name] = { setup: await peer.setup(steps), steps };
        ready.push(peer);
      } catch (error) {
        peers[peer.name] = { steps, error: errorText(error) };
        log(`bench --peers: ${peer.name} setup FAILED, going on without it:\n${errorText(error)}`);
      }
    }

    const attempt = async <T>(label: string, run: () => Promise<T>): Promise<Outcome<T>> => {
      log(`bench --peers: ${label}… (${elapsed()})`);
      try {
        return { result: await run() };
      } catch (error) {
        log(`bench --peers: ${label} FAILED: ${errorText(error).slice(0, 2000)}`);
        return { error: errorText(error) };
      }
    };
    const runs = (scenario: (typeof PEER_SCENARIOS)[number]) => which.includes(scenario);
    for (const peer of runs("ingest") ? ready : [])
      scenarios.ingest[peer.name] = await attempt(`1. ingest — ${peer.name}`, () =>
        ingest(peer, standIns, settings),
      );
    for (const peer of runs("waiting") ? ready : [])
      scenarios.waiting[peer.name] = await attempt(
        `2. ${settings.waiting.leads} leads waiting — ${peer.name}`,
        () => waiting(peer, standIns, settings),
      );
    for (const peer of runs("restart") ? ready : []) {
      const outcomes: Array<Outcome<RestartResult>> = [];
      for (const crash of peer.crashes)
        outcomes.push(
          await attempt(`3. restart durability — ${peer.name}: ${crash.what}`, () =>
            restart(peer, standIns, settings, crash),
          ),
        );
      scenarios.restart[peer.name] = outcomes;
    }
    for (const peer of runs("endToEnd") ? ready : [])
      scenarios.endToEnd[peer.name] = await attempt(`4+5. webhook → Slack and faults — ${peer.name}`, () =>
        endToEndAndFaults(peer, standIns, settings),
      );
    if (runs("burst") && ready.some((peer) => peer.name === "bullmq"))
      scenarios.burst.bullmq = await attempt(
        `6. ${settings.burst.leads} Close leads at once, BullMQ limiter — bullmq`,
        () => bullmqCloseBurst(settings.burst, peers.bullmq?.steps),
      );
  } finally {
    await standIns.close();
    killAllGroups();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const ratios: Partial<Record<PeerName, Record<string, number | null>>> = {};
  for (const peer of ready.filter((p) => p.name !== "leadrelay")) {
    const [li, pi] = [scenarios.ingest.leadrelay?.result, scenarios.ingest[peer.name]?.result];
    const [lw, pw] = [scenarios.waiting.leadrelay?.result, scenarios.waiting[peer.name]?.result];
    const [le, pe] = [scenarios.endToEnd.leadrelay?.result, scenarios.endToEnd[peer.name]?.result];
    ratios[peer.name] = {
      ingestThroughput: ratio(li?.rps, pi?.rps),
      ingestP50: ratio(li?.latencyMs?.p50, pi?.latencyMs?.p50),
      ingestP99: ratio(li?.latencyMs?.p99, pi?.latencyMs?.p99),
      waitingAcceptSeconds: ratio(
        lw?.acceptSecondsExtrapolated ?? undefined,
        pw?.acceptSecondsExtrapolated ?? undefined,
      ),
      waitingPeakRss: ratio(lw?.peakTotalRssMB, pw?.peakTotalRssMB),
      webhookToSlackP50: ratio(le?.webhookToSlackMs?.p50, pe?.webhookToSlackMs?.p50),
      webhookToSlackP99: ratio(le?.webhookToSlackMs?.p99, pe?.webhookToSlackMs?.p99),
      ingestCpuPerLead: ratio(
        li && cpuMsPerLead(li.cost, li.requests),
        pi && cpuMsPerLead(pi.cost, pi.requests),
      ),
      waitingCpuPerLead: ratio(
        lw && cpuMsPerLead(lw.cost, lw.accepted),
        pw && cpuMsPerLead(pw.cost, pw.accepted),
      ),
      endToEndCpuPerLead: ratio(
        le && cpuMsPerLead(le.cost, le.accepted),
        pe && cpuMsPerLead(pe.cost, pe.accepted),
      ),
    };
  }

  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(round2) },
    method:
      "Each scenario launches each peer fresh (own data dir / Redis dir / n8n user folder), scenario by scenario, one peer at a time. " +
      "Load generator, signed webhooks (bench/lib.ts) and the loopback owner and Slack stand-ins are the same for all. " +
      "Ratios are leadrelay ÷ peer: above 1 means leadrelay is higher (better for req/s, worse for ms, MB and s). " +
      "CPU seconds are per process tree from /proc (sampled every 500 ms); RSS peaks are sampled sums, VmHWM per process is also given.",
    settings,
    peers,
    ingest: scenarios.ingest,
    waiting: scenarios.waiting,
    restart: scenarios.restart,
    endToEnd: scenarios.endToEnd,
    burst: scenarios.burst,
    scenarios: which,
    ratios,
  };
}

export type PeersResult = Awaited<ReturnType<typeof benchPeers>>;
