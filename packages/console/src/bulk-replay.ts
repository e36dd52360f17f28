import type { ExecutionStatus } from "@aws-sdk/client-sfn";
import { businessKeyOfExecutionName, replayExecutionName } from "@leadrelay/core";
import { type ExecutionItem, toItem } from "./execution-pages";
import { type LeadTarget, listExecutions, type Replay, replayExecution } from "./lead-operations";

/**
 * "Bulk replay after an outage" (#14): every execution of one flow that ended in a status since a
 * time gets one replay. Per business key only the newest execution counts: a key whose newest
 * execution is not in that status was already replayed (or redriven to success) and is skipped, so
 * running the same batch again starts nothing new. A batch's replays are named after the batch
 * (`<key>-replay-<since>`), so a second start of the same name is refused by Step Functions too.
 * Whatever is replayed, the flows' markers keep each side effect at most once.
 */

export interface BulkReplayOptions {
  status: ExecutionStatus;
  /** The flow's id, for `accept`. */
  flow?: string;
  /** epoch ms: executions started at or after this. */
  since: number;
  /** At most this many replays. */
  limit?: number;
  /** A closer look at each execution in `status` (e.g. SKIPPED: succeeded with an action skipped). */
  accept?: (item: ExecutionItem) => Promise<boolean>;
}

export interface PlannedReplay {
  name: string;
  key: string;
  status: string;
  startDate: number;
  action: "replay" | "skip";
  /** The replay's name (action "replay"). */
  replayName?: string;
  /** Why it is skipped. */
  reason?: string;
}

export interface BulkReplayPlan {
  items: PlannedReplay[];
  /** Executions read (every status) since `since`. */
  scanned: number;
  /** The time in the batch's replay names. */
  batchAt: number;
}

export async function planBulkReplay(
  target: LeadTarget,
  options: BulkReplayOptions,
): Promise<BulkReplayPlan> {
  const newestOfKey = new Map<string, { name: string; status: string }>();
  const matching: PlannedReplay[] = [];
  let scanned = 0;
  let nextToken: string | undefined;
  scan: do {
    const page = await listExecutions(target, { maxResults: 100, nextToken });
    for (const execution of page.executions) {
      const item = toItem(options.flow ?? "", execution);
      if (item.startDate < options.since) break scan;
      scanned++;
      const key = businessKeyOfExecutionName(item.name);
      // Newest first: the first execution seen of a key is its newest.
      if (!newestOfKey.has(key)) newestOfKey.set(key, { name: item.name, status: item.status });
      if (item.status === options.status && (!options.accept || (await options.accept(item)))) {
        matching.push({
          name: item.name,
          key,
          status: item.status,
          startDate: item.startDate,
          action: "skip",
        });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);

  const batchAt = options.since;
  let replays = 0;
  // Oldest first: replays start in the order the events first arrived.
  const items = matching.reverse().map((item): PlannedReplay => {
    const newest = newestOfKey.get(item.key);
    const replayName = replayExecutionName(item.key, batchAt);
    if (newest && newest.name !== item.name) {
      return { ...item, reason: `newer execution ${newest.name} is ${newest.status}` };
    }
    if (item.name === replayName) {
      return {
        ...item,
        reason: "this batch already replayed it, and the replay ended so too: replay with a later --since",
      };
    }
    if (options.limit !== undefined && replays >= options.limit) {
      return { ...item, reason: `over --limit ${options.limit}` };
    }
    replays++;
    return { ...item, action: "replay", replayName };
  });
  return { items, scanned, batchAt };
}

export type ReplayOutcome =
  | { item: PlannedReplay; outcome: "replayed"; replay: Replay }
  | { item: PlannedReplay; outcome: "exists" | "failed"; message: string };

/** Starts the plan's replays one by one (Step Functions' StartExecution quota is per account). */
export async function runBulkReplay(
  target: LeadTarget,
  plan: BulkReplayPlan,
  onOutcome: (outcome: ReplayOutcome) => void = () => {},
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for (const item of plan.items) {
    if (item.action !== "replay") continue;
    let outcome: ReplayOutcome;
    try {
      outcome = {
        item,
        outcome: "replayed",
        replay: await replayExecution(target, item.name, { at: plan.batchAt }),
      };
    } catch (error) {
      const name = error instanceof Error ? error.name : "Error";
      const message = error instanceof Error ? error.message : String(error);
      outcome = {
        item,
        outcome: name === "ExecutionAlreadyExists" ? "exists" : "failed",
        message: `${name}: ${message}`,
      };
    }
    outcomes.push(outcome);
    onOutcome(outcome);
  }
  return outcomes;
}
