import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole } from "@leadrelay/console";
import { executionHistory } from "@leadrelay/console/lead-operations";
import { buildTimeline, formatTimeline } from "@leadrelay/core";
import { parseLocalEnv } from "./env";
import { type Runtime, startRuntime } from "./runtime";
import { closeHeaders, maskUrlSecrets } from "./sample-request";

const DEMO_FIXTURES = new URL("../demo/close/", import.meta.url).pathname;

async function demo(runtime: Runtime) {
  const print = (line = "") => process.stdout.write(`${line}\n`);
  const files = readdirSync(DEMO_FIXTURES)
    .filter((file) => file.endsWith(".json"))
    .sort();
  print(`demo: posting ${files.length} signed Close webhooks (and one duplicate) to ${runtime.webhookUrl}`);
  const leads = new Set<string>();
  for (const file of [...files, "lead-created.json"]) {
    const body = JSON.stringify(JSON.parse(readFileSync(join(DEMO_FIXTURES, file), "utf8")));
    const response = await fetch(runtime.webhookUrl, {
      method: "POST",
      headers: closeHeaders(runtime.secretHex, body),
      body,
    });
    const answer = (await response.json()) as { status?: string; leadId?: string; error?: string };
    if (answer.leadId && answer.status === "accepted") leads.add(answer.leadId);
    print(
      `  ${file.padEnd(34)} → ${response.status} ${answer.status ?? answer.error}${answer.leadId ? ` ${answer.leadId}` : ""}`,
    );
  }
  print(
    `demo: waiting for ${leads.size} executions (hold ${runtime.engine.definition.States.HoldForOwner?.Seconds} s)…`,
  );
  for (const lead of leads) await runtime.engine.settled(lead);
  print("\nSlack messages:");
  for (const entry of runtime.slackMessages) print(`  ${entry.message.text}`);
  print("\nExecutions:");
  for (const lead of leads) {
    const events = await executionHistory(
      { sfn: runtime.sfnClient, stateMachineArn: runtime.stateMachineArn },
      runtime.engine.arnOf(lead),
    );
    print(`  ${lead}`);
    for (const line of formatTimeline(buildTimeline(events))) print(`    ${line}`);
    // The same lead's triage: what it was classified as and what was done, as the Close note says.
    const triage = runtime.engines.triage;
    const settled = triage ? await triage.settled(lead) : undefined;
    const outcome = settled?.output
      ? (JSON.parse(settled.output) as { outcome?: { note?: string } }).outcome
      : undefined;
    if (settled) print(`    triage ${settled.status}${settled.error ? ` ${settled.error}` : ""}`);
    for (const line of outcome?.note?.split("\n") ?? []) print(`      ${line}`);
  }
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const isDemo = args.has("--demo");
  let env: ReturnType<typeof parseLocalEnv>;
  try {
    env = parseLocalEnv({
      ...process.env,
      // The demo holds leads a few seconds, not ten minutes, unless told otherwise.
      LEAD_WAIT_SECONDS: process.env.LEAD_WAIT_SECONDS ?? (isDemo ? "3" : undefined),
      LEADRELAY_RETRY_INTERVAL_MS: process.env.LEADRELAY_RETRY_INTERVAL_MS ?? (isDemo ? "500" : undefined),
      PORT: process.env.PORT ?? (isDemo ? "0" : undefined),
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const dataDir =
    isDemo && !process.env.LEADRELAY_DATA_DIR
      ? mkdtempSync(join(tmpdir(), "leadrelay-demo-"))
      : env.LEADRELAY_DATA_DIR;
  const startedAt = performance.now();
  const runtime = await startRuntime({
    port: env.PORT,
    env: process.env,
    secretHex: env.CLOSE_WEBHOOK_SECRET,
    slackWebhookUrl: env.SLACK_WEBHOOK_URL,
    ownerBaseUrl: env.OWNER_BASE_URL,
    waitSeconds: env.LEAD_WAIT_SECONDS,
    dataDir,
    ownersDir: env.LEADRELAY_OWNERS_DIR,
    retryIntervalMs: env.LEADRELAY_RETRY_INTERVAL_MS,
    notifyUnassigned: env.NOTIFY_UNASSIGNED,
    console: createConsole,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`leadrelay: ${signal}, stopping (waiting leads resume on the next start)\n`);
    await runtime.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(`leadrelay local runtime (data in ${dataDir})`);
  for (const flow of runtime.flows)
    out(`  flow      ${flow.id.padEnd(17)} ${flow.title} (from ${flow.source})`);
  for (const [source, url] of Object.entries(runtime.webhooks)) {
    out(`  webhook   ${source.padEnd(17)} ${maskUrlSecrets(url, runtime.generatedSecrets)}`);
  }
  out(`  console   ${runtime.consoleUrl}`);
  out(`  metrics   ${runtime.url}/metrics`);
  out(`  S3        ${runtime.s3Endpoint} (bucket ${runtime.bucket})`);
  out(`  SFN API   ${runtime.sfnEndpoint}`);
  const standing = Object.keys(runtime.standIns).filter((slug) => {
    const variable = runtime.standIns[slug]?.spec.baseUrlVariable;
    return variable === undefined || !process.env[variable];
  });
  out(
    `  stand-ins ${standing.join(" ")} at ${runtime.url}/_local/<slug> (…/_requests lists what each received)`,
  );
  const runs = (id: string) => runtime.flows.some((flow) => flow.id === id);
  if (runs("announce")) out(`  hold      ${env.LEAD_WAIT_SECONDS} s before the owner lookup`);
  if (runtime.resumed > 0)
    out(`  resumed   ${runtime.resumed} execution(s) that were running when the runtime stopped`);
  const generated = Object.keys(runtime.generatedSecrets);
  if (generated.length > 0) {
    out(
      `\nGenerated ${generated.join(", ")} (not set; kept in ${dataDir}, shown by 'pnpm leadrelay secrets').`,
    );
  }
  if (runtime.webhooks.close) {
    out("Send a signed sample lead: pnpm leadrelay send   (the same as curl: pnpm leadrelay curl)");
  }
  out(`ready ${runtime.webhookUrl} (started in ${Math.round(performance.now() - startedAt)} ms)`);

  if (isDemo) {
    await demo(runtime);
    if (!args.has("--stay")) await stop("demo finished");
    else out(`\ndemo finished; still serving, console at ${runtime.consoleUrl}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `leadrelay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
