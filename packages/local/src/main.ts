import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole } from "@leadrelay/console";
import { executionFacts, executionStory } from "@leadrelay/console/execution-story";
import { describeExecution, executionHistory } from "@leadrelay/console/lead-operations";
import { holdsOfDefinition } from "@leadrelay/console/state-machine-holds";
import { selectFlows } from "../../flows/registry";
import { claimDataDir, releaseDataDir } from "./data-dir-lock";
import { sendDemoEvents } from "./demo-events";
import { parseLocalEnv } from "./env";
import { type LocalSettingsFile, loadLocalSettings } from "./local-settings";
import { type Runtime, startRuntime } from "./runtime";
import { maskUrlSecrets } from "./sample-request";
import { formatVendorGap, savedSecretNames, startFailure, vendorGaps } from "./startup-report";

/** Slack's text escapes `&`, `<` and `>`: a person reads them as typed. */
const unescapeSlack = (text: string) =>
  text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/** Every fixed Wait of the flows as they run (a flow's hold, e.g. announce's HoldForOwner), read from their definitions. */
function holdsOf(runtime: Runtime): Array<{ flow: string; state: string; seconds: number }> {
  return Object.entries(runtime.engines).flatMap(([flow, engine]) =>
    [...holdsOfDefinition(JSON.stringify(engine.definition))].map(([state, ms]) => ({
      flow,
      state,
      seconds: ms / 1000,
    })),
  );
}

/** One event of every flow (one lead per triage label), then the Slack messages and what each execution came to. */
async function demo(runtime: Runtime) {
  const print = (line = "") => process.stdout.write(`${line}\n`);
  print(`demo: one event of every flow (${runtime.flows.map((flow) => flow.id).join(", ")})`);
  const sent = await sendDemoEvents(runtime);
  for (const event of sent) {
    print(
      `  ${event.what.padEnd(34)} → ${event.status} ${event.answer}${event.names.length ? ` ${event.names.join(", ")}` : ""}`,
    );
  }
  const holds = holdsOf(runtime).map(({ flow, seconds }) => `${flow} holds ${seconds} s`);
  const started = sent.flatMap((event) =>
    event.flowIds.flatMap((flow) => event.names.map((name) => ({ flow, name }))),
  );
  print(`demo: waiting for ${started.length} executions${holds.length > 0 ? ` (${holds.join(", ")})` : ""}…`);
  for (const { flow, name } of started) await runtime.engines[flow]?.settled(name);

  print("\nSlack messages:");
  for (const entry of runtime.slackMessages) print(`  ${unescapeSlack(entry.message.text ?? "")}`);
  print("\nExecutions:");
  for (const { flow, name } of started) {
    const engine = runtime.engines[flow];
    if (!engine) continue;
    const target = { sfn: runtime.sfnClient, stateMachineArn: engine.stateMachineArn };
    const described = await describeExecution(target, name);
    if (!described?.executionArn) continue;
    const events = await executionHistory(target, described.executionArn);
    const story = await executionStory(
      flow,
      executionFacts(
        { name, status: described.status ?? "RUNNING", input: described.input, output: described.output },
        events,
      ),
      runtime.store,
    );
    const status =
      described.status === "SUCCEEDED" && story.skipped > 0
        ? `SUCCEEDED · ${story.skipped} skipped`
        : described.status;
    print(`  ${flow.padEnd(17)} ${name}${story.title ? ` — ${story.title}` : ""}`);
    print(`    ${status}${story.outcome ? ` — ${story.outcome}` : ""}`);
    for (const action of story.actions) {
      const why =
        action.status === "skipped"
          ? `: ${action.reason}`
          : action.status === "failed"
            ? `: ${action.error}`
            : "";
      print(`      ${action.title}: ${action.status}${why}`);
    }
  }
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const isDemo = args.has("--demo");
  let env: ReturnType<typeof parseLocalEnv>;
  let localFile: LocalSettingsFile | undefined;
  try {
    // leadrelay.local.env fills what the shell left unset (SST never reads this file).
    localFile = loadLocalSettings(process.cwd(), process.env);
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
  // First thing: the folder's lock, so a second start at the same moment sees this one.
  const claim = await claimDataDir(dataDir);
  if (claim.kind === "held") {
    const { pid, port } = claim.holder;
    process.stderr.write(
      `leadrelay: already running on ${dataDir} (pid ${pid}, ${port ? `port ${port}` : "still starting"}); stop it first, or start another with its own LEADRELAY_DATA_DIR and PORT\n`,
    );
    process.exit(1);
  }
  // However this process ends short of kill -9 (a stop, a failed start), the folder is free again.
  process.on("exit", () => releaseDataDir(dataDir));
  const chosenFlows = selectFlows(process.env.LEADRELAY_FLOWS || undefined, "all");
  const reusable = savedSecretNames(dataDir, process.env, chosenFlows);
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
  }).catch((error: unknown) => {
    const line = startFailure(error, env.PORT);
    if (!line) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`leadrelay: ${signal}, stopping (waiting leads resume on the next start)\n`);
    await runtime.stop();
    releaseDataDir(dataDir);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const out = (line = "") => process.stdout.write(`${line}\n`);
  out(`leadrelay local runtime (data in ${dataDir})`);
  if (claim.kind === "stale")
    out(`  took over ${dataDir} from pid ${claim.holder.pid}, which is no longer running`);
  if (localFile) {
    const shadowed =
      localFile.shadowed.length > 0 ? `; the shell's ${localFile.shadowed.join(", ")} win` : "";
    out(`  settings  ${localFile.applied.length} from ${localFile.path}${shadowed}`);
  }
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
  for (const { flow, state, seconds } of holdsOf(runtime))
    out(`  hold      ${seconds} s in ${flow} (${state})`);
  if (runtime.resumed > 0)
    out(`  resumed   ${runtime.resumed} execution(s) that were running when the runtime stopped`);
  // A vendor pointed at its real service without its credentials: say now which actions will not run.
  const specs = Object.values(runtime.standIns).map((standIn) => standIn.spec);
  for (const gap of vendorGaps(process.env, runtime.settings, chosenFlows, specs))
    out(`  missing   ${formatVendorGap(gap)}`);
  const kept = Object.keys(runtime.generatedSecrets);
  // Close's own key, stored by `connect close`: neither generated nor merely reused.
  const fromClose =
    existsSync(join(dataDir, "connect", "close.json")) && reusable.has("CLOSE_WEBHOOK_SECRET");
  const reused = kept.filter((name) => reusable.has(name) && !(fromClose && name === "CLOSE_WEBHOOK_SECRET"));
  const generated = kept.filter((name) => !reusable.has(name));
  // The secrets' lines, one blank line above the first.
  const secretLines: string[] = [];
  if (fromClose && kept.includes("CLOSE_WEBHOOK_SECRET"))
    secretLines.push(
      `CLOSE_WEBHOOK_SECRET is the signature key of Close's subscription, stored by 'connect close' in ${dataDir}.`,
    );
  if (generated.length > 0)
    secretLines.push(
      `Generated ${generated.join(", ")} (not set; kept in ${dataDir}, shown by 'pnpm leadrelay secrets').`,
    );
  if (reused.length > 0)
    secretLines.push(
      `Reused ${reused.join(", ")} (generated at an earlier start, kept in ${dataDir}, shown by 'pnpm leadrelay secrets').`,
    );
  if (secretLines.length > 0) out(`\n${secretLines.join("\n")}`);
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
