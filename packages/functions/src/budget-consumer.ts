import { observeOutboundCalls } from "./http-client";
import type { Logger } from "./log";
import { metricFields } from "./metric-line";
import {
  type AnswerVerdict,
  type BudgetCalls,
  type BudgetName,
  budgetOfCall,
  nextStart,
  type Rate,
  type VendorHold,
  verdictOfAnswer,
} from "./vendor-budget";

/**
 * A budgeted Task on AWS (flow-spec.ts `withVendorBudgets`): Step Functions puts `{taskToken,
 * input}` on the Task's queue and waits; this consumer — the Task's own Lambda, fed by an SQS event
 * source (batch size 1, partial batch responses, a maximum concurrency) — reserves the calls in the
 * vendors' shared sliding windows (one DynamoDB item per vendor), runs the Task's handler when its
 * reservation is due, and answers the token with the handler's result or its error (the Lambda's
 * error name, a Lambda-shaped cause), so the ASL's Retry and Catch see what a Lambda Task would.
 * A reservation in the future, or a 429 (which holds every call to the vendor until its reset),
 * puts the message back on the queue with that delay: the wait happens in SQS, not in Lambda, and
 * costs no state transition. A token that is no longer waited for (the Task timed out, the
 * execution stopped) is checked with a heartbeat BEFORE the vendor is called, and dropped.
 */

export interface BudgetMessage {
  taskToken: string;
  /** The Task's id (set by the rewritten definition): names it in the shared dead-letter queue. */
  task?: string;
  input: unknown;
  /** When this call's budget was reserved for (epoch ms): set on a message put back to wait. */
  reservedAt?: number;
  /** How many times a 429 put it back (bounded like a DLQ's maxReceiveCount). */
  requeues?: number;
}

/** The vendors' shared windows (DynamoDB on AWS, a Map in tests). */
export interface BudgetStore {
  /** Reserves `n` calls at the earliest time the budget and the vendor's hold allow; that time. */
  reserve(name: BudgetName, n: number, rate: Rate | undefined, now: number): Promise<number>;
  /** What an answer means for every caller (a hold, an allowance, a stop); true when this call stopped the vendor. */
  record(name: BudgetName, verdict: AnswerVerdict, now: number): Promise<boolean>;
  /** Why the vendor is stopped (a used-up quota), if it is. */
  stopped(name: BudgetName, now: number): Promise<string | undefined>;
}

/** The Step Functions and SQS calls the consumer makes (SDK clients on AWS, fakes in tests). */
export interface BudgetCallbacks {
  heartbeat(taskToken: string): Promise<void>;
  succeed(taskToken: string, output: string): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  /** Puts the message back on the Task's queue, visible after `delaySeconds` (≤ 900). */
  requeue(body: string, delaySeconds: number): Promise<void>;
}

/** The metric a vendor's quota stop counts in (EMF; the stacks alarm on it per vendor). */
export const VENDOR_QUOTA_STOPPED_METRIC = "VendorQuotaStopped";

export interface BudgetConsumerOptions {
  calls: BudgetCalls;
  rates: ReadonlyMap<BudgetName, Rate>;
  store: BudgetStore;
  callbacks: BudgetCallbacks;
  handler: (input: unknown) => Promise<unknown>;
  log: Logger;
  /** The stage, a dimension of the metrics this emits (SST_STAGE on AWS). */
  stage?: string;
  now?: () => number;
  maxRequeues?: number;
}

/** A reservation this close is run at once: SQS delays are whole seconds. */
const RUN_WITHIN_MS = 250;
const MAX_DELAY_SECONDS = 900;
const DEFAULT_MAX_REQUEUES = 10;
/** The token is no longer waited for: drop the message, never call the vendor for it. */
const LATE_TOKEN = new Set(["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"]);

/** Step Functions' answer that a token is no longer waited for (the Task timed out, the execution stopped). */
export const isLateTokenError = (error: unknown) => LATE_TOKEN.has((error as { name?: string })?.name ?? "");

export interface SqsRecordLike {
  messageId: string;
  body: string;
}

