import { DescribeExecutionCommand, GetExecutionHistoryCommand } from "@aws-sdk/client-sfn";
import {
  enrichedKey,
  leadIdOfExecutionName,
  type ObjectStore,
  REPLAY_SEPARATOR,
  rawEventKey,
} from "@leadrelay/core";
import { BoundedCache, mapWithConcurrency } from "./bounded-concurrency";
import { describeExecution, executionArnOf, type LeadTarget, listExecutions } from "./lead-operations";
import { emptyFacts, factsFromEnriched, factsFromRaw, type LeadFacts } from "./lead-record";
import {
  executionFilterOf,
  type HoldOf,
  type LeadStatus,
  type RowStatus,
  runningStatus,
  stoppedStatus,
} from "./row-status";

/** The ListExecutions fields a row needs, with dates as epoch ms. */
export interface ExecutionItem {
  name: string;
  executionArn: string;
  status: string;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
}

export interface LeadRow extends RowStatus {
  name: string;
  leadId: string;
  executionArn: string;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
  replay: boolean;
  lead: Omit<LeadFacts, "leadId" | "closeUrl" | "statusLabel" | "email">;
}

export interface ListQuery {
  status?: LeadStatus;
  q?: string;
  pageSize: number;
  cursor?: string;
}

export interface LeadPage {
  rows: LeadRow[];
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
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"]);

const toMs = (value: Date | number | undefined) => (value instanceof Date ? value.getTime() : value);

interface Cursor {
  /** ListExecutions nextToken of the page to read (none: the first page). */
  t?: string;
  /** Items of that page already shown. */
  o: number;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

export class BadCursor extends Error {
  override readonly name = "BadCursor";
}

function decodeCursor(text: string | undefined): Cursor {
  if (!text) return { o: 0 };
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>;
    if (
      (value.t === undefined || typeof value.t === "string") &&
      Number.isInteger(value.o) &&
      (value.o ?? -1) >= 0
    ) {
      return { t: value.t, o: value.o as number };
    }
  } catch {
    // fall through
  }
  throw new BadCursor("cursor is not one this console handed out");
}

export interface LeadListDeps {
  target: LeadTarget;
  store: ObjectStore;
  holds: () => Promise<HoldOf>;
  clock: () => number;
  /** Step Functions and S3 calls in flight at once for one page. */
  concurrency: number;
}

/**
 * The list view's data: ListExecutions pages (never a full scan), each row completed from the
 * lead's stored objects and, for running executions, the last few history events. Stopped
 * executions never change (until a redrive, which changes their status and redrive count), so
 * what is learned about them is kept.
 */
export class LeadList {
  private readonly statuses = new BoundedCache<string, { key: string; status: RowStatus }>(50_000);
  private readonly enriched = new BoundedCache<string, LeadFacts>(50_000);
  private readonly raw = new BoundedCache<string, LeadFacts>(50_000);
  /** Executions known to have stopped without an enriched record: no need to look again. */
  private readonly withoutEnriched = new BoundedCache<string, true>(50_000);

  constructor(private readonly deps: LeadListDeps) {}

  async page(query: ListQuery): Promise<LeadPage> {
    const q = query.q?.trim() ?? "";
    if (q.startsWith("lead_") && EXECUTION_NAME.test(q)) {
      const found = await this.lookup(q, query.status);
      if (found) return found;
    }
    const { statusFilter, derived } = executionFilterOf(query.status);
    const needle = q.toLocaleLowerCase();
    const scanning = derived || needle !== "";
    const accept = async (item: ExecutionItem): Promise<LeadRow | undefined> => {
      if (derived && (await this.statusOf(item)).status !== query.status) return undefined;
      if (needle && !matches(item, await this.factsOf(item), needle)) return undefined;
      return this.row(item);
    };

    const rows: LeadRow[] = [];
    let cursor = decodeCursor(query.cursor);
    let scanned = 0;
    for (;;) {
      const page = await listExecutions(this.deps.target, {
        status: statusFilter as never,
        maxResults: scanning ? SCAN_PAGE : query.pageSize,
        nextToken: cursor.t,
      });
      const items = page.executions.slice(cursor.o).map(toItem);
      const accepted = await mapWithConcurrency(items, this.deps.concurrency, accept);
      for (const [index, row] of accepted.entries()) {
        if (!row) continue;
        rows.push(row);
        if (rows.length === query.pageSize) {
          const shown = cursor.o + index + 1;
          const next =
            shown < page.executions.length
              ? { t: cursor.t, o: shown }
              : page.nextToken
                ? { t: page.nextToken, o: 0 }
                : undefined;
          return this.result(rows, next, scanned + index + 1, false);
        }
      }
      scanned += items.length;
      if (!page.nextToken) return this.result(rows, undefined, scanned, false);
      cursor = { t: page.nextToken, o: 0 };
      if (!scanning) return this.result(rows, cursor, scanned, false);
      if (scanned >= SCAN_LIMIT) return this.result(rows, cursor, scanned, true);
    }
  }

  private result(
    rows: LeadRow[],
    next: Cursor | undefined,
    scanned: number,
    scanLimitReached: boolean,
  ): LeadPage {
    return {
      rows,
      cursor: next ? encodeCursor(next) : undefined,
      scanned,
      scanLimit: SCAN_LIMIT,
      scanLimitReached,
    };
  }

