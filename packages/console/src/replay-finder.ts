import { REPLAY_SEPARATOR } from "@leadrelay/core";
import { BoundedCache } from "./bounded-concurrency";
import type { FlowTarget } from "./console-flows";
import { toItem } from "./execution-pages";
import { listExecutions } from "./lead-operations";

/** Executions looked at per search, per flow (ListExecutions has no name filter). */
export const REPLAY_SCAN_LIMIT = 1000;
const PAGE = 100;

interface Seen {
  /** Replay name → its start (epoch ms). */
  names: Map<string, number>;
  /** The newest execution the last search saw: the next one stops there. */
  newest?: { startDate: number; name: string };
}

export interface FoundReplays {
  /** Names of the key's replays, oldest first. */
  names: string[];
  /** False when the search stopped at the limit before reaching the original's start. */
  complete: boolean;
}

/**
 * The replays of a business key in one flow (`<key>-replay-<t>`). Step Functions cannot list by
 * name, but a replay always starts after its original: the newest executions are read back to the
 * original's start. What was read is remembered, so the next look (the page polls) reads only the
 * executions started since.
 */
export class ReplayFinder {
  private readonly seen = new BoundedCache<string, Seen>(5_000);

  async find(flow: FlowTarget, key: string, originalStart: number): Promise<FoundReplays> {
    const cacheKey = `${flow.stateMachineArn}|${key}`;
    const before = this.seen.get(cacheKey);
    const names = new Map(before?.names);
    const prefix = `${key}${REPLAY_SEPARATOR}`;
    let newest: Seen["newest"];
    let nextToken: string | undefined;
    let read = 0;
    let reachedEnd = false;
    scan: do {
      const page = await listExecutions(flow, { maxResults: PAGE, nextToken });
      for (const execution of page.executions) {
        const item = toItem(flow.id, execution);
        newest ??= { startDate: item.startDate, name: item.name };
        const known = before?.newest;
        if (known && (item.startDate < known.startDate || item.name === known.name)) {
          reachedEnd = true;
          break scan;
        }
        if (item.startDate < originalStart) {
          reachedEnd = true;
          break scan;
        }
        if (item.name.startsWith(prefix)) names.set(item.name, item.startDate);
      }
      read += page.executions.length;
      nextToken = page.nextToken;
      if (!nextToken) reachedEnd = true;
    } while (nextToken && read < REPLAY_SCAN_LIMIT);
    // Only a search that reached its end can be continued from its newest item next time.
    if (reachedEnd) this.seen.set(cacheKey, { names, newest: newest ?? before?.newest });
    return {
      names: [...names].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1)).map(([name]) => name),
      complete: reachedEnd,
    };
  }
}
