import { AsyncLocalStorage } from "node:async_hooks";
import { ServiceQuotaExhausted } from "@leadrelay/core";
import {
  type OutboundObserver,
  type OutboundStartObserver,
  observeOutboundCalls,
  observeOutboundStarts,
} from "@leadrelay/functions";
import {
  applicableBudgets,
  type BudgetCalls,
  type BudgetName,
  budgetOfCall,
  formatRate,
  nextStart,
  pruneStarts,
  type Rate,
  type VendorHold,
  verdictOfAnswer,
} from "@leadrelay/functions/vendor-budget";

/**
 * The local runtime's vendor budgets: one in-process sliding window per vendor, shared by every
 * flow, the local counterpart of the SQS queue and DynamoDB window on AWS. A Task that calls a
 * vendor waits here for its calls' budget BEFORE it takes a task slot, so a vendor's queue never
 * holds the slots other flows need. A 429 holds every call to that vendor until its reset and
 * puts the Task back in line (a requeue, not a failure); the vendor's rate-limit headers can
 * lower its budget, never raise it; a used-up daily quota stops the vendor's calls and alerts once.
 */

interface Waiter {
  n: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface VendorState {
  rate?: Rate;
  /** The rate the vendor's own headers announce: it lowers `rate`, never raises it. */
  announced?: Rate;
  starts: number[];
  hold: VendorHold;
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
  /** Calls admitted and not yet answered (headers count them as not yet seen by the vendor). */
  inFlight: number;
  /** Tasks admitted and not yet done. */
  running: number;
  /** Calls admitted whose Task has not started yet (it waits for a slot): counted as starting now. */
  pending: number;
  stopped?: { reason: string; until: number };
}

export interface VendorGateOptions {
  now?: () => number;
  /** A vendor's quota is used up (called once per stop). */
  onQuota?: (budget: BudgetName, reason: string) => void;
  /** A Task put back in line after a 429 (logs, metrics). */
  onRequeue?: (budget: BudgetName, attempt: number) => void;
  /** How long a used-up quota stops a vendor (default: until the next midnight UTC). */
  quotaStopMs?: number;
  /** Requeues after a 429 before the error goes to the Task's own Retry (default 10, like a DLQ's maxReceiveCount). */
  maxRequeues?: number;
  /**
   * Tasks calling a vendor with no budget at once (default 4, the runtime's task slots): until its
   * answers tell its rate, a burst must not reach it all at once through the slots' queue.
   */
  unbudgetedConcurrency?: number;
}

const DEFAULT_MAX_REQUEUES = 10;
const DEFAULT_UNBUDGETED_CONCURRENCY = 4;

const nextMidnightUtc = (now: number) => {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
};

/** The calls an admitted Task may still send, by budget: its HTTP calls are counted against them. */
type Admission = Map<BudgetName, number>;

export class VendorGates {
  private readonly vendors = new Map<BudgetName, VendorState>();
  /** Which admission the code running now belongs to (a Task's handler and every call it makes). */
  private readonly admissions = new AsyncLocalStorage<Admission>();
  private readonly now: () => number;
  private closed = false;

  constructor(
    budgets: ReadonlyMap<BudgetName, Rate>,
    private readonly options: VendorGateOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    for (const [name, rate] of budgets) this.vendor(name).rate = rate;
  }

  private vendor(name: BudgetName): VendorState {
    let state = this.vendors.get(name);
    if (!state) {
      state = { starts: [], hold: {}, waiters: [], inFlight: 0, running: 0, pending: 0 };
      this.vendors.set(name, state);
    }
    return state;
  }

  /** The budget of a vendor (tests, the console). */
  rateOf(name: BudgetName): Rate | undefined {
    return this.vendors.get(name)?.rate;
  }

