import { LONGEST_REDELIVERY_MS, retentionMs } from "@leadrelay/functions/retention";
import type { LocalStepFunctions } from "./local-step-functions";
import type { ObjectStorage } from "./object-storage";
import type { StandIn } from "./stand-ins/stand-in";

/**
 * LEADRELAY_RETENTION_DAYS locally (see @leadrelay/functions/retention for the numbers and the AWS
 * side): finished executions that stopped before the cutoff, the objects under the flows' expiring
 * prefixes last written before it, and the stand-ins' logged requests received before it. Never
 * anything of a running execution: no running execution is removed, and an object is kept when it
 * is younger than the oldest running execution (an hour of slack: a webhook is stored just before
 * its execution starts), when its key holds a running execution's name, or when a running
 * execution's input names it.
 */
export interface RetentionTargets {
  engines: () => LocalStepFunctions[];
  objects: ObjectStorage;
  bucket: string;
  /** The key prefixes that expire (`expiringPrefixes` of the flows). */
  expiring: readonly string[];
  standIns: () => StandIn[];
}

export interface RetentionReport {
  executions: number;
  objects: number;
  standInRequests: number;
}

const RUNNING_SLACK_MS = 3600 * 1000;
const PAGE = 1000;

export async function applyRetention(
  targets: RetentionTargets,
  options: { days: number; now: number },
): Promise<RetentionReport> {
  const cutoff = options.now - retentionMs(options.days);
  let executions = 0;
  for (const engine of targets.engines()) executions += await engine.expireFinished(cutoff);

  const running = targets.engines().flatMap((engine) => engine.runningRecords());
  const oldestRunning = Math.min(...running.map((record) => record.startDate));
  const objectCutoff = Math.min(cutoff, oldestRunning - RUNNING_SLACK_MS);
  const names = running.map((record) => record.name);
  const inputs = running.map((record) => record.input);
  const belongsToRunning = (key: string) =>
    names.some((name) => key.includes(name)) || inputs.some((input) => input.includes(key));
  let objects = 0;
  for (const prefix of targets.expiring) {
    let after = "";
    for (;;) {
      const page = await targets.objects.list(targets.bucket, prefix, after, PAGE);
      for (const info of page) {
        if (info.modified.getTime() >= objectCutoff || belongsToRunning(info.key)) continue;
        await targets.objects.delete(targets.bucket, info.key);
        objects++;
      }
      if (page.length < PAGE) break;
      after = page.at(-1)?.key ?? "";
    }
  }

  let standInRequests = 0;
  for (const standIn of targets.standIns()) standInRequests += await standIn.prune(cutoff);
  return { executions, objects, standInRequests };
}

/** Retention at start-up, then every `intervalMs` (6 h by default) on a timer that keeps no process alive. */
export function startRetention(
  targets: RetentionTargets,
  options: { days: number; print: (line: string) => void; intervalMs?: number; now?: () => number },
): {
  close(): Promise<void>;
  /** The latest runs (tests, logs). */
  runs: Promise<RetentionReport | undefined>[];
} {
  const now = options.now ?? Date.now;
  let current: Promise<RetentionReport | undefined> | undefined;
  const runs: Promise<RetentionReport | undefined>[] = [];
  const run = () => {
    if (current) return;
    current = applyRetention(targets, { days: options.days, now: now() })
      .then((report) => {
        const removed = report.executions + report.objects + report.standInRequests;
        if (removed > 0) {
          const days = Math.max(options.days, LONGEST_REDELIVERY_MS / 86_400_000);
          options.print(
            `retention: removed ${report.executions} finished executions, ${report.objects} objects and ${report.standInRequests} stand-in requests older than ${days} days (LEADRELAY_RETENTION_DAYS)`,
          );
        }
        return report;
      })
      .catch((error: unknown) => {
        options.print(`retention: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      })
      .finally(() => {
        current = undefined;
      });
    runs.push(current);
    if (runs.length > 8) runs.shift();
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? 6 * 3600 * 1000);
  timer.unref();
  return {
    runs,
    async close() {
      clearInterval(timer);
      await current;
    },
  };
}