  /** A lead id or execution name: one DescribeExecution instead of a search. */
  private async lookup(name: string, status: LeadStatus | undefined): Promise<LeadPage | undefined> {
    let out: Awaited<ReturnType<typeof describeExecution>>;
    try {
      out = await describeExecution(this.deps.target, name);
    } catch (error) {
      if (error instanceof Error && error.name === "ExecutionDoesNotExist") return undefined;
      throw error;
    }
    const item: ExecutionItem = {
      name,
      executionArn: out.executionArn ?? executionArnOf(this.deps.target.stateMachineArn, name),
      status: out.status ?? "RUNNING",
      startDate: toMs(out.startDate) ?? 0,
      stopDate: toMs(out.stopDate),
      redriveCount: out.redriveCount ?? 0,
    };
    const stopped = stoppedStatus(item.status, out.error, out.cause);
    if (stopped) this.statuses.set(name, { key: statusKey(item), status: stopped });
    const row = await this.row(item);
    const rows = status === undefined || row.status === status ? [row] : [];
    return { rows, scanned: 1, scanLimit: SCAN_LIMIT, scanLimitReached: false, lookup: "direct" };
  }

  async row(item: ExecutionItem): Promise<LeadRow> {
    // Status first: a waiting lead has no enriched record yet, so factsOf need not look for one.
    const status = await this.statusOf(item);
    const facts = await this.factsOf(item);
    return {
      ...status,
      name: item.name,
      leadId: facts.leadId,
      executionArn: item.executionArn,
      startDate: item.startDate,
      stopDate: item.stopDate,
      redriveCount: item.redriveCount,
      replay: item.name.includes(REPLAY_SEPARATOR),
      lead: {
        name: facts.name,
        owner: facts.owner,
        funnel: facts.funnel,
        createdAt: facts.createdAt,
        from: facts.from,
      },
    };
  }

  async statusOf(item: ExecutionItem): Promise<RowStatus> {
    const key = statusKey(item);
    const cached = this.statuses.get(item.name);
    if (cached && cached.key === key) {
      if (TERMINAL.has(item.status)) return cached.status;
      // A hold ends at a known time: until then nothing can change.
      const { waitEndsAt } = cached.status;
      if (cached.status.status === "waiting" && waitEndsAt !== undefined && this.deps.clock() < waitEndsAt) {
        return cached.status;
      }
    }
    let status: RowStatus;
    if (item.status === "SUCCEEDED") status = { status: "notified" };
    else if (TERMINAL.has(item.status)) {
      const out = await this.deps.target.sfn.send(
        new DescribeExecutionCommand({ executionArn: item.executionArn }),
      );
      status = stoppedStatus(item.status, out.error, out.cause) ?? { status: "failed" };
    } else {
      const { events = [] } = await this.deps.target.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: item.executionArn,
          reverseOrder: true,
          maxResults: RECENT_EVENTS,
        }),
      );
      status = runningStatus(events, await this.deps.holds());
      // Deep in a run of retries the state's entry is out of the window: keep the state seen before.
      if (status.state === undefined && cached?.key === key) status.state = cached.status.state;
    }
    this.statuses.set(item.name, { key, status });
    return status;
  }

  async factsOf(item: ExecutionItem): Promise<LeadFacts> {
    const leadId = leadIdOfExecutionName(item.name);
    const enriched = this.enriched.get(leadId);
    if (enriched) return enriched;
    const settledKey = `${item.name}|${statusKey(item)}`;
    const cachedRaw = this.raw.get(leadId);
    const waiting = this.statuses.get(item.name)?.status.status === "waiting";
    // While a lead waits, or once its execution stopped without one, no enriched record is coming.
    if (cachedRaw && (waiting || this.withoutEnriched.get(settledKey))) return cachedRaw;
    const enrichedBody = await this.deps.store.get(enrichedKey(leadId));
    const fromEnriched = enrichedBody === undefined ? undefined : factsFromEnriched(leadId, enrichedBody);
    if (fromEnriched) {
      this.enriched.set(leadId, fromEnriched);
      return fromEnriched;
    }
    if (TERMINAL.has(item.status)) this.withoutEnriched.set(settledKey, true);
    if (cachedRaw) return cachedRaw;
    const rawBody = await this.deps.store.get(rawEventKey(leadId));
    const fromRaw = (rawBody === undefined ? undefined : factsFromRaw(leadId, rawBody)) ?? emptyFacts(leadId);
    if (rawBody !== undefined) this.raw.set(leadId, fromRaw);
    return fromRaw;
  }

  /** After an action the next read must not trust what was learned before. */
  forget(name: string): void {
    this.statuses.set(name, { key: "", status: { status: "running" } });
  }
}

function statusKey(item: ExecutionItem): string {
  return `${item.status}|${item.redriveCount}`;
}

function toItem(execution: {
  name?: string;
  executionArn?: string;
  status?: string;
  startDate?: Date;
  stopDate?: Date;
  redriveCount?: number;
}): ExecutionItem {
  return {
    name: execution.name ?? "",
    executionArn: execution.executionArn ?? "",
    status: execution.status ?? "RUNNING",
    startDate: toMs(execution.startDate) ?? 0,
    stopDate: toMs(execution.stopDate),
    redriveCount: execution.redriveCount ?? 0,
  };
}

function matches(item: ExecutionItem, facts: LeadFacts, needle: string): boolean {
  return [item.name, facts.name, facts.owner].some((value) => value?.toLocaleLowerCase().includes(needle));
}
