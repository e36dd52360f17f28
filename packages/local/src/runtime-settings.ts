import { EnvSchema, type FlowSpec } from "@leadrelay/functions";

/**
 * What the running runtime tells `leadrelay doctor` about its settings (`GET /_leadrelay/settings`,
 * loopback only): every setting's value except secrets, which are only named as set. The dummy
 * credentials the stand-ins filled in are not secrets (they are in the source code) and are given,
 * so doctor can check the stand-ins with them.
 */
export interface RuntimeSettingsView {
  settings: Record<string, string>;
  /** Secrets the runtime holds, by name only (given in its environment or generated). */
  secretsSet: string[];
  /** Variables a stand-in filled in (its base URL, its dummy credentials, local defaults). */
  standIns: Record<string, string>;
}

/** A name that holds a credential, besides the ones the flows declare as secrets. */
const CREDENTIAL = /SECRET|TOKEN|PASSWORD|API_KEY|AUTH|WEBHOOK_URL/;

export function secretNamesOf(flows: readonly FlowSpec[]): Set<string> {
  const names = new Set<string>();
  for (const flow of flows) {
    for (const source of [flow.source, ...(flow.sourceChoice?.sources ?? [])])
      for (const name of source.secrets) names.add(name);
    for (const task of Object.values(flow.tasks)) {
      for (const name of [...(task.secrets ?? []), ...(task.optionalSecrets ?? [])]) names.add(name);
    }
  }
  return names;
}

/** The settings leadrelay reads: the shared schema, every flow's Task settings and secrets, LEADRELAY_*. */
export function settingNamesOf(flows: readonly FlowSpec[]): Set<string> {
  const names = new Set<string>([
    ...Object.keys(EnvSchema),
    ...secretNamesOf(flows),
    "META_APP_ID",
    "META_PAGE_ID",
  ]);
  for (const flow of flows) {
    for (const task of Object.values(flow.tasks)) for (const name of task.env ?? []) names.add(name);
    // What chooses its sources (TRIAGE_SOURCES), and with them which actions it runs; the sources' settings.
    if (flow.sourceChoice) names.add(flow.sourceChoice.setting);
    for (const source of [flow.source, ...(flow.sourceChoice?.sources ?? [])])
      for (const name of source.settings ?? []) names.add(name);
  }
  return names;
}

export function runtimeSettingsView(
  settings: Record<string, string | undefined>,
  filled: Record<string, string>,
  flows: readonly FlowSpec[],
): RuntimeSettingsView {
  const secrets = secretNamesOf(flows);
  const known = settingNamesOf(flows);
  const view: RuntimeSettingsView = { settings: {}, secretsSet: [], standIns: {} };
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined || value === "") continue;
    // Only leadrelay's own settings: the rest of the shell (PATH, cloud credentials…) is none of doctor's business.
    if (!known.has(name) && !name.startsWith("LEADRELAY_") && !(name in filled)) continue;
    if (name in filled && filled[name] === value) view.standIns[name] = value;
    else if (secrets.has(name) || CREDENTIAL.test(name)) view.secretsSet.push(name);
    else view.settings[name] = value;
  }
  view.secretsSet.sort();
  return view;
}
