import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { savedSecret } from "./local-secrets";
import type { StandInSpec } from "./stand-ins/stand-in";

type Env = Record<string, string | undefined>;
const isSet = (env: Env, name: string) => (env[name] ?? "").trim() !== "";

/** A vendor pointed at its real service (its base URL set) whose credentials or settings are not all given. */
export interface VendorGap {
  slug: string;
  title: string;
  baseUrlVariable: string;
  /** What the stand-in would have filled and the shell did not give. */
  missing: string[];
  /** `flow/Task` of each action that reads a missing variable: skipped (an optional one) or failing (a required secret). */
  skipped: string[];
  failing: string[];
}

/**
 * The vendors whose base URL is set without what the stand-in would otherwise have filled (its dummy
 * credentials and local defaults), with the chosen flows' actions that read a missing variable.
 * Built over each Task's declared `env`, `secrets` and `optionalSecrets`.
 */
export function vendorGaps(env: Env, flows: readonly FlowSpec[], specs: readonly StandInSpec[]): VendorGap[] {
  const gaps: VendorGap[] = [];
  for (const spec of specs) {
    const variable = spec.baseUrlVariable;
    if (!variable || !spec.fills || !isSet(env, variable)) continue;
    const missing = Object.keys(spec.fills("http://127.0.0.1/"))
      .filter((name) => name !== variable && !isSet(env, name))
      .sort();
    if (missing.length === 0) continue;
    const skipped: string[] = [];
    const failing: string[] = [];
    for (const flow of flows) {
      for (const task of Object.values(flow.tasks)) {
        const required = (task.secrets ?? []).filter((name) => missing.includes(name));
        const reads = [...(task.env ?? []), ...(task.optionalSecrets ?? [])].filter((name) =>
          missing.includes(name),
        );
        if (required.length > 0) failing.push(`${flow.id}/${task.id}`);
        else if (reads.length > 0) skipped.push(`${flow.id}/${task.id}`);
      }
    }
    if (skipped.length + failing.length === 0) continue;
    gaps.push({ slug: spec.slug, title: spec.title, baseUrlVariable: variable, missing, skipped, failing });
  }
  return gaps;
}

export function formatVendorGap(gap: VendorGap): string {
  const effects = [
    gap.skipped.length > 0 ? `skipped: ${gap.skipped.join(", ")}` : "",
    gap.failing.length > 0 ? `failing: ${gap.failing.join(", ")}` : "",
  ].filter(Boolean);
  const verb = gap.missing.length === 1 ? "is" : "are";
  return `${gap.baseUrlVariable} is set (the real ${gap.title}) but ${gap.missing.join(", ")} ${verb} not; ${effects.join("; ")}`;
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
