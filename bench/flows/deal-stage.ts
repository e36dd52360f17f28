import { readFileSync } from "node:fs";
import { deterministicUuid } from "../../packages/core/src";
import { dealBusinessKey } from "../../packages/flows/deal-stage/src/domain/keys";
import { type Runtime, startRuntime } from "../../packages/local/src/runtime";
import type { RecordedRequest } from "../../packages/local/src/stand-ins/stand-in";
import { removeDir, sleep, summarize, tempDir } from "../lib";
import { type BranchResult, COUNTING_RULE, countS3, measureBranch } from "./branch-cost";

/**
 * deal-stage on the local runtime (its ingest Lambda, the ASL on the local engine, the real
 * handlers, the Meta and Brevo stand-ins), only this flow. Latency per committed deal = the later
 * of the two stand-in records (CAPI Purchase, property email) − the webhook's 202 received, both
 * on this process's clock. Then one deal per branch, alone, for transitions and cost, counted
 * from the execution histories as bench/transitions.ts counts announce's.
 */

const FIXTURES = new URL("../../packages/flows/deal-stage/fixtures/", import.meta.url).pathname;
const fixture = (name: string) => JSON.parse(readFileSync(`${FIXTURES}${name}.json`, "utf8"));

export type DealBranch = "qualified" | "committed" | "committedCapiRetry" | "noAction";

export interface DealStageBenchResult {
  events: number;
  ratePerSecond: number;
  /** Committed deals: webhook 202 → both actions recorded by the stand-ins (ms). */
  webhookToLastAction: ReturnType<typeof summarize>;
  /** Of those, how many completed both actions within the wait. */
  completed: number;
  branches: Record<DealBranch, BranchResult>;
  countingRule: string;
}

/** A CRM deal webhook from a fixture (`deal-qualified`, `deal-committed`, `deal-prospecting`) for `dealId`. */
export function dealBody(template: string, dealId: string, status?: string): string {
  const body = fixture(template);
  body.data.dealId = dealId;
  if (status) body.data.dealDetails.status = status;
  return JSON.stringify(body);
}

/** The headers the CRM sends with a deal update (its shared API key). */
export function dealHeaders(apiKey: string): Record<string, string> {
  return { "content-type": "application/json", "x-api-key": apiKey, "x-event": "deal_updated" };
}

async function post(runtime: Runtime, body: string): Promise<number> {
  const response = await fetch(runtime.webhooks.crm ?? "", {
    method: "POST",
    headers: dealHeaders(runtime.settings.CRM_WEBHOOK_API_KEY ?? ""),
    body,
  });
  await response.text();
  return response.status;
}

export async function benchDealStage(options: {
  events: number;
  ratePerSecond: number;
}): Promise<DealStageBenchResult> {
  const dataDir = tempDir("deal-stage");
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    flows: "deal-stage",
    // Retry intervals shortened so the retry branch is quick; each retry is still a Lambda invocation.
    retryIntervalMs: 1,
    env: { DEFAULT_PHONE_COUNTRY_CODE: "1" },
    print: () => {},
  });
  const engine = runtime.engines["deal-stage"];
  if (!engine) throw new Error("deal-stage is not running");
  const s3 = countS3(runtime);

  // When each stand-in recorded each deal's action (first accepted one).
  const capiAt = new Map<string, number>();
  const emailAt = new Map<string, number>();
  const dealOfKey = new Map<string, string>();
  const onCapi = (request: RecordedRequest) => {
    if (request.status !== 200) return;
    const id = (request.body as { data?: Array<{ event_id?: string }> }).data?.[0]?.event_id ?? "";
    const dealId = /^deal:([^:]+):/.exec(id)?.[1];
    if (dealId && !capiAt.has(dealId)) capiAt.set(dealId, performance.now());
  };
  const onEmail = (request: RecordedRequest) => {
    if (request.status !== 201) return;
    const key = (request.body as { headers?: { idempotencyKey?: string } }).headers?.idempotencyKey ?? "";
    const dealId = dealOfKey.get(key);
    if (dealId && !emailAt.has(dealId)) emailAt.set(dealId, performance.now());
  };
  const stops = [runtime.standIns.meta?.onRequest(onCapi), runtime.standIns.brevo?.onRequest(onEmail)];

  try {
    // ── latency: committed deals at a steady rate ──
    const ids = Array.from({ length: options.events }, (_, i) => `BENCH-${String(i).padStart(6, "0")}`);
    for (const id of ids)
      dealOfKey.set(deterministicUuid("deal-stage", dealBusinessKey(id, "committed"), "property-email"), id);
    const bodies = ids.map((id) => dealBody("deal-committed", id));
    const answeredAt = new Map<string, number>();
    const started = performance.now();
    const interval = 1000 / options.ratePerSecond;
    await Promise.all(
      ids.map(async (id, i) => {
        const due = started + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const status = await post(runtime, bodies[i] as string);
        if (status !== 202) throw new Error(`ingest answered ${status} for ${id}`);
        answeredAt.set(id, performance.now());
      }),
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && ids.some((id) => !capiAt.has(id) || !emailAt.has(id))) await sleep(20);
    const latencies = ids.flatMap((id) => {
      const answered = answeredAt.get(id);
      const capi = capiAt.get(id);
      const email = emailAt.get(id);
      return answered === undefined || capi === undefined || email === undefined
        ? []
        : [Math.max(capi, email) - answered];
    });
    for (const id of ids) await engine.settled(dealBusinessKey(id, "committed"));

    // ── one deal per branch, alone: transitions, invocations, S3 requests, cost ──
    const scenarios: Record<DealBranch, { body: string; name: string; setup?: () => Promise<void> }> = {
      qualified: {
        body: dealBody("deal-qualified", "BRANCH-Q"),
        name: dealBusinessKey("BRANCH-Q", "qualified"),
      },
      committed: {
        body: dealBody("deal-committed", "BRANCH-C"),
        name: dealBusinessKey("BRANCH-C", "committed"),
      },
      committedCapiRetry: {
        body: dealBody("deal-committed", "BRANCH-R"),
        name: dealBusinessKey("BRANCH-R", "committed"),
        // Meta answers 503 once, then the event goes.
        setup: async () => {
          await fetch(`${runtime.url}/_local/meta/_fail`, {
            method: "POST",
            body: JSON.stringify({ status: 503, times: 1, path: "/v21.0/" }),
          });
        },
      },
      noAction: {
        body: dealBody("deal-prospecting", "BRANCH-N"),
        name: dealBusinessKey("BRANCH-N", "prospecting"),
      },
    };
    const branches = {} as Record<DealBranch, BranchResult>;
    for (const [branch, scenario] of Object.entries(scenarios) as Array<
      [DealBranch, (typeof scenarios)[DealBranch]]
    >) {
      await scenario.setup?.();
      branches[branch] = await measureBranch({
        engine,
        s3,
        name: scenario.name,
        send: () => post(runtime, scenario.body),
      });
    }
    return {
      events: options.events,
      ratePerSecond: options.ratePerSecond,
      webhookToLastAction: summarize(latencies),
      completed: latencies.length,
      branches,
      countingRule: COUNTING_RULE,
    };
  } finally {
    for (const stop of stops) stop?.();
    await runtime.stop();
    removeDir(dataDir);
  }
}
