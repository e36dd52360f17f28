/**
 * `pnpm bench --soak [minutes]` (default 20; never in CI): `pnpm start` with every flow on, fed
 * signed Close `lead.created` webhooks at a steady rate plus a burst every 30 s, hold 0 so every
 * lead runs announce and triage to the end. Each minute: RSS, V8 heap, open fds, data folder size,
 * running executions, webhook p50/p99 of that minute. At the end the runtime is stopped and
 * started again on the accumulated data: the time to `ready` is the restart time.
 *
 * Only Close leads for now: the deal, Meta and LGM sources' signed bodies live in bench/flows and
 * are not yet shared with this section.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { loadavg } from "node:os";
import {
  getJson,
  leadBodies,
  memoryOf,
  type NodeProcess,
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
  /** Extra leads every 30 s, 32 in flight. */
  burst: number;
}

export interface SoakMinute {
  minute: number;
  webhooks: number;
  failed: number;
  /** Non-2xx answers (and load-generator errors) by status. */
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  rssMB: number;
  heapMB: number;
  fds: number;
  dataMB: number;
  running: number;
  loadAverage: number;
}

/** `du -sk`; files renamed while it walks make it exit 1 with its total still printed. */
function duMB(dir: string): number {
  let out: string;
  try {
    out = execFileSync("du", ["-sk", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  return Number(out.split("\t")[0]) / 1024;
}
const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

export async function benchSoak(options: SoakOptions, log: (line: string) => void = () => {}) {
  const dataDir = tempDir("soak");
  const env = {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "0",
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
    LEADRELAY_RETRY_INTERVAL_MS: "200",
  };
  let runtime: NodeProcess = spawnTs("packages/local/src/main.ts", env);
  try {
    const { url } = await runtime.ready();
    const origin = new URL(url).origin;
    const minutes: SoakMinute[] = [];
    let sent = 0;
    for (let minute = 1; minute <= options.minutes; minute++) {
      const steady = options.ratePerSecond * 60;
      const bodies = leadBodies("Soak", steady + 2 * options.burst, sent);
      sent += bodies.length;
      // The steady stream and two bursts (at 0 s and 30 s) of this minute, side by side.
      const results = await Promise.all([
        runLoad({
          url,
          requests: bodies.slice(0, steady),
          concurrency: 16,
          ratePerSecond: options.ratePerSecond,
          maxMs: 60_000,
        }),
        runLoad({
          url,
          requests: bodies.slice(steady, steady + options.burst),
          concurrency: 32,
          maxMs: 30_000,
        }),
        sleep(30_000).then(() =>
          runLoad({ url, requests: bodies.slice(steady + options.burst), concurrency: 32, maxMs: 30_000 }),
        ),
      ]);
      const latencies = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
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
        failed,
        failures,
        p50Ms: Math.round(percentile(latencies, 50)),
        p99Ms: Math.round(percentile(latencies, 99)),
        rssMB: memoryOf(runtime.pid).rssMB,
        heapMB: health.heapMB ?? Number.NaN,
        fds: fdsOf(runtime.pid),
        dataMB: Math.round(duMB(dataDir) * 10) / 10,
        running: health.running ?? Number.NaN,
        loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      };
      minutes.push(row);
      log(`  soak ${JSON.stringify(row)}`);
    }
    await runtime.stop();
    const restartStarted = performance.now();
    runtime = spawnTs("packages/local/src/main.ts", env);
    await runtime.ready(120_000);
    const restartMs = Math.round(performance.now() - restartStarted);
    const health = (await getJson(`${new URL((await runtime.ready()).url).origin}/healthz`)) as {
      running?: number;
    };
    const first = minutes.slice(0, Math.min(5, minutes.length));
    const last = minutes.slice(-Math.min(5, minutes.length));
    const after5 = minutes.filter((row) => row.minute > 5);
    const slope =
      after5.length >= 2
        ? ((after5.at(-1) as SoakMinute).rssMB - (after5[0] as SoakMinute).rssMB) / (after5.length - 1)
        : Number.NaN;
    const p99 = (rows: SoakMinute[]) => Math.max(...rows.map((row) => row.p99Ms));
    return {
      options,
      leads: sent,
      minutes,
      restartMs,
      runningAfterRestart: health.running,
      rssSlopeMBPerMinuteAfter5: Math.round(slope * 10) / 10,
      p99LastOverFirst: Math.round((p99(last) / p99(first)) * 100) / 100,
      dataMBPer1000Leads: Math.round(((minutes.at(-1)?.dataMB ?? 0) / sent) * 1000 * 10) / 10,
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}
