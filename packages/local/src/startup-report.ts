import { chosenActions, type FlowAction, type FlowSpec } from "@leadrelay/functions/flow-spec";
import { savedSecret } from "./local-secrets";
import type { StandInSpec } from "./stand-ins/stand-in";

type Env = Record<string, string | undefined>;
const isSet = (env: Env, name: string) => (env[name] ?? "").trim() !== "";

/** A vendor pointed at its real service (its base URL set) without everything its actions require. */
export interface VendorGap {
  slug: string;
  title: string;
  baseUrlVariable: string;
  /** The variables its actions require that are not set. */
  missing: string[];
  /** Each action that will be skipped: `flow "title" (id)`. */
  skipped: string[];
}

/**
 * Whether the action is on. An `enabledBy` the action also requires is a switch: unset is off
 * (announce's ANNOUNCE_EMAIL_TO). Otherwise it is a comma list of action ids, all when unset
 * (triage's TRIAGE_ACTIONS).
 */
function enabled(action: FlowAction, settings: Env): boolean {
  if (!action.enabledBy) return true;
  if (action.requires.includes(action.enabledBy)) return isSet(settings, action.enabledBy);
  if (!isSet(settings, action.enabledBy)) return true;
  const ids = (settings[action.enabledBy] ?? "").split(",").map((id) => id.trim().toLowerCase());
  return ids.includes(action.enabledAs ?? action.id);
}

/**
 * The vendors whose base URL the user set (so no stand-in fills their credentials) while an action
 * of a chosen flow through that vendor requires a variable that is not set: the actions that will be
 * skipped, from each flow's declared `actions` (vendor, requires, enabledBy, alternative).
 * `given` is what the user set (shell and leadrelay.local.env); `settings` what the flows run with.
 */
export function vendorGaps(
  given: Env,
  settings: Env,
  flows: readonly FlowSpec[],
  specs: readonly StandInSpec[],
): VendorGap[] {
  const gaps: VendorGap[] = [];
  for (const spec of specs) {
    const variable = spec.baseUrlVariable;
    if (!variable || !isSet(given, variable)) continue;
    const missing = new Set<string>();
    const skipped: string[] = [];
    for (const flow of flows) {
      // Only the actions of the chosen sources (triage's HubSpot ones with TRIAGE_SOURCES=…hubspot).
      for (const action of chosenActions(flow, settings)) {
        if (!enabled(action, settings)) continue;
        const alternative =
          action.alternative && settings[action.alternative.setting] === action.alternative.value
            ? action.alternative
            : undefined;
        if ((alternative?.vendor ?? action.vendor) !== spec.slug) continue;
        const unset = (alternative?.requires ?? action.requires).filter((name) => !isSet(settings, name));
        if (unset.length === 0) continue;
        for (const name of unset) missing.add(name);
        skipped.push(`${flow.id} "${action.title}" (${action.id})`);
      }
    }
    if (skipped.length === 0) continue;
    gaps.push({
      slug: spec.slug,
      title: spec.title,
      baseUrlVariable: variable,
      missing: [...missing].sort(),
      skipped,
    });
  }
  return gaps;
}

export function formatVendorGap(gap: VendorGap): string {
  const verb = gap.missing.length === 1 ? "is" : "are";
  return `${gap.baseUrlVariable} is set (the real ${gap.title}) but ${gap.missing.join(", ")} ${verb} not; skipped: ${gap.skipped.join(", ")}`;
}

/** The secrets a start will take from the data folder because an earlier start generated them. */
export function savedSecretNames(dataDir: string, env: Env, flows: readonly FlowSpec[]): Set<string> {
  const names = new Set(flows.flatMap((flow) => flow.source.secrets));
  return new Set([...names].filter((name) => !isSet(env, name) && savedSecret(dataDir, name) !== undefined));
}

/** One line for the errors a user can fix at start (a busy or forbidden port), else undefined. */
export function startFailure(error: unknown, port: number): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return `leadrelay: port ${port} on 127.0.0.1 is already in use by another program; stop it or choose another port (PORT=3001 pnpm start, PORT=0 for any free port)`;
  }
  if (code === "EACCES") {
    return `leadrelay: not allowed to listen on port ${port}; choose a port above 1023 (PORT=3000 pnpm start)`;
  }
  return undefined;
}
