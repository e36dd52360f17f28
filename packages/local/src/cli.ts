import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { DescribeExecutionCommandOutput, ExecutionStatus } from "@aws-sdk/client-sfn";
import type { FlowTarget } from "@leadrelay/console";
import { planBulkReplay, runBulkReplay } from "@leadrelay/console/bulk-replay";
import { chooseFlows } from "@leadrelay/console/console-flows";
import { formatUtc } from "@leadrelay/console/date-format";
import { type ExecutionDetail, ExecutionDetails } from "@leadrelay/console/execution-detail";
import { ExecutionList } from "@leadrelay/console/execution-list";
import { MergedExecutions } from "@leadrelay/console/execution-pages";
import { loadKeyDetail } from "@leadrelay/console/key-detail";
import { findExecution, redriveExecution, replayExecution } from "@leadrelay/console/lead-operations";
import { ReplayFinder } from "@leadrelay/console/replay-finder";
import { shortValue } from "@leadrelay/console/step-summary";
import { formatDuration, formatTimeline, type ObjectStore } from "@leadrelay/core";
import { localSecrets } from "./cli-secrets";
import { type CliTarget, dataDir, localInfo, resolveTarget } from "./cli-target";
import {
  contactCreationBatch,
  demoContacts,
  seedDemoContacts,
  signedHubSpotDelivery,
} from "./hubspot-sample";
import { secretFile } from "./local-secrets";
import { loadLocalSettings } from "./local-settings";
import { closeHeaders, SAMPLE_LEAD_FIXTURE, sampleBody, signedCurl } from "./sample-request";
import { parseSince } from "./since-argument";

const USAGE = `leadrelay — inspect and operate every flow's executions (the local runtime by default, AWS with --aws)

  leadrelay leads [--flow ID] [--status S] [--since T] [--limit N]
                                        executions of every flow, newest first, with their flow
  leadrelay lead <key or execution name> [--flow ID]
                                        every flow's executions of that key (replays too), with timelines
  leadrelay redrive <execution name> [--flow ID]
                                        continue a failed execution from the step that failed
                                        (default: every flow where it exists and stopped without success)
  leadrelay replay <execution name> [--flow ID]
                                        a new execution <key>-replay-<time> with the same input
                                        (default: every flow where it exists and is not running)
  leadrelay replay --flow ID --status S --since T [--dry-run] [--limit N]
                                        bulk replay after an outage: one replay per business key whose
                                        newest execution since T ended in S; --dry-run lists them only
  leadrelay send [file.json]            sign a Close webhook with the local secret and post it
  leadrelay send --hubspot [batch.json] sign a HubSpot webhook batch (v3 signature, the runtime's client
                                        secret) and post it; without a file, triage's three demo contacts
                                        are created in the HubSpot stand-in and their contact.creation sent
  leadrelay curl [file.json]            print that request as a curl command (it signs when run)
  leadrelay secrets                     the secrets the local runtime generated, and every webhook URL
  leadrelay classify < leads.jsonl      triage's classifier on JSON lines {"text": …} → {"label", "classifier"}
                                        (offline; the LLM when LLM_BASE_URL and LLM_MODEL are set)
  leadrelay hubspot setup               create the HubSpot properties the chosen flows write (idempotent;
                                        HUBSPOT_BASE_URL + HUBSPOT_TOKEN, else the local HubSpot stand-in)
  leadrelay doctor [--stage X] [--json] [--post-test]
                                        every chosen flow's actions: ok, skipped (why) or broken (which
                                        variable, how to fix), each credential checked read-only
  leadrelay connect <vendor> [--stage X | --webhook-url URL]
                                        register the webhook at close, meta, lgm, crm; hubspot's properties
                                        (idempotent; 'leadrelay connect --help' says more)
  leadrelay smoke [--stage X] [--alert-test]
                                        after a deploy (or against pnpm start): every source answers as it
                                        must, doctor, and one test failure alert; nothing created
  leadrelay help

  S: RUNNING SUCCEEDED SKIPPED FAILED TIMED_OUT ABORTED (any case; SKIPPED: succeeded with an action skipped)
  T: an ISO time (2026-11-20T14:00Z, UTC) or an age (90s, 30m, 2h, 7d)

Local: reads <LEADRELAY_DATA_DIR or .leadrelay>/runtime.json, written by 'pnpm start'.
AWS:   --aws --stage X (every StateMachineArn<Flow> of .sst/outputs.json; --outputs F, --app A)
       or --state-machine-arn [<flow>=]ARN, once per flow; [--region R] [--profile P]. Your usual AWS credentials.`;

