import { DescribeExecutionCommand, GetExecutionHistoryCommand, type HistoryEvent } from "@aws-sdk/client-sfn";
import { businessKeyOfExecutionName, type ObjectStore, REPLAY_SEPARATOR } from "@leadrelay/core";
import { BoundedCache, mapWithConcurrency } from "./bounded-concurrency";
import { ANNOUNCE, chooseFlows, type FlowTarget } from "./console-flows";
import { type ExecutionItem, MergedExecutions } from "./execution-pages";
import { type ExecutionStory, executionFacts, executionStory, keyNounOf, pageKeyOf } from "./execution-story";
import { executionHistory, findExecution } from "./lead-operations";
import {
  executionFilterOf,
  type HoldOf,
  type LeadStatus,
  type RowStatus,
  runningStatus,
  type SuccessLabel,
  stoppedStatus,
} from "./row-status";

export type { ExecutionItem } from "./execution-pages";
export { BadCursor } from "./execution-pages";

export interface ExecutionRow extends RowStatus {
  flow: string;
  name: string;
  /** The execution key (the execution name without a replay suffix). */
  key: string;
  /** The business key: one page, one list row (deal-stage: `deal-{dealId}` for every stage). */
  pageKey: string;
  /** What a key of the flow is ("Close lead", "deal"…). */
  keyNoun: string;
  executionArn: string;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
  replay: boolean;
  /** How the execution reads to a person, from its flow's declaration: title, outcome, actions. */
  story: ExecutionStory;
}

export interface ListQuery {
  /** One flow's executions; all flows when absent. */
  flow?: string;
  status?: LeadStatus;
  q?: string;
  pageSize: number;
  cursor?: string;
}

export interface ExecutionPage {
  rows: ExecutionRow[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  cursor?: string;
  /** Executions looked at to fill this page (a search or a waiting/running/retrying filter scans). */
  scanned: number;
  scanLimit: number;
  /** The scan stopped at `scanLimit` executions: older ones were not searched yet (`cursor` continues). */
  scanLimitReached: boolean;
  /** "direct": the query was an execution name and was looked up, not searched for. */
  lookup?: "direct";
}

export const SCAN_LIMIT = 1000;
/** ListExecutions page size while scanning (a search or a filter the API cannot apply). */
const SCAN_PAGE = 100;
/** Enough recent events to see past a few retries (3 events each) to the state's entry. */
const RECENT_EVENTS = 25;
/** Enough of the end of a stopped history to find the last state entered. */
const LAST_EVENTS = 8;
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"]);

const toMs = (value: Date | number | undefined) => (value instanceof Date ? value.getTime() : value);
const successOf = (flow: string): SuccessLabel => (flow === ANNOUNCE ? "notified" : "succeeded");

export interface ExecutionListDeps {
  flows: readonly FlowTarget[];
  store: ObjectStore;
  /** The Wait holds of a flow's state machine. */
  holds: (flow: string) => Promise<HoldOf>;
  clock: () => number;
  /** Step Functions and S3 calls in flight at once for one page. */
  concurrency: number;
}

/** The last state a stopped execution entered, from the end of its history (newest first). */
function lastStateOf(newestFirst: readonly HistoryEvent[]): string | undefined {
  for (const event of newestFirst) {
    if (event.type?.endsWith("StateEntered")) return event.stateEnteredEventDetails?.name;
  }
  return undefined;
}

/**
 * The list view's data: every flow's executions merged newest first from their ListExecutions
 * pages (never a full scan), each row completed — for leads, from the lead's stored objects; for
 * running executions, from the last few history events. Stopped executions never change (until a
 * redrive, which changes their status and redrive count), so what is learned about them is kept.
 */
export class ExecutionList {
  private readonly statuses = new BoundedCache<string, { key: string; status: RowStatus }>(50_000);
  /** Stories of stopped executions (they change only when redriven: the key has the redrive count). */
  private readonly stories = new BoundedCache<string, { key: string; story: ExecutionStory }>(50_000);

