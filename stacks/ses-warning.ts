import {
  checkSesSenderIn,
  type SesSenderCheck,
  type SesSenderCheckInput,
} from "../packages/functions/src/adapters/ses-checks";
import type { FlowSpec } from "../packages/functions/src/flow-spec";

/** One sender a deploy sends SES email from: who sends (for the message) and EMAIL_FROM. */
export interface SesSender {
  who: string;
  from: string;
}

/**
 * The senders of a stage's flows that may go out through SES: a task that sends email, a sender
 * (EMAIL_FROM) and a provider that can be SES (EMAIL_PROVIDER=ses, or unset without a Brevo key,
 * as the functions decide at run time).
 */
export function flowSesSenders(
  flows: ReadonlyArray<{ flow: FlowSpec; settings: Record<string, string>; deployed: readonly string[] }>,
  brevoKeySet: boolean,
): SesSender[] {
  const senders: SesSender[] = [];
  for (const { flow, settings, deployed } of flows) {
    const from = settings.EMAIL_FROM;
    const provider = settings.EMAIL_PROVIDER ?? (brevoKeySet ? "brevo" : "ses");
    if (!from || provider !== "ses") continue;
    for (const placeholder of deployed) {
      const task = flow.tasks[placeholder];
      if (task?.sendsEmail) senders.push({ who: `${flow.id}/${task.id}`, from });
    }
  }
  return senders;
}

/**
 * A real deploy asks SES (read-only) whether each sender can send in the stage's region and warns
 * when not: the deploy goes on (an identity can be verified after it), but the first email would
 * fail. Never throws; the offline synth never calls it.
 */
export async function warnSesSenders(
  region: string,
  senders: readonly SesSender[],
  options: {
    check?: (input: SesSenderCheckInput) => Promise<SesSenderCheck>;
    warn?: (message: string) => void;
  } = {},
): Promise<string[]> {
  const check = options.check ?? checkSesSenderIn;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const byFrom = new Map<string, string[]>();
  for (const { who, from } of senders) byFrom.set(from, [...(byFrom.get(from) ?? []), who]);
  const warnings: string[] = [];
  for (const [from, who] of byFrom) {
    let result: SesSenderCheck;
    try {
      result = await check({ region, from });
    } catch (error) {
      result = { status: "unknown", reason: `the SES check failed: ${String(error)}` };
    }
    if (result.status === "ok") continue;
    const message = `WARNING (SES, ${result.status}) ${who.join(", ")} send from ${from}: ${result.reason}`;
    warnings.push(message);
    warn(message);
  }
  return warnings;
}