const STATUSES = new Set([
  "RUNNING",
  "SUCCEEDED",
  "SKIPPED",
  "FAILED",
  "TIMED_OUT",
  "ABORTED",
  "PENDING_REDRIVE",
]);

const OPTIONS = {
  flow: { type: "string" },
  status: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  "dry-run": { type: "boolean" },
  aws: { type: "boolean" },
  stage: { type: "string" },
  "state-machine-arn": { type: "string", multiple: true },
  region: { type: "string" },
  profile: { type: "string" },
  outputs: { type: "string" },
  app: { type: "string" },
  hubspot: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

class UsageError extends Error {
  override readonly name = "UsageError";
}

const out = (line = "") => process.stdout.write(`${line}\n`);

/** --status in any case; SKIPPED is SUCCEEDED with an action skipped (the rows are told apart by their flow's story). */
function statusOf(flags: Flags): { api?: ExecutionStatus; skipped: boolean } {
  if (flags.status === undefined) return { skipped: false };
  const status = flags.status.trim().toUpperCase().replace("-", "_");
  if (!STATUSES.has(status))
    throw new UsageError(`--status is one of ${[...STATUSES].join(" ")}, not ${flags.status}`);
  if (status === "SKIPPED") return { api: "SUCCEEDED", skipped: true };
  return { api: status as ExecutionStatus, skipped: false };
}

/** The list's reader of rows (status with skipped, the flow's title and outcome), without the console. */
function rowReader(target: CliTarget, flows: FlowTarget[]): ExecutionList {
  return new ExecutionList({
    flows,
    store: target.store ?? NO_STORE,
    holds: async () => () => undefined,
    clock: Date.now,
    concurrency: 8,
  });
}

const NO_STORE: ObjectStore = {
  get: async () => undefined,
  put: async () => undefined,
  putIfAbsent: async () => "exists",
  delete: async () => undefined,
} as unknown as ObjectStore;

/** "SUCCEEDED", "SUCCEEDED · 2 skipped", "FAILED": Step Functions' word, with what the flow adds. */
function statusText(status: string, row: { skipped?: number; status: string }): string {
  if (row.status === "skipped") return `${status} · ${row.skipped ?? 0} skipped`;
  return status;
}

function limitOf(flags: Flags, fallback?: number): number | undefined {
  if (flags.limit === undefined) return fallback;
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, not ${flags.limit}`);
  return limit;
}

function flowsOf(target: CliTarget, flags: Flags): FlowTarget[] {
  try {
    return chooseFlows(target.flows, flags.flow);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Executions a filtered listing reads at most (SKIPPED is read from each succeeded execution). */
const SKIPPED_SCAN_LIMIT = 1000;

const width = (flows: readonly { id: string }[]) => Math.max(4, ...flows.map((flow) => flow.id.length));

async function leads(target: CliTarget, flags: Flags): Promise<number> {
  const flows = flowsOf(target, flags);
  const limit = limitOf(flags, 50) ?? 50;
  const since = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
  const status = statusOf(flags);
  const merged = new MergedExecutions(flows, { status: status.api, batch: Math.min(limit, 100) });
  const rows = rowReader(target, flows);
  const w = width(flows);
  out(
    `${"FLOW".padEnd(w)}  ${"STATUS".padEnd(22)} ${"STARTED".padEnd(25)} ${"DURATION".padStart(9)}  NAME · WHO · OUTCOME`,
  );
  let shown = 0;
  let scanned = 0;
  while (shown < limit && scanned < SKIPPED_SCAN_LIMIT) {
    const next = await merged.next();
    // Newest first across flows: the first one older than --since ends the list.
    if (!next || (since !== undefined && next.item.startDate < since)) break;
    scanned++;
    const { item } = next;
    const row = await rows.row(item);
    if (status.skipped && row.status !== "skipped") continue;
    const ms = (item.stopDate ?? Date.now()) - item.startDate;
    const about = [row.story.title, row.story.outcome].filter(Boolean).join(" · ");
    out(
      `${item.flow.padEnd(w)}  ${statusText(item.status, row).padEnd(22)} ${formatUtc(item.startDate).padEnd(25)} ${formatDuration(ms).padStart(9)}  ${item.name}${about ? ` · ${about}` : ""}`,
    );
    shown++;
  }
  if (scanned >= SKIPPED_SCAN_LIMIT)
    out(`(stopped after looking at ${SKIPPED_SCAN_LIMIT} executions; narrow it with --since or --flow)`);
  if (shown === 0) out("(no executions)");
  return 0;
}

async function lead(target: CliTarget, flags: Flags, name: string): Promise<number> {
  const flows = flowsOf(target, flags);
  const detail = await loadKeyDetail(
    {
      flows,
      details: new ExecutionDetails({ mode: "aws", holds: async () => () => undefined, store: target.store }),
      replays: new ReplayFinder(),
    },
    name,
    flags.flow,
  );
  if (!detail) {
    out(`No execution of ${name} in ${flows.map((flow) => flow.id).join(", ")}.`);
    return 1;
  }
  const who = detail.flows.flatMap((flow) => flow.executions).find((execution) => execution.story.title)
    ?.story.title;
  out(
    `${detail.key}${who ? ` — ${who}` : ""}: ${detail.flows.map((flow) => `${flow.id} ×${flow.executions.length}`).join(", ")}`,
  );
  for (const flow of detail.flows) {
    out();
    out(`${flow.id} — ${flow.title}`);
    for (const execution of flow.executions) {
      const replay = execution.replayOf ? ` (replay of ${execution.replayOf})` : "";
      out(`  ${execution.name}${replay}  started ${formatUtc(execution.execution.startDate)}`);
      for (const line of storyLines(execution)) out(`    ${line}`);
      for (const line of formatTimeline(execution.timeline)) out(`    ${line}`);
      for (const result of execution.results) {
        for (const field of result.fields)
          out(`      ${result.state} returned ${field.name} = ${shortValue(field.value)}`);
      }
    }
    if (!flow.replaysComplete)
      out("  (replays older than this flow's newest 1,000 executions were not searched)");
  }
  if (detail.without.length > 0)
    out(`\nNo execution of ${detail.key} in ${detail.without.map((flow) => flow.id).join(", ")}.`);
  return 0;
}

const MARKS: Record<string, string> = { done: "✓", skipped: "–", failed: "✗", uncertain: "?", running: "…" };

/** What came of one execution, as its flow reads it: status, outcome, each action, what needs a human. */
function storyLines(execution: ExecutionDetail): string[] {
  const { story } = execution;
  const status = statusText(execution.execution.status, execution.row);
  const lines = [`${status}${story.outcome ? ` — ${story.outcome}` : ""}`];
  for (const action of story.actions) {
    const why =
      action.status === "skipped"
        ? `: ${action.reason}`
        : action.status === "failed"
          ? `: ${action.error}${action.cause ? ` (${clip(action.cause)})` : ""}`
          : action.detail
            ? ` (${action.detail})`
            : "";
    lines.push(`  ${MARKS[action.status] ?? "•"} ${action.title} ${action.status}${why}`);
  }
  for (const need of story.needsHuman) lines.push(`  needs a human: ${clip(need)}`);
  return lines;
}

const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Runs `act` on the execution named `name` in each flow (the chosen one, or every flow): says where
 * there is none, lets `act` refuse one it cannot handle (it returns a reason), and answers 0 when
 * at least one execution was acted on.
 */
async function onEachExecution(
  target: CliTarget,
  flags: Flags,
  name: string,
  act: (flow: FlowTarget, execution: DescribeExecutionCommandOutput) => Promise<string | undefined>,
): Promise<number> {
  let done = 0;
  let found = 0;
  for (const flow of flowsOf(target, flags)) {
    const execution = await findExecution(flow, name);
    if (!execution) {
      if (flags.flow) out(`${flow.id}: no execution named ${name}`);
      continue;
    }
    found++;
    const refused = await act(flow, execution);
    if (refused) out(`${flow.id}: ${refused}`);
    else done++;
  }
  if (found === 0) out(`No flow has an execution named ${name}.`);
  else if (done > 0) out(`Follow it with: leadrelay lead ${name}`);
  return done > 0 ? 0 : 1;
}

function redrive(target: CliTarget, flags: Flags, name: string): Promise<number> {
  return onEachExecution(target, flags, name, async (flow, execution) => {
    if (execution.status === "RUNNING" || execution.status === "SUCCEEDED") {
      return `${name} is ${execution.status}, nothing to redrive`;
    }
    const at = await redriveExecution(flow, name);
    out(`${flow.id}: redriven ${name} (it was ${execution.status}) at ${formatUtc(at)}`);
    return undefined;
  });
}

function replayOne(target: CliTarget, flags: Flags, name: string): Promise<number> {
  return onEachExecution(target, flags, name, async (flow, execution) => {
    if (execution.status === "RUNNING") {
      return `${name} is still running; replay it once it stopped (or redrive it if it fails)`;
    }
    const replay = await replayExecution(flow, name, { input: execution.input });
    out(`${flow.id}: replaying ${name} as ${replay.name}`);
    return undefined;
  });
}

async function replayBulk(target: CliTarget, flags: Flags): Promise<number> {
  if (!flags.flow || !flags.status || !flags.since) {
    throw new UsageError(
      "a bulk replay needs --flow, --status and --since (and a name replays one execution)",
    );
  }
  const [flow] = flowsOf(target, flags);
  if (!flow) throw new UsageError(`no flow ${flags.flow}`);
  const wanted = statusOf(flags);
  const status = wanted.api as ExecutionStatus;
  const since = parseSince(flags.since, Date.now());
  const dryRun = flags["dry-run"] === true;
  const rows = rowReader(target, [flow]);
  const plan = await planBulkReplay(flow, {
    status,
    flow: flow.id,
    since,
    limit: limitOf(flags),
    // SKIPPED: succeeded with an action skipped, as the flow reads its execution.
    accept: wanted.skipped ? async (item) => (await rows.row(item)).status === "skipped" : undefined,
  });
  const label = wanted.skipped ? "SKIPPED (succeeded with an action skipped)" : status;
  out(
    `Bulk replay of ${flow.id} executions ${label} since ${formatUtc(since)}${dryRun ? " — dry run, nothing is started" : ""}`,
  );
  const toReplay = plan.items.filter((item) => item.action === "replay");
  for (const item of plan.items) {
    if (item.action === "skip") out(`  skip          ${item.name}  ${item.reason}`);
    else if (dryRun) out(`  would replay  ${item.name}  → ${item.replayName}`);
  }
  let replayed = 0;
  let failed = 0;
  if (!dryRun) {
    await runBulkReplay(flow, plan, (result) => {
      if (result.outcome === "replayed") {
        replayed++;
        out(`  replayed      ${result.item.name}  → ${result.replay.name}`);
      } else if (result.outcome === "exists") {
        out(`  exists        ${result.item.name}  → ${result.item.replayName} was started already`);
      } else {
        failed++;
        out(`  FAILED        ${result.item.name}  ${result.message}`);
      }
    });
  }
  const skipped = plan.items.length - toReplay.length;
  out(
    `${plan.items.length} ${wanted.skipped ? "SKIPPED" : status} of ${plan.scanned} execution${plan.scanned === 1 ? "" : "s"} since then; ${
      dryRun ? `${toReplay.length} to replay` : `${replayed} replayed${failed ? `, ${failed} failed` : ""}`
    }, ${skipped} skipped.`,
  );
  return failed > 0 ? 1 : 0;
}

function closeSecret(): string {
  const secret =
    process.env.CLOSE_WEBHOOK_SECRET ||
    readFileSync(secretFile(dataDir(), "CLOSE_WEBHOOK_SECRET"), "utf8").trim();
  if (!secret)
    throw new UsageError("no Close webhook secret: set CLOSE_WEBHOOK_SECRET, or start the runtime once");
  return secret;
}

async function send(file: string | undefined): Promise<number> {
  const info = localInfo();
  const body = sampleBody(file ?? SAMPLE_LEAD_FIXTURE);
  const response = await fetch(info.webhooks?.close ?? info.webhookUrl, {
    method: "POST",
    headers: closeHeaders(closeSecret(), body),
    body,
  });
  out(`${response.status} ${await response.text()}`);
  return response.status < 300 ? 0 : 1;
}

/**
 * A HubSpot webhook batch signed as HubSpot signs it (v3: the runtime's HUBSPOT_CLIENT_SECRET over
 * the URL as configured, HUBSPOT_WEBHOOK_URL when set), posted to the runtime's `/webhook/hubspot`.
 * Without a file: triage's demo contacts, created first in the HubSpot stand-in.
 */
async function sendHubSpot(file: string | undefined): Promise<number> {
  const info = localInfo();
  const url = info.webhooks?.hubspot;
  if (!url) {
    throw new UsageError(
      "the local runtime does not listen to HubSpot: start it with TRIAGE_SOURCES=close,hubspot (or hubspot)",
    );
  }
  const { localSettings } = await import("./cli-doctor");
  const { flows, settings } = await localSettings(process.env);
  const values = settings.values;
  const clientSecret = values.HUBSPOT_CLIENT_SECRET?.trim();
  if (!clientSecret)
    throw new UsageError("no HubSpot client secret: set HUBSPOT_CLIENT_SECRET as the runtime has it");
  let body: string;
  let what: string;
  if (file) {
    body = sampleBody(file);
    if (!Array.isArray(JSON.parse(body)))
      throw new UsageError(`${file} is not a HubSpot batch: HubSpot sends an array of events`);
    what = file;
  } else {
    const base = values.HUBSPOT_BASE_URL;
    const token = values.HUBSPOT_TOKEN;
    if (!settings.standIns.has("HUBSPOT_BASE_URL") || !base || !token) {
      throw new UsageError(
        "the runtime talks to a real HubSpot (HUBSPOT_BASE_URL): the demo contacts are only created in the local stand-in; send a batch file of your own contacts' events",
      );
    }
    const { hubspotPropertiesOf } = await import("../../flows/registry");
    const contacts = demoContacts();
    const ids = await seedDemoContacts(
      { baseUrl: base, token },
      hubspotPropertiesOf(flows, values),
      contacts,
    );
    body = contactCreationBatch(ids);
    what = contacts
      .map(
        (contact, index) =>
          `${contact.properties.firstname} ${contact.properties.lastname} (${ids[index]}, ${contact.label})`,
      )
      .join(", ");
  }
  const { headers } = signedHubSpotDelivery(body, {
    webhookUrl: url,
    clientSecret,
    publicUrl: values.HUBSPOT_WEBHOOK_URL,
  });
  const response = await fetch(url, { method: "POST", headers, body });
  out(`sent ${what}`);
  out(`${response.status} ${await response.text()}`);
  return response.status < 300 ? 0 : 1;
}

function curl(file: string | undefined): number {
  const info = localInfo();
  out(
    signedCurl(
      info.webhooks?.close ?? info.webhookUrl,
      closeSecret(),
      sampleBody(file ?? SAMPLE_LEAD_FIXTURE),
    ),
  );
  return 0;
}

async function secrets(): Promise<number> {
  const info = localInfo();
  const found = await localSecrets(dataDir(), info);
  const w = Math.max(0, ...found.secrets.map((entry) => entry.name.length));
  out(
    `Secrets of the local runtime's sources (data in ${dataDir()}; set a variable before 'pnpm start' to use your own):`,
  );
  for (const entry of found.secrets)
    out(
      `  ${entry.name.padEnd(w)}  ${entry.value ?? "(unknown)"}  ${entry.value ? `from ${entry.from}` : entry.from}`,
    );
  out();
  out("Webhook URLs:");
  const s = Math.max(0, ...found.webhooks.map((entry) => entry.source.length));
  for (const entry of found.webhooks) {
    out(
      `  ${entry.source.padEnd(s)}  ${entry.url}${entry.carriesSecret ? "   (its path carries the secret: treat the URL as one)" : ""}`,
    );
  }
  return 0;
}