export function isSqsEvent(
  event: unknown,
): event is { Records: Array<SqsRecordLike & { eventSource: string }> } {
  const records = (event as { Records?: unknown } | undefined)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    (records[0] as { eventSource?: string }).eventSource === "aws:sqs"
  );
}

/** One SQS batch: the ids of the messages to see again (partial batch response). */
export async function consumeBudgetMessages(
  event: { Records: SqsRecordLike[] },
  options: BudgetConsumerOptions,
): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const failures: Array<{ itemIdentifier: string }> = [];
  for (const record of event.Records) {
    try {
      await consumeOne(record, options);
    } catch (error) {
      // SQS, Step Functions or DynamoDB failed: the message comes back after its visibility timeout.
      options.log.error("budget message not handled; it will be delivered again", {
        messageId: record.messageId,
        errorType: (error as Error).name,
        errorMessage: (error as Error).message,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** A budget queue's message, or undefined when it carries no task token. */
export function parseBudgetMessage(body: string): BudgetMessage | undefined {
  try {
    const message = JSON.parse(body) as BudgetMessage;
    return typeof message?.taskToken === "string" && message.taskToken !== "" ? message : undefined;
  } catch {
    return undefined;
  }
}

/** What a Lambda Task's failure carries as its cause: the ASL and the readers see the same on both paths. */
export const lambdaCause = (error: unknown) =>
  JSON.stringify({
    errorType: error instanceof Error ? error.name : "Error",
    errorMessage: error instanceof Error ? error.message : String(error),
  });

async function lateToken(work: () => Promise<void>, log: Logger): Promise<boolean> {
  try {
    await work();
    return false;
  } catch (error) {
    if (!isLateTokenError(error)) throw error;
    log.warn("task token no longer waited for: message dropped", { errorType: (error as Error).name });
    return true;
  }
}

async function consumeOne(record: SqsRecordLike, options: BudgetConsumerOptions) {
  const { log, callbacks, store } = options;
  const now = (options.now ?? Date.now)();
  const message = parseBudgetMessage(record.body);
  if (!message) {
    log.error("budget message without a task token: dropped", { messageId: record.messageId });
    return;
  }
  // Is the execution still waiting? A timed-out or stopped Task's call is never sent.
  if (await lateToken(() => callbacks.heartbeat(message.taskToken), log)) return;

  const budgeted = (Object.keys(options.calls) as BudgetName[]).filter(
    (name) => (options.calls[name] ?? 0) > 0,
  );
  for (const name of budgeted) {
    const reason = await store.stopped(name, now);
    if (reason) {
      await lateToken(
        () =>
          callbacks.fail(message.taskToken, "ServiceQuotaExhausted", lambdaCause(quotaError(name, reason))),
        log,
      );
      return;
    }
  }
  let at = message.reservedAt;
  if (at === undefined) {
    at = now;
    for (const name of budgeted) {
      at = Math.max(at, await store.reserve(name, options.calls[name] ?? 1, options.rates.get(name), now));
    }
  }
  if (at - now > RUN_WITHIN_MS) {
    await putBack(message, at, now, options);
    return;
  }

  const verdicts: Array<[BudgetName, AnswerVerdict]> = [];
  const stopObserving = observeOutboundCalls((call) => {
    const name = budgetOfCall(call.service, call.path ?? "");
    if (name) verdicts.push([name, verdictOfAnswer(call, (options.now ?? Date.now)())]);
  });
  let output: unknown;
  let failure: unknown;
  try {
    output = await options.handler(message.input);
  } catch (error) {
    failure = error;
  } finally {
    stopObserving();
  }
  for (const [name, verdict] of verdicts) {
    const at = (options.now ?? Date.now)();
    if (await store.record(name, verdict, at)) {
      // The one consumer that stopped the vendor says so, once: an EMF line, so the stop is a metric
      // (VendorQuotaStopped by Stage and Vendor) that the stage's alarm watches.
      log.error("vendor quota used up: its calls stop until the reset", {
        alert: "VendorQuotaExhausted",
        vendor: name,
        reason: verdict.quota,
        ...metricFields(VENDOR_QUOTA_STOPPED_METRIC, { Stage: options.stage ?? "local", Vendor: name }, at),
      });
    }
  }
  if (failure === undefined) {
    await lateToken(() => callbacks.succeed(message.taskToken, JSON.stringify(output ?? null)), log);
    return;
  }
  const refused = failure as { name?: string; service?: string };
  const requeues = message.requeues ?? 0;
  if (
    refused.name === "ServiceRateLimited" &&
    budgeted.some(
      (name) => name === refused.service || (name === "hubspot-search" && refused.service === "hubspot"),
    ) &&
    requeues < (options.maxRequeues ?? DEFAULT_MAX_REQUEUES)
  ) {
    // A 429 is a refusal, not an execution failure: back in line after the vendor's reset.
    const name = budgeted.find((budget) => budget === refused.service) ?? (budgeted[0] as BudgetName);
    const retryAt = await store.reserve(
      name,
      options.calls[name] ?? 1,
      options.rates.get(name),
      (options.now ?? Date.now)(),
    );
    await putBack(
      { ...message, requeues: requeues + 1 },
      retryAt,
      (options.now ?? Date.now)(),
      options,
      true,
    );
    return;
  }
  await lateToken(
    () => callbacks.fail(message.taskToken, (failure as Error).name ?? "Error", lambdaCause(failure)),
    log,
  );
}

async function putBack(
  message: BudgetMessage,
  at: number,
  now: number,
  options: BudgetConsumerOptions,
  refused = false,
) {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil((at - now) / 1000)));
  options.log.info(refused ? "vendor refused: back in line" : "waiting for budget", { delaySeconds });
  await options.callbacks.requeue(JSON.stringify({ ...message, reservedAt: at }), delaySeconds);
}

function quotaError(service: string, reason: string): Error {
  const error = new Error(`${service} quota is used up: ${reason}`);
  error.name = "ServiceQuotaExhausted";
  return error;
}

// ── the shared window as data (one record per vendor) ───────────────────────

export interface BudgetRecord {
  starts: number[];
  hold: VendorHold;
  stoppedUntil?: number;
  stopReason?: string;
}

/** A reservation on a vendor's record: when, and the record after it (reservations are in time order). */
export function reserveOn(
  record: BudgetRecord,
  n: number,
  rate: Rate | undefined,
  now: number,
): { at: number; record: BudgetRecord } {
  const starts = rate ? record.starts.filter((start) => start > now - rate.windowMs) : [];
  const hold: VendorHold = { ...record.hold };
  if (hold.allowance && hold.allowance.resetAt <= now) hold.allowance = undefined;
  // Never before an earlier reservation: first come, first served, and the window arithmetic holds.
  const from = Math.max(now, starts.at(-1) ?? now);
  const at = nextStart(starts, n, rate, hold, from);
  if (hold.allowance && at < hold.allowance.resetAt)
    hold.allowance = { ...hold.allowance, remaining: hold.allowance.remaining - n };
  return { at, record: { ...record, hold, starts: rate ? [...starts, ...Array(n).fill(at)] : [] } };
}

/** The record after an answer's verdict; `stopped` when this verdict is the one that stopped the vendor. */
export function recordVerdict(
  record: BudgetRecord,
  verdict: AnswerVerdict,
  now: number,
  quotaStopUntil: number,
): { record: BudgetRecord; stopped: boolean } {
  const next: BudgetRecord = { ...record, hold: { ...record.hold } };
  let stopped = false;
  if (verdict.quota && !(record.stoppedUntil !== undefined && record.stoppedUntil > now)) {
    next.stoppedUntil = quotaStopUntil;
    next.stopReason = verdict.quota;
    stopped = true;
  }
  if (verdict.pauseUntil !== undefined)
    next.hold.pausedUntil = Math.max(record.hold.pausedUntil ?? 0, verdict.pauseUntil);
  if (verdict.allowance) next.hold.allowance = verdict.allowance;
  return { record: next, stopped };
}
