import type { ExecutionListItem, ExecutionStatus } from "@aws-sdk/client-sfn";
import type { FlowTarget } from "./console-flows";
import { listExecutions } from "./lead-operations";

/** The ListExecutions fields a row needs, with its flow and dates as epoch ms. */
export interface ExecutionItem {
  flow: string;
  name: string;
  executionArn: string;
  status: string;
  startDate: number;
  stopDate?: number;
  redriveCount: number;
}

/** Where one flow's listing continues: the ListExecutions page (its nextToken) and the items of it already shown. */
interface FlowPosition {
  t?: string;
  o: number;
}

/** The position of every flow not exhausted yet, for the flows `s` names (a flow left out is exhausted). */
interface Cursor {
  s: string;
  f: Record<string, FlowPosition>;
}

export class BadCursor extends Error {
  override readonly name = "BadCursor";
}

const signatureOf = (flows: readonly { id: string }[]) => flows.map((flow) => flow.id).join(",");

export function decodeCursor(
  text: string | undefined,
  flows: readonly { id: string }[],
): Record<string, FlowPosition> {
  if (!text) return Object.fromEntries(flows.map((flow) => [flow.id, { o: 0 }]));
  let value: Partial<Cursor>;
  try {
    value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Cursor>;
  } catch {
    throw new BadCursor("cursor is not one this console handed out");
  }
  if (value?.s !== signatureOf(flows)) {
    throw new BadCursor("cursor belongs to another choice of flows: start from the first page");
  }
  const positions: Record<string, FlowPosition> = {};
  for (const flow of flows) {
    const position = value.f?.[flow.id];
    if (position === undefined) continue;
    if (
      (position.t !== undefined && typeof position.t !== "string") ||
      !Number.isInteger(position.o) ||
      position.o < 0
    ) {
      throw new BadCursor("cursor is not one this console handed out");
    }
    positions[flow.id] = { t: position.t, o: position.o };
  }
  return positions;
}

const toMs = (value: Date | number | undefined) => (value instanceof Date ? value.getTime() : value);

export function toItem(flow: string, execution: ExecutionListItem): ExecutionItem {
  return {
    flow,
    name: execution.name ?? "",
    executionArn: execution.executionArn ?? "",
    status: execution.status ?? "RUNNING",
    startDate: toMs(execution.startDate) ?? 0,
    stopDate: toMs(execution.stopDate),
    redriveCount: execution.redriveCount ?? 0,
  };
}

interface FlowStream {
  target: FlowTarget;
  index: number;
  position: FlowPosition;
  /** Items of the loaded page from `position.o` on. */
  buffer: ExecutionItem[];
  loaded: boolean;
  nextToken?: string;
  done: boolean;
}

/**
 * The executions of several state machines as one list, newest first: a k-way merge of their
 * ListExecutions pages by start date (ties: flow order). Each flow's position is its own
 * ListExecutions `nextToken` plus how many items of that page were shown, so a cursor taken after
 * any item continues exactly there, for every flow, without a full scan. Pages are read only when
 * the merge needs their next item.
 */
export class MergedExecutions {
  private readonly streams: FlowStream[];
  private readonly signature: string;
  /** ListExecutions calls made. */
  calls = 0;

  constructor(
    flows: readonly FlowTarget[],
    private readonly options: { status?: ExecutionStatus; cursor?: string; batch: number },
  ) {
    const positions = decodeCursor(options.cursor, flows);
    this.signature = signatureOf(flows);
    this.streams = flows.map((target, index) => {
      const position = positions[target.id];
      return {
        target,
        index,
        position: position ?? { o: 0 },
        buffer: [],
        loaded: false,
        done: position === undefined,
      };
    });
  }

  private async load(stream: FlowStream): Promise<void> {
    while (!stream.done && stream.buffer.length === 0) {
      if (stream.loaded) {
        if (!stream.nextToken) {
          stream.done = true;
          return;
        }
        stream.position = { t: stream.nextToken, o: 0 };
        stream.loaded = false;
      }
      // The same token starts the page at the same item, whatever maxResults: ask for enough to pass the offset.
      const page = await listExecutions(stream.target, {
        status: this.options.status,
        maxResults: Math.min(1000, stream.position.o + this.options.batch),
        nextToken: stream.position.t,
      });
      this.calls++;
      stream.loaded = true;
      stream.nextToken = page.nextToken;
      stream.buffer = page.executions.slice(stream.position.o).map((item) => toItem(stream.target.id, item));
    }
  }

  /** The next execution, newest first, and the cursor that continues right after it (none: the end). */
  async next(): Promise<{ item: ExecutionItem; after: string | undefined } | undefined> {
    await Promise.all(this.streams.filter((stream) => stream.buffer.length === 0).map((s) => this.load(s)));
    let newest: FlowStream | undefined;
    for (const stream of this.streams) {
      const head = stream.buffer[0];
      if (!head) continue;
      const best = newest?.buffer[0];
      if (!best || head.startDate > best.startDate) newest = stream;
    }
    const item = newest?.buffer.shift();
    if (!newest || !item) return undefined;
    newest.position = { t: newest.position.t, o: newest.position.o + 1 };
    if (newest.buffer.length === 0 && !newest.nextToken) newest.done = true;
    return { item, after: this.cursor() };
  }

  /** The cursor of the current position; undefined once every flow is exhausted. */
  cursor(): string | undefined {
    const f: Record<string, FlowPosition> = {};
    for (const stream of this.streams) {
      if (stream.done) continue;
      // A page read to its end continues at its nextToken.
      f[stream.target.id] =
        stream.loaded && stream.buffer.length === 0 && stream.nextToken
          ? { o: 0, t: stream.nextToken }
          : stream.position;
    }
    if (Object.keys(f).length === 0) return undefined;
    return Buffer.from(JSON.stringify({ s: this.signature, f } satisfies Cursor)).toString("base64url");
  }
}
