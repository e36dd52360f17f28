import {
  getJson,
  type LoadResult,
  leadBodies,
  removeDir,
  runLoad,
  SECRET,
  spawnTs,
  summarize,
  tempDir,
} from "./lib";

export interface IngestOptions {
  requests: number;
  warmup: number;
  concurrency: number;
}

interface Side {
  name: "leadrelay" | "bare";
  url: string;
  results: LoadResult[];
}

/**
 * #1: signed webhooks against `pnpm start` (separate process) and against bench/bare-server.ts
 * (separate process), measured in ABBA order so that drift (page cache, GC, JIT, the growing
 * execution directory) hits both sides alike. Executions wait an hour, so only ingest is measured.
 */
export async function benchIngest(options: IngestOptions) {
  const dirs = { leadrelay: tempDir("ingest-lr"), bare: tempDir("ingest-bare") };
  // Announce alone on both sides: the bare server does announce's ingest; triage would run at once, not wait.
  const env = {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "3600",
    PORT: "0",
    LOG_LEVEL: "warn",
    LEADRELAY_FLOWS: "announce",
  };
  const leadrelay = spawnTs("packages/local/src/main.ts", { ...env, LEADRELAY_DATA_DIR: dirs.leadrelay });
  const bare = spawnTs("bench/bare-server.ts", { ...env, LEADRELAY_DATA_DIR: dirs.bare });
  try {
    const sides: Record<Side["name"], Side> = {
      leadrelay: { name: "leadrelay", url: (await leadrelay.ready()).url, results: [] },
      bare: { name: "bare", url: (await bare.ready()).url, results: [] },
    };
    const segment = Math.ceil(options.requests / 4);
    const bodies = {
      leadrelay: leadBodies("IngestL", options.warmup + 4 * segment),
      bare: leadBodies("IngestB", options.warmup + 4 * segment),
    };
    const load = (side: Side, from: number, count: number) =>
      runLoad({
        url: side.url,
        requests: bodies[side.name].slice(from, from + count),
        concurrency: options.concurrency,
        maxMs: 60_000,
      });
    // Warm-up (JIT, sockets, first files), not recorded.
    await load(sides.bare, 0, options.warmup);
    await load(sides.leadrelay, 0, options.warmup);
    // ABBA BAAB: each server runs first, second, in the middle and last equally often.
    const order: Array<Side["name"]> = [
      "bare",
      "leadrelay",
      "leadrelay",
      "bare",
      "leadrelay",
      "bare",
      "bare",
      "leadrelay",
    ];
    const offset = { leadrelay: options.warmup, bare: options.warmup };
    for (const name of order) {
      const side = sides[name];
      side.results.push(await load(side, offset[name], segment));
      offset[name] += segment;
    }
    const health = {
      leadrelay: (await getJson(`${new URL(sides.leadrelay.url).origin}/healthz`)) as { running?: number },
    };
    const report = (side: Side) => {
      const latencies = side.results.flatMap((result) => result.latenciesMs);
      const elapsed = side.results.reduce((sum, result) => sum + result.elapsedMs, 0);
      const statuses: Record<string, number> = {};
      for (const result of side.results) {
        for (const [status, count] of Object.entries(result.statuses))
          statuses[status] = (statuses[status] ?? 0) + count;
      }
      return {
        requests: latencies.length,
        statuses,
        rps: Math.round((latencies.length / elapsed) * 1000 * 10) / 10,
        latencyMs: summarize(latencies),
        p99PerSegmentMs: side.results.map((result) => summarize(result.latenciesMs).p99),
      };
    };
    const result = { leadrelay: report(sides.leadrelay), bare: report(sides.bare) };
    return {
      concurrency: options.concurrency,
      warmupPerServer: options.warmup,
      method:
        "each server is its own Node 22 process; the load generator (this process) keeps `concurrency` signed webhooks in flight over " +
        "keep-alive loopback connections; distinct lead ids; LEAD_WAIT_SECONDS=3600 so executions only wait. bare = bench/bare-server.ts: " +
        "node:http + verifyCloseSignature + JSON.parse + one S3 PutObject(If-None-Match: *) + one StartExecution, against an embedded " +
        "runtime in its own process (same SDK clients and adapters, same s3rver and SFN engine as leadrelay's ingest uses).",
      order: order.map((name) => (name === "bare" ? "B" : "L")).join(""),
      ...result,
      waitingExecutionsAfter: health.leadrelay.running,
      ratios: {
        p50: round2(result.leadrelay.latencyMs.p50 / result.bare.latencyMs.p50),
        p99: round2(result.leadrelay.latencyMs.p99 / result.bare.latencyMs.p99),
        throughput: round2(result.leadrelay.rps / result.bare.rps),
      },
      memoryAfterMB: { leadrelay: leadrelay.rss(), bare: bare.rss() },
    };
  } finally {
    await Promise.all([leadrelay.stop(), bare.stop()]);
    removeDir(dirs.leadrelay);
    removeDir(dirs.bare);
  }
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
