import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { readStage, StageError } from "./cli-stage";
import { dataDir, LOCAL_CREDENTIALS, localInfo } from "./cli-target";
import { type DoctorReport, type DoctorSettings, diagnose } from "./doctor";
import { secretFile } from "./local-secrets";
import type { RuntimeSettingsView } from "./runtime-settings";
import { secretNamesOf } from "./runtime-settings";
import { awsStageSecrets, type StageSecrets } from "./stage-secrets";

export const DOCTOR_USAGE = `leadrelay doctor [--stage X] [--json] [--post-test]
  for each chosen flow and each of its actions: ok (will run), skipped (a setting turns it off, or a
  credential is not set) or broken (the vendor refused or did not answer: which variable, how to fix).
  Every credential is checked with a read that changes nothing at the vendor (5–10 s each).

  local      the settings of the running 'pnpm start' (found through <data dir>/runtime.json) and its
             stand-ins; a secret the runtime was given is read from this shell
  --stage X  the stage's outputs (.sst/outputs.json) and SST secrets in SSM (the stage's, else .fallback),
             the settings of this shell; LEADRELAY_FLOWS as deployed [--app A] [--region R] [--outputs F]
  --json     {"ok", "flows": [{"flow", "actions": [{"action", "status", "reason", "variables"}]}]}
  --post-test  Slack has no read-only check: post one clearly marked test message to each Slack webhook

  Exit 0 when nothing is broken (skipped is not broken), 1 when something is, 2 on a usage error.`;

