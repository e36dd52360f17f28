import { leadBodies, removeDir, runLoad, SECRET, spawnTs, summarize, tempDir } from "../lib";
import { benchDealStage } from "./deal-stage";
import { benchLinkedinReplies } from "./linkedin-replies";
import { benchMetaLeads } from "./meta-leads";
import { benchTriage } from "./triage";

/**
 * #6: every flow of the registry besides announce (sections 1–5): webhook → its last (or first)
 * action, p50/p99, on the local runtime with only that flow and its stand-ins; transitions and cost
 * per event per branch; and ingest with every flow on (`pnpm start`'s default), where one Close lead
 * starts announce and triage and triage runs at once.
 */
export async function benchFlows(options: { events: number; ratePerSecond: number; ingestRequests: number }) {
  const triage = await benchTriage(options);
  const dealStage = await benchDealStage(options);
  const metaLeads = await benchMetaLeads(options);
  const linkedinReplies = await benchLinkedinReplies(options);
  const everyFlowIngest = await benchEveryFlowIngest(options.ingestRequests);
  return { triage, dealStage, metaLeads, linkedinReplies, everyFlowIngest };
}

/** `pnpm start` with every flow, signed Close leads at 16 in flight: announce waits, triage runs. */
async function benchEveryFlowIngest(requests: number) {
  const dataDir = tempDir("ingest-all");
  const runtime = spawnTs("packages/local/src/main.ts", {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "3600",
    PORT: "0",
    LEADRELAY_DATA_DIR: dataDir,
  });
  try {
    const { url } = await runtime.ready();
    const result = await runLoad({
      url,
      requests: leadBodies("IngestAll", requests),
      concurrency: 16,
      maxMs: 60_000,
    });
    return {
      requests: result.latenciesMs.length,
      requestsPerSecond: Math.round((result.latenciesMs.length / (result.elapsedMs / 1000)) * 10) / 10,
      latencyMs: summarize(result.latenciesMs),
      statuses: result.statuses,
    };
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}
