import { listen, readJson } from "../packages/local/test/harness";
import {
  leadBodies,
  ownerFileFor,
  removeDir,
  runLoad,
  SECRET,
  sleep,
  spawnTs,
  summarize,
  tempDir,
} from "./lib";

/**
 * #5: LEAD_WAIT_SECONDS=0; `pnpm start` as its own process, a loopback owner server and a loopback
 * Slack incoming webhook in this process. Latency per lead = Slack message received − webhook 202
 * received (both clocks are this process's performance.now()). Leads arrive at a steady rate.
 */
export async function benchEndToEnd(options: { leads: number; ratePerSecond: number }) {
  const slackAt = new Map<string, number>();
  const slack = await listen(async (req, res) => {
    const message = JSON.stringify(await readJson(req));
    const leadId = /lead_BenchEndToEnd\d+/.exec(message)?.[0];
    if (leadId && !slackAt.has(leadId)) slackAt.set(leadId, performance.now());
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  const owners = await listen((req, res) => {
    const leadId = /\/(lead_[A-Za-z0-9]+)\.json$/.exec(req.url ?? "")?.[1];
    if (!leadId) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" }).end(ownerFileFor(leadId));
  });
  const dataDir = tempDir("e2e");
  const runtime = spawnTs("packages/local/src/main.ts", {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "0",
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
    LEADRELAY_FLOWS: "announce",
    SLACK_WEBHOOK_URL: `${slack.url}/services/bench`,
    OWNER_BASE_URL: owners.url,
  });
  try {
    const { url } = await runtime.ready();
    const load = await runLoad({
      url,
      requests: leadBodies("EndToEnd", options.leads),
      concurrency: 32,
      ratePerSecond: options.ratePerSecond,
      maxMs: 120_000,
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && [...load.acceptedAt.keys()].some((id) => !slackAt.has(id)))
      await sleep(50);
    const latencies: number[] = [];
    for (const [leadId, accepted] of load.acceptedAt) {
      const posted = slackAt.get(leadId);
      if (posted !== undefined) latencies.push(posted - accepted);
    }
    return {
      leads: options.leads,
      ratePerSecond: options.ratePerSecond,
      accepted: load.acceptedAt.size,
      statuses: load.statuses,
      slackMessages: slackAt.size,
      missing: load.acceptedAt.size - latencies.length,
      ingestLatencyMs: summarize(load.latenciesMs),
      webhookToSlackMs: summarize(latencies),
    };
  } finally {
    await runtime.stop();
    slack.server.close();
    owners.server.close();
    removeDir(dataDir);
  }
}