  constructor(private readonly deps: ExecutionListDeps) {}

  async page(query: ListQuery): Promise<ExecutionPage> {
    const flows = chooseFlows(this.deps.flows, query.flow);
    const q = query.q?.trim() ?? "";
    if (EXECUTION_NAME.test(q) && !query.cursor) {
      const found = await this.lookup(flows, q, query.status);
      if (found) return found;
    }
    const { statusFilter, derived } = executionFilterOf(query.status);
    const needle = q.toLocaleLowerCase();
    const scanning = derived || needle !== "";
    const accept = async (item: ExecutionItem): Promise<ExecutionRow | undefined> => {
      if (derived && (await this.statusOf(item)).status !== query.status) return undefined;
      if (needle && !matches(item, await this.storyOf(item), needle)) return undefined;
      return this.row(item);
    };

    const merged = new MergedExecutions(flows, {
      status: statusFilter as never,
      cursor: query.cursor,
      batch: scanning ? SCAN_PAGE : query.pageSize,
    });
    const rows: ExecutionRow[] = [];
    let scanned = 0;
    for (;;) {
      const want = scanning ? Math.min(SCAN_PAGE, SCAN_LIMIT - scanned) : query.pageSize - rows.length;
      const batch: Array<{ item: ExecutionItem; after: string | undefined }> = [];
      while (batch.length < want) {
        const next = await merged.next();
        if (!next) break;
        batch.push(next);
      }
      const accepted = await mapWithConcurrency(batch, this.deps.concurrency, ({ item }) => accept(item));
      for (const [index, row] of accepted.entries()) {
        if (!row) continue;
        rows.push(row);
        if (rows.length === query.pageSize) {
          return this.result(rows, batch[index]?.after, scanned + index + 1, false);
        }
      }
      scanned += batch.length;
      const after = batch.at(-1)?.after;
      // Fewer than asked for: every flow is exhausted.
      if (batch.length < want || after === undefined) return this.result(rows, undefined, scanned, false);
      if (scanning && scanned >= SCAN_LIMIT) return this.result(rows, after, scanned, true);
    }
  }

  private result(
    rows: ExecutionRow[],
    cursor: string | undefined,
    scanned: number,
    scanLimitReached: boolean,
  ): ExecutionPage {
    return { rows, cursor, scanned, scanLimit: SCAN_LIMIT, scanLimitReached };
  }

  /** An execution name: one DescribeExecution per flow instead of a search. */
  private async lookup(
    flows: readonly FlowTarget[],
    name: string,
    status: LeadStatus | undefined,
  ): Promise<ExecutionPage | undefined> {
    const found = await Promise.all(
      flows.map(async (flow) => {
        const out = await findExecution(flow, name);
        if (!out) return undefined;
        const item: ExecutionItem = {
          flow: flow.id,
          name,
          executionArn: out.executionArn ?? "",
          status: out.status ?? "RUNNING",
          startDate: toMs(out.startDate) ?? 0,
          stopDate: toMs(out.stopDate),
          redriveCount: out.redriveCount ?? 0,
        };
        return item;
      }),
    );
    const items = found.filter((item): item is ExecutionItem => item !== undefined);
    if (items.length === 0) return undefined;
    const rows = (await Promise.all(items.map((item) => this.row(item)))).filter(
      (row) => status === undefined || row.status === status,
    );
    return { rows, scanned: items.length, scanLimit: SCAN_LIMIT, scanLimitReached: false, lookup: "direct" };
  }

  async row(item: ExecutionItem): Promise<ExecutionRow> {
    const [status, story] = await Promise.all([this.statusOf(item), this.storyOf(item)]);
    return {
      ...status,
      flow: item.flow,
      name: item.name,
      key: businessKeyOfExecutionName(item.name),
      pageKey: pageKeyOf(item.flow, item.name),
      keyNoun: keyNounOf(item.flow, item.name),
      executionArn: item.executionArn,
      startDate: item.startDate,
      stopDate: item.stopDate,
      redriveCount: item.redriveCount,
      replay: item.name.includes(REPLAY_SEPARATOR),
      story,
    };
  }

