import { readFileSync } from "node:fs";
import { classifyLocally } from "../../packages/flows/triage/src/domain/local-classifier";
import { sanitizeMessage } from "../../packages/flows/triage/src/domain/sanitize";
import { type Runtime, startRuntime } from "../../packages/local/src/runtime";
import { closeHeaders } from "../../packages/local/src/sample-request";
import { leadBody } from "../../packages/local/test/harness";
import { removeDir, SECRET, sleep, summarize, tempDir } from "../lib";
import { type BranchResult, COUNTING_RULE, countS3, measureBranch } from "./branch-cost";

/**
 * triage on the local runtime (Close source, the ASL on the local engine, the real handlers, the
 * stand-ins, no keys, no LLM): urgent leads at a steady rate, webhook 202 → first action recorded
 * by a stand-in (the on-call SMS or the Slack post, whichever comes first); then one lead per
 * branch for transitions and cost; and the offline classifier's accuracy on its labelled test set.
 */

export type TriageBranch = "urgent" | "tireKicker" | "support" | "spam";
/** A lead message per branch, each classified into its branch by the offline classifier. */
export const MESSAGES: Record<TriageBranch, string> = {
  urgent: "We need a quote for 40 licenses by Friday",
  tireKicker: "Just looking around for now, could you send some general info about pricing?",
  support: "I can't log in to my account since yesterday, the password reset email never arrives.",
  spam: "Boost your SEO ranking today! Cheap backlinks and guest posts at http://seo-deals.example",
};

/** A Close `lead.created` webhook for `leadId` whose message (`description`) is `message`, with a contact. */
export function triageLeadBody(leadId: string, message: string): string {
  const webhook = JSON.parse(leadBody(leadId, "Bench Buyer Inc"));
  webhook.event.data.description = message;
  webhook.event.data.contacts = [
    {
      id: "cont_bench",
      name: "Bea Bench",
      emails: [{ email: "bea@bench.example", type: "office" }],
      phones: [],
    },
  ];
  return JSON.stringify(webhook);
}

async function post(runtime: Runtime, payload: string): Promise<number> {
  const response = await fetch(runtime.webhookUrl, {
    method: "POST",
    headers: closeHeaders(SECRET, payload),
    body: payload,
  });
  await response.text();
  return response.status;
}

/** The offline classifier on its labelled test set (kept apart from its training data). */
export function classifierAccuracy() {
  const file = new URL("../../packages/flows/triage/corpus/test.jsonl", import.meta.url);
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { text: string; label: string });
  const correct = rows.filter((row) => classifyLocally(sanitizeMessage(row.text)).label === row.label).length;
  return { examples: rows.length, correct, accuracy: Math.round((correct / rows.length) * 1000) / 1000 };
}

export async function benchTriage(options: { events: number; ratePerSecond: number }) {
  const dataDir = tempDir("triage");
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    flows: "triage",
    secretHex: SECRET,
    retryIntervalMs: 1,
    print: () => {},
  });
  const engine = runtime.engines.triage;
  if (!engine) throw new Error("triage is not running");
  const s3 = countS3(runtime);
  const firstActionAt = new Map<string, number>();
  const onAction = (text: string) => {
    const leadId = /lead_Bench\w+/.exec(text)?.[0];
    if (leadId && !firstActionAt.has(leadId)) firstActionAt.set(leadId, performance.now());
  };
  const stops = [
    runtime.standIns.twilio?.onRequest(
      (request) => request.status === 201 && onAction(JSON.stringify(request.body)),
    ),
    runtime.standIns.slack?.onRequest(
      (request) => request.status === 200 && onAction(JSON.stringify(request.body)),
    ),
  ];
  try {
    const ids = Array.from(
      { length: options.events },
      (_, i) => `lead_BenchTriage${String(i).padStart(6, "0")}`,
    );
    const answeredAt = new Map<string, number>();
    const started = performance.now();
    await Promise.all(
      ids.map(async (id, i) => {
        const wait = started + (i * 1000) / options.ratePerSecond - performance.now();
        if (wait > 0) await sleep(wait);
        const status = await post(runtime, triageLeadBody(id, MESSAGES.urgent));
        if (status !== 202) throw new Error(`ingest answered ${status} for ${id}`);
        answeredAt.set(id, performance.now());
      }),
    );
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && ids.some((id) => !firstActionAt.has(id))) await sleep(20);
    const latencies = ids.flatMap((id) => {
      const answered = answeredAt.get(id);
      const acted = firstActionAt.get(id);
      return answered === undefined || acted === undefined ? [] : [acted - answered];
    });
    for (const id of ids) await engine.settled(id);

    const branches = {} as Record<TriageBranch, BranchResult>;
    for (const [branch, message] of Object.entries(MESSAGES) as Array<[TriageBranch, string]>) {
      const name = `lead_BenchBranch${branch}`;
      branches[branch] = await measureBranch({
        engine,
        s3,
        name,
        send: () => post(runtime, triageLeadBody(name, message)),
      });
    }
    return {
      events: options.events,
      ratePerSecond: options.ratePerSecond,
      webhookToFirstAction: summarize(latencies),
      completed: latencies.length,
      branches,
      classifier: classifierAccuracy(),
      countingRule: COUNTING_RULE,
    };
  } finally {
    for (const stop of stops) stop?.();
    await runtime.stop();
    removeDir(dataDir);
  }
}
