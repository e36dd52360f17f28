import { getJson, leadBodies, removeDir, runLoad, SECRET, sleep, spawnTs, tempDir } from "./lib";

/**
 * #7 burst (issue 20): `leads` Close `lead.created` at once into triage with CLOSE_RATE_LIMIT=10/1s
 * (Twilio and Zendesk limited too), against stand-ins that refuse like their vendor a little above
 * each budget (Close beyond 12/s). Completion time against the bound (Close calls ÷ 10 per second),
 * 429s as a share of Close calls, failed executions and peak memory.
 */

const CLOSE_PER_SECOND = 10;

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

export async function benchBurst(options: { leads: number }) {
  const dataDir = tempDir("burst");
  const runtime = spawnTs("packages/local/src/main.ts", {
    CLOSE_WEBHOOK_SECRET: SECRET,
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
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
    let peakRssMB = runtime.rss().peakRssMB;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { running } = (await getJson(`${origin}/healthz`)) as { running: number };
      peakRssMB = Math.max(peakRssMB, runtime.rss().peakRssMB);
      if (running === 0 || Date.now() > deadline) break;
      await sleep(200);
    }
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
      seconds: Math.round(seconds * 10) / 10,
      boundSeconds: Math.round(boundSeconds * 10) / 10,
      ratioToBound: Math.round((seconds / boundSeconds) * 100) / 100,
      closeCalls: close.requests.length,
      close429: refused,
      close429Share: close.requests.length
        ? Math.round((refused / close.requests.length) * 10_000) / 10_000
        : 0,
      executions,
      failed: (executions.FAILED ?? 0) + (executions.TIMED_OUT ?? 0) + (executions.ABORTED ?? 0),
      peakRssMB: Math.round(peakRssMB),
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}
