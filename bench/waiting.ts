import { getJson, leadBodies, type Memory, removeDir, runLoad, SECRET, sleep, spawnTs, tempDir } from "./lib";

async function waitForRunning(origin: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let running = -1;
  while (Date.now() < deadline) {
    running = ((await getJson(`${origin}/healthz`)) as { running?: number }).running ?? -1;
    if (running >= expected) return running;
    await sleep(250);
  }
  return running;
}

/**
 * #4: `leads` executions waiting in one runtime process (LEAD_WAIT_SECONDS=3600), then a restart on
 * the same data dir: time until `ready`, and memory once all of them are resumed inside their Wait.
 */
export async function benchWaiting(options: { leads: number; concurrency: number }) {
  const dataDir = tempDir("waiting");
  const env = {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "3600",
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
    // Waiting is announce's: triage does not hold a lead, it runs at once.
    LEADRELAY_FLOWS: "announce",
  };
  const first = spawnTs("packages/local/src/main.ts", env);
  let second: ReturnType<typeof spawnTs> | undefined;
  try {
    const emptyStart = await first.ready();
    const origin = new URL(emptyStart.url).origin;
    await sleep(500);
    const idle = first.rss();
    const load = await runLoad({
      url: emptyStart.url,
      requests: leadBodies("Waiting", options.leads),
      concurrency: options.concurrency,
      maxMs: 150_000,
    });
    const accepted = load.statuses["202"] ?? 0;
    const waiting = await waitForRunning(origin, accepted, 10_000);
    await sleep(1000);
    const afterPosting = first.rss();

    const stopStarted = performance.now();
    await first.stop();
    const stopMs = Math.round(performance.now() - stopStarted);

    second = spawnTs("packages/local/src/main.ts", env);
    const restart = await second.ready(120_000);
    const atReady = second.rss();
    const resumedLine = Number(/resumed\s+(\d+) execution/.exec(second.output())?.[1] ?? 0);
    const resumedRunning = await waitForRunning(new URL(restart.url).origin, resumedLine, 30_000);
    await sleep(1000);
    const afterResume: Memory = second.rss();
    return {
      leads: options.leads,
      posting: {
        accepted,
        statuses: load.statuses,
        elapsedMs: load.elapsedMs,
        rps: load.rps,
        concurrency: options.concurrency,
      },
      firstStart: { readyMsFromSpawn: emptyStart.msFromSpawn, reportedMs: emptyStart.reportedMs, idle },
      waitingAfterPosting: waiting,
      memoryAfterPostingMB: afterPosting,
      stopMs,
      restart: {
        readyMsFromSpawn: restart.msFromSpawn,
        reportedMs: restart.reportedMs,
        resumed: resumedLine,
        runningAfterResume: resumedRunning,
        memoryAtReadyMB: atReady,
        memoryAfterResumeMB: afterResume,
      },
      /** The highest RSS either process reached (VmHWM). */
      peakRssMB: Math.max(afterPosting.peakRssMB, afterResume.peakRssMB),
    };
  } finally {
    await first.stop();
    await second?.stop();
    removeDir(dataDir);
  }
}