  /**
   * What the execution's flow says of it. A stopped execution is read once (its output, or its
   * history when it did not succeed); a running one from its recent events, each time.
   */
  async storyOf(item: ExecutionItem): Promise<ExecutionStory> {
    const key = statusKey(item);
    const cached = this.stories.get(item.executionArn);
    if (cached && cached.key === key) {
      if (TERMINAL.has(item.status)) return cached.story;
      // A hold ends at a known time: until then nothing can change.
      const row = this.statuses.get(item.executionArn)?.status;
      if (row?.status === "waiting" && row.waitEndsAt !== undefined && this.deps.clock() < row.waitEndsAt)
        return cached.story;
    }
    const flow = this.flowOf(item);
    const described = await flow.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
    const status = described.status ?? item.status;
    let events: HistoryEvent[] = [];
    if (status !== "SUCCEEDED") {
      events = TERMINAL.has(status)
        ? await executionHistory(flow, item.executionArn)
        : [
            ...((
              await flow.sfn.send(
                new GetExecutionHistoryCommand({
                  executionArn: item.executionArn,
                  reverseOrder: true,
                  maxResults: RECENT_EVENTS,
                }),
              )
            ).events ?? []),
          ].reverse();
    }
    const facts = executionFacts(
      { name: item.name, status, input: described.input, output: described.output },
      events,
    );
    const story = await executionStory(item.flow, facts, this.deps.store);
    if (status === item.status) this.stories.set(item.executionArn, { key, story });
    return story;
  }

  async statusOf(item: ExecutionItem): Promise<RowStatus> {
    const key = statusKey(item);
    const cached = this.statuses.get(item.executionArn);
    if (cached && cached.key === key) {
      if (TERMINAL.has(item.status)) return cached.status;
      // A hold ends at a known time: until then nothing can change.
      const { waitEndsAt } = cached.status;
      if (cached.status.status === "waiting" && waitEndsAt !== undefined && this.deps.clock() < waitEndsAt) {
        return cached.status;
      }
    }
    const sfn = this.flowOf(item).sfn;
    let status: RowStatus;
    if (item.status === "SUCCEEDED") {
      const { skipped } = await this.storyOf(item);
      status = skipped > 0 ? { status: "skipped", skipped } : { status: successOf(item.flow) };
    } else if (TERMINAL.has(item.status)) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
      status = stoppedStatus(item.status, out?.error, out?.cause, successOf(item.flow)) ?? {
        status: "failed",
      };
      // Where it ended: the last state entered.
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: item.executionArn,
          reverseOrder: true,
          maxResults: LAST_EVENTS,
        }),
      );
      status.state = lastStateOf(events);
    } else {
      const { events = [] } = await sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: item.executionArn,
          reverseOrder: true,
          maxResults: RECENT_EVENTS,
        }),
      );
      status = runningStatus(events, await this.deps.holds(item.flow));
      // Deep in a run of retries the state's entry is out of the window: keep the state seen before.
      if (status.state === undefined && cached?.key === key) status.state = cached.status.state;
    }
    this.statuses.set(item.executionArn, { key, status });
    return status;
  }

  /** After an action the next read must not trust what was learned before. */
  forget(executionArn: string): void {
    this.statuses.set(executionArn, { key: "", status: { status: "running" } });
  }

  private flowOf(item: ExecutionItem): FlowTarget {
    const flow = this.deps.flows.find((candidate) => candidate.id === item.flow);
    if (!flow) throw new Error(`no flow ${item.flow}`);
    return flow;
  }
}

function statusKey(item: ExecutionItem): string {
  return `${item.status}|${item.redriveCount}`;
}

function matches(item: ExecutionItem, story: ExecutionStory, needle: string): boolean {
  return [item.name, story.title, story.outcome].some((value) => value?.toLocaleLowerCase().includes(needle));
}