  /**
   * Runs `work` once the budgets of its calls allow it; a 429 from a budgeted vendor holds the
   * vendor and runs it again when its turn comes back (its call was refused, so it is sent once).
   * `inSlot` is where the work waits for a task slot AFTER its budget: its calls count from when it
   * really starts, so a slow slot queue cannot bunch them up at the vendor.
   */
  async admit<T>(
    calls: BudgetCalls,
    work: () => Promise<T>,
    inSlot: (run: () => Promise<T>) => Promise<T> = (run) => run(),
  ): Promise<T> {
    const names = (Object.keys(calls) as BudgetName[]).filter((name) => (calls[name] ?? 0) > 0).sort();
    if (names.length === 0) return inSlot(work);
    const maxRequeues = this.options.maxRequeues ?? DEFAULT_MAX_REQUEUES;
    for (let attempt = 0; ; attempt++) {
      const taken: BudgetName[] = [];
      const admission: Admission = new Map();
      try {
        for (const name of names) {
          await this.take(name, calls[name] ?? 1);
          taken.push(name);
          admission.set(name, calls[name] ?? 1);
          this.vendor(name).inFlight += calls[name] ?? 1;
        }
        // Its calls count when they are sent (`callStarted`), not when it was admitted.
        return await inSlot(() => this.admissions.run(admission, work));
      } catch (error) {
        // A budgeted vendor's Task is a callback Task: its 429 is a requeue, as on AWS. Without a
        // budget it is a Lambda Task there too: its Retry sees the error (the hold still applies).
        const refused = refusedBy(
          error,
          names.filter((name) => this.vendor(name).rate !== undefined),
        );
        if (refused && attempt < maxRequeues) {
          this.options.onRequeue?.(refused, attempt + 1);
          continue;
        }
        throw error;
      } finally {
        // Declared calls it did not send are no longer on their way.
        for (const [name, unsent] of admission) {
          const state = this.vendor(name);
          state.pending = Math.max(0, state.pending - unsent);
        }
        for (const name of taken) {
          const state = this.vendor(name);
          state.inFlight = Math.max(0, state.inFlight - (calls[name] ?? 1));
          state.running = Math.max(0, state.running - 1);
          if (state.waiters.length > 0) this.pump(state, name);
        }
      }
    }
  }

  /** Waits (in line, first come first served) until `n` calls to `name` may start, and counts them. */
  take(name: BudgetName, n: number): Promise<void> {
    const state = this.vendor(name);
    const stopped = this.stoppedReason(state);
    if (stopped) return Promise.reject(new ServiceQuotaExhausted({ service: name, detail: stopped }));
    if (state.waiters.length === 0 && this.startAt(state, n) <= this.now()) {
      this.start(state, n);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      state.waiters.push({ n, resolve, reject });
      this.pump(state, name);
    });
  }

  /** A call is being sent (the runtime subscribes this to every outbound call): it counts now. */
  readonly callStarted: OutboundStartObserver = (call) => {
    const name = budgetOfCall(call.service, call.path);
    if (!name) return;
    const state = this.vendor(name);
    const admission = this.admissions.getStore();
    const reserved = admission?.get(name) ?? 0;
    if (admission && reserved > 0) {
      admission.set(name, reserved - 1);
      state.pending = Math.max(0, state.pending - 1);
    }
    if (state.rate || state.announced) state.starts.push(this.now());
    if (state.waiters.length > 0) this.pump(state, name);
  };

  /** Feeds what a vendor answered into its hold (the runtime subscribes this to every outbound call). */
  readonly observe: OutboundObserver = (call) => {
    const name = budgetOfCall(call.service, call.path ?? "");
    if (!name) return;
    const state = this.vendor(name);
    const now = this.now();
    const verdict = verdictOfAnswer(call, now);
    // Stopped only where the vendor has a budget: its Tasks wait for it (on AWS too). Without one,
    // each Task's ServiceQuotaExhausted is caught by its ASL, never retried, as on AWS.
    if (verdict.quota && state.rate && !this.stoppedReason(state)) {
      state.stopped = {
        reason: verdict.quota,
        until: this.options.quotaStopMs === undefined ? nextMidnightUtc(now) : now + this.options.quotaStopMs,
      };
      this.options.onQuota?.(name, verdict.quota);
      for (const waiter of state.waiters.splice(0)) {
        waiter.reject(new ServiceQuotaExhausted({ service: name, detail: verdict.quota }));
      }
    }
    if (verdict.pauseUntil !== undefined) {
      state.hold.pausedUntil = Math.max(state.hold.pausedUntil ?? 0, verdict.pauseUntil);
    }
    if (verdict.rate) {
      state.announced = {
        count: verdict.rate.count,
        windowMs: Math.max(verdict.rate.windowMs, state.announced?.windowMs ?? 0),
      };
    }
    if (verdict.allowance) {
      // Calls already on their way are not in the vendor's count yet: they take from what is left.
      const others = Math.max(0, state.inFlight - 1);
      state.hold.allowance = {
        remaining: Math.max(0, verdict.allowance.remaining - others),
        resetAt: verdict.allowance.resetAt,
      };
    }
    if (state.waiters.length > 0) this.pump(state, name);
  };