/** What the commands with their own file and flags (connect, doctor) write to. */
const commandIo = () => ({
  env: process.env,
  colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
  out,
  err: (line: string) => process.stderr.write(`${line}\n`),
});

async function run(argv: string[]): Promise<number> {
  // The same local settings as `pnpm start` (its data folder, port…); the shell wins.
  loadLocalSettings(process.cwd(), process.env);
  if (argv[0] === "connect") return (await import("./cli-connect")).runConnect(argv.slice(1), commandIo());
  if (argv[0] === "doctor") return (await import("./cli-doctor")).runDoctor(argv.slice(1), commandIo());
  if (argv[0] === "smoke") return (await import("./smoke")).smokeCommand(argv.slice(1));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const flags = parsed.values;
  const [command, subject, ...rest] = parsed.positionals;
  if (command === undefined || command === "help" || flags.help) {
    out(USAGE);
    return 0;
  }
  if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(" ")}`);
  const target = () =>
    resolveTarget({
      aws: flags.aws,
      stage: flags.stage,
      stateMachineArns: flags["state-machine-arn"],
      region: flags.region,
      profile: flags.profile,
      outputs: flags.outputs,
      app: flags.app,
    });
  switch (command) {
    case "leads":
      return leads(await target(), flags);
    case "lead":
      if (!subject) throw new UsageError("lead needs a key or an execution name");
      return lead(await target(), flags, subject);
    case "redrive":
      if (!subject) throw new UsageError("redrive needs an execution name");
      return redrive(await target(), flags, subject);
    case "replay":
      if (!subject) return replayBulk(await target(), flags);
      if (flags.status || flags.since)
        throw new UsageError("replay takes a name or --status/--since, not both");
      return replayOne(await target(), flags, subject);
    case "send":
      return flags.hubspot ? sendHubSpot(subject) : send(subject);
    case "curl":
      return curl(subject);
    case "secrets":
      return secrets();
    case "classify": {
      const { runClassifyCommand } = await import("../../flows/triage/src/classify-command");
      await runClassifyCommand(process.env);
      return 0;
    }
    case "hubspot": {
      if (subject !== "setup") throw new UsageError("hubspot takes one subcommand: setup");
      const { runHubSpotSetup } = await import("../../flows/linkedin-replies/src/hubspot-setup");
      const { hubspotPropertiesOf, selectFlows } = await import("../../flows/registry");
      // HUBSPOT_BASE_URL + HUBSPOT_TOKEN: a real portal; unset: the running local runtime's stand-in.
      const localUrl = process.env.HUBSPOT_BASE_URL ? undefined : localInfo().url;
      // The properties the chosen flows (LEADRELAY_FLOWS) declare with these settings (TRIAGE_SOURCES).
      const properties = hubspotPropertiesOf(selectFlows(process.env.LEADRELAY_FLOWS, "all"), process.env);
      for (const line of await runHubSpotSetup(process.env, localUrl, properties)) out(line);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      process.stderr.write(`leadrelay: ${message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    // A runtime.json left by a runtime that stopped: say so rather than print a socket error.
    const refused = /ECONNREFUSED/.test(`${message} ${(error as { cause?: unknown })?.cause ?? ""}`);
    process.stderr.write(
      `leadrelay: ${name === "Error" ? "" : `${name}: `}${message}${refused ? "\n(is the local runtime still running? start it with 'pnpm start')" : ""}\n`,
    );
    process.exit(1);
  },
);