const OPTIONS = {
  stage: { type: "string" },
  json: { type: "boolean" },
  "post-test": { type: "boolean" },
  app: { type: "string" },
  region: { type: "string" },
  outputs: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface DoctorDeps {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Colour the table (a TTY, and NO_COLOR unset). */
  colour?: boolean;
  stageSecrets?: (app: string, stage: string, region: string) => StageSecrets;
  /** Each check's timeout (tests shorten it). */
  timeoutMs?: number;
}

class DoctorUsage extends Error {
  override readonly name = "DoctorUsage";
}

const readText = (file: string) => {
  try {
    return readFileSync(file, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
};

export async function localSettings(
  env: DoctorDeps["env"],
): Promise<{ flows: FlowSpec[]; settings: DoctorSettings; where: string }> {
  const info = localInfo();
  let view: RuntimeSettingsView;
  try {
    const response = await fetch(`${info.url}/_leadrelay/settings`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    view = (await response.json()) as RuntimeSettingsView;
  } catch (error) {
    throw new StageError(
      `the local runtime of ${dataDir()} (${info.url}) did not answer (${(error as Error).message}): is 'pnpm start' running?`,
    );
  }
  const { selectFlows } = await import("../../flows/registry");
  const flows = selectFlows((info.flows ?? []).map((flow) => flow.id).join(","), "all");
  const values: Record<string, string | undefined> = { ...view.settings, ...view.standIns };
  const held = new Set<string>();
  for (const name of view.secretsSet) {
    // Given to the runtime in its shell (the same shell runs doctor), or generated into the data folder.
    const value = env[name]?.trim() || readText(secretFile(dataDir(), name));
    if (value) values[name] = value;
    else held.add(name);
  }
  return {
    flows,
    where: `the local runtime at ${info.url}`,
    settings: {
      values,
      held,
      standIns: new Set(Object.keys(view.standIns)),
      region: info.region,
      aws: (service) => ({
        endpoint: `${info.url}/_local/${service === "sesv2" ? "ses" : "events"}`,
        region: info.region,
        credentials: LOCAL_CREDENTIALS,
      }),
    },
  };
}

async function stageSettings(
  flags: { stage: string; app?: string; region?: string; outputs?: string },
  deps: Pick<DoctorDeps, "env" | "stageSecrets">,
): Promise<{ flows: FlowSpec[]; settings: DoctorSettings; where: string }> {
  const { env } = deps;
  const app = flags.app ?? "leadrelay";
  let outputs: Record<string, string> = {};
  let region = flags.region ?? env.LEADRELAY_REGION ?? "us-east-1";
  let deployed = false;
  try {
    const stage = readStage(flags, env);
    outputs = stage.outputs;
    region = stage.region;
    deployed = true;
  } catch (error) {
    // Before the first deploy there are no outputs: the settings and secrets can still be checked.
    if (!(error instanceof StageError)) throw error;
  }
  const { FLOWS, selectFlows } = await import("../../flows/registry");
  const deployedFlows = FLOWS.filter((flow) =>
    Object.keys(outputs).some((name) => name.toLowerCase() === `statemachinearn${flow.id.replace(/-/g, "")}`),
  );
  const flows = deployedFlows.length > 0 ? deployedFlows : selectFlows(env.LEADRELAY_FLOWS, ["announce"]);
  const secretNames = [...secretNamesOf(flows), "META_APP_SECRET"];
  const secrets = await (deps.stageSecrets ?? awsStageSecrets)(app, flags.stage, region).read(secretNames);
  const values: Record<string, string | undefined> = {};
  // The stage's settings are this shell's; its secrets are only the ones in SSM (a shell value would not deploy).
  for (const [name, value] of Object.entries(env)) if (!secretNames.includes(name)) values[name] = value;
  for (const [name, read] of Object.entries(secrets)) values[name] = read.value;
  values.EVENT_BUS_NAME ||= `${flags.stage}-${app}-events`;
  return {
    flows,
    where: `stage ${flags.stage} in ${region}${deployed ? "" : " (no outputs yet: not deployed?)"}`,
    settings: {
      values,
      held: new Set(),
      standIns: new Set(),
      region,
      stage: { name: flags.stage, deployed },
      aws: () => ({ region }),
    },
  };
}

/**
 * Doctor's report for the running local runtime (no `stage`) or a stage; what `doctor` prints and
 * what `smoke` runs first. Throws StageError (or NoLocalRuntime) when the target cannot be read.
 */
export async function doctorReport(
  flags: { stage?: string; app?: string; region?: string; outputs?: string },
  deps: Pick<DoctorDeps, "env" | "stageSecrets" | "timeoutMs">,
  options: { postTest?: boolean } = {},
): Promise<{ report: DoctorReport; where: string }> {
  const target =
    flags.stage === undefined
      ? await localSettings(deps.env)
      : await stageSettings({ ...flags, stage: flags.stage }, deps);
  const { hubspotPropertiesOf } = await import("../../flows/registry");
  // The properties the chosen flows write with these settings (TRIAGE_SOURCES, HUBSPOT_TRIAGE_PROPERTY).
  const hubspotProperties = hubspotPropertiesOf(target.flows, target.settings.values).map(
    ({ type, definition }) => ({ type, name: definition.name }),
  );
  const report = await diagnose(target.flows, target.settings, {
    postTest: options.postTest === true,
    hubspotProperties,
    check: deps.timeoutMs === undefined ? undefined : { timeoutMs: deps.timeoutMs },
  });
  return { report, where: target.where };
}

const COLOURS = { ok: "\u001b[32m", skipped: "\u001b[33m", broken: "\u001b[31m" } as const;
const RESET = "\u001b[0m";

export function formatReport(report: DoctorReport, colour: boolean): string[] {
  const rows = report.flows.flatMap(({ flow, actions }) => actions.map((entry) => ({ flow, ...entry })));
  const w = {
    flow: Math.max(4, ...rows.map((row) => row.flow.length)),
    action: Math.max(6, ...rows.map((row) => row.action.length)),
  };
  const lines = [`${"FLOW".padEnd(w.flow)}  ${"ACTION".padEnd(w.action)}  ${"STATUS".padEnd(7)}  REASON`];
  for (const row of rows) {
    const status = row.status.padEnd(7);
    lines.push(
      `${row.flow.padEnd(w.flow)}  ${row.action.padEnd(w.action)}  ${colour ? `${COLOURS[row.status]}${status}${RESET}` : status}  ${row.reason}`,
    );
  }
  const broken = rows.filter((row) => row.status === "broken").length;
  const skipped = rows.filter((row) => row.status === "skipped").length;
  lines.push(
    "",
    `${rows.length - broken - skipped} ok, ${skipped} skipped, ${broken} broken${broken > 0 ? ` — fix the variables named above (${[...new Set(rows.filter((row) => row.status === "broken").flatMap((row) => row.variables))].join(", ")})` : ""}`,
  );
  return lines;
}

export async function runDoctor(argv: string[], deps: DoctorDeps): Promise<number> {
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new DoctorUsage((error as Error).message);
    }
    const flags = parsed.values;
    if (flags.help) {
      deps.out(DOCTOR_USAGE);
      return 0;
    }
    if (parsed.positionals.length > 0) throw new DoctorUsage(`unexpected ${parsed.positionals.join(" ")}`);
    if (flags.stage !== undefined && !/^[a-z0-9][a-z0-9-]*$/i.test(flags.stage))
      throw new DoctorUsage(`--stage is a stage name, not ${flags.stage}`);
    const { report, where } = await doctorReport(
      { stage: flags.stage, app: flags.app, region: flags.region, outputs: flags.outputs },
      deps,
      { postTest: flags["post-test"] === true },
    );
    if (flags.json) deps.out(JSON.stringify(report, null, 2));
    else {
      deps.out(`leadrelay doctor — ${where}`);
      deps.out("");
      for (const line of formatReport(report, deps.colour === true)) deps.out(line);
      if (
        flags["post-test"] &&
        report.flows.some((flow) => flow.actions.some((a) => /test message/.test(a.reason)))
      )
        deps.out("--post-test posted one test message to each Slack webhook checked (marked as a test).");
    }
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof DoctorUsage) {
      deps.err(`leadrelay doctor: ${error.message}\n\n${DOCTOR_USAGE}`);
      return 2;
    }
    if (error instanceof StageError || (error as Error).name === "NoLocalRuntime") {
      deps.err(`leadrelay doctor: ${(error as Error).message}`);
      return 1;
    }
    throw error;
  }
}