  /** Whether a vendor is stopped by a used-up quota, and why. */
  stoppedReason(stateOrName: VendorState | BudgetName): string | undefined {
    const state = typeof stateOrName === "string" ? this.vendors.get(stateOrName) : stateOrName;
    if (!state?.stopped) return undefined;
    if (state.stopped.until <= this.now()) {
      state.stopped = undefined;
      return undefined;
    }
    return state.stopped.reason;
  }

  /** Rejects every waiting Task (the runtime is stopping: they resume on the next start). */
  close() {
    this.closed = true;
    for (const [name, state] of this.vendors) {
      clearTimeout(state.timer);
      for (const waiter of state.waiters.splice(0)) {
        waiter.reject(new Error(`the runtime stopped while a Task waited for the ${name} budget`));
      }
    }
  }

  private startAt(state: VendorState, n: number): number {
    const now = this.now();
    const rates = [state.rate, state.announced].filter((rate): rate is Rate => rate !== undefined);
    const longest = rates.reduce<Rate | undefined>(
      (longer, rate) => (longer && longer.windowMs >= rate.windowMs ? longer : rate),
      undefined,
    );
    state.starts = pruneStarts(state.starts, longest, now);
    if (state.hold.allowance && state.hold.allowance.resetAt <= now) state.hold.allowance = undefined;
    if (
      !state.rate &&
      state.running >= (this.options.unbudgetedConcurrency ?? DEFAULT_UNBUDGETED_CONCURRENCY)
    ) {
      // Its next start comes when a running Task ends (pump is called then).
      return Number.POSITIVE_INFINITY;
    }
    if (rates.length === 0) return nextStart(state.starts, n, undefined, state.hold, now);
    // Admitted calls not started yet count as starting now; beyond the budget, wait for them to start.
    if (state.pending > 0 && rates.some((rate) => state.pending + n > rate.count)) {
      return Number.POSITIVE_INFINITY;
    }
    return Math.max(
      ...rates.map((rate) => nextStart(state.starts, state.pending + n, rate, state.hold, now)),
    );
  }

  /** Admitted: it now waits for a slot (its starts are counted when it gets one). */
  private start(state: VendorState, n: number) {
    state.running++;
    state.pending += n;
    if (state.hold.allowance) state.hold.allowance.remaining -= n;
  }

  private pump(state: VendorState, name: BudgetName) {
    if (this.closed) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    for (;;) {
      const head = state.waiters[0];
      if (!head) return;
      const at = this.startAt(state, head.n);
      const wait = at - this.now();
      if (wait === Number.POSITIVE_INFINITY) return;
      if (wait > 0) {
        state.timer = setTimeout(() => this.pump(state, name), Math.max(1, Math.ceil(wait)));
        return;
      }
      state.waiters.shift();
      this.start(state, head.n);
      head.resolve();
    }
  }
}

/** The budget whose vendor refused `error` as throttling, when it is one of this Task's. */
function refusedBy(error: unknown, names: readonly BudgetName[]): BudgetName | undefined {
  const failure = error as { name?: string; service?: string } | undefined;
  if (failure?.name !== "ServiceRateLimited" || typeof failure.service !== "string") return undefined;
  if (failure.service === "hubspot" && names.includes("hubspot-search") && !names.includes("hubspot")) {
    return "hubspot-search";
  }
  return names.find((name) => name === failure.service);
}

/**
 * The runtime's gates from its settings (a bad `<VENDOR>_RATE_LIMIT` stops start-up naming it),
 * fed by every outbound call; a used-up quota is printed and posted once to the alert webhook.
 */
export function startVendorGates(
  settings: Record<string, string | undefined>,
  options: { print: (line: string) => void; alertWebhookUrl: string },
): { gates: VendorGates; stop: () => void } {
  const budgets = applicableBudgets(settings);
  const gates = new VendorGates(budgets, {
    onQuota(budget, reason) {
      const text = `:no_entry: ${budget} quota used up: leadrelay stops calling ${budget} until its reset (${reason})`;
      options.print(`leadrelay: ${text}`);
      fetch(options.alertWebhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(5_000),
      }).catch((error: unknown) => options.print(`leadrelay: quota alert not posted: ${String(error)}`));
    },
  });
  for (const [name, rate] of budgets) options.print(`budget ${name}: ${formatRate(rate)}`);
  const unsubscribe = observeOutboundCalls(gates.observe);
  const unsubscribeStarts = observeOutboundStarts(gates.callStarted);
  return {
    gates,
    stop() {
      unsubscribe();
      unsubscribeStarts();
      gates.close();
    },
  };
}
