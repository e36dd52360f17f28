import { type Clock, type ObjectStore, OutboundCallError } from "@leadrelay/core";
import { HubSpotWritePending } from "./domain/errors";
import { mayTakeOver, parseClaim, type WriteClaim } from "./domain/write-claim";

export type WriteOnceResult =
  | { status: "written"; id: string }
  /** Confirmed by an earlier attempt (or another reply's execution): not written again. */
  | { status: "already-written"; id: string }
  /** An earlier attempt was cut off after writing: found in HubSpot, the claim completed. */
  | { status: "recovered"; id: string };

export interface WriteOnceOptions {
  store: ObjectStore;
  key: string;
  /** The reply's business key: who claims. */
  owner: string;
  /** For messages: "the deal of contact 123 for campaign X". */
  what: string;
  /** Looks for the object an earlier attempt may have written. */
  find: () => Promise<string | undefined>;
  /** Whether `find` sees every completed write at once (associations) or lags (search). */
  consistentLookup: boolean;
  staleAfterMs: number;
  write: () => Promise<string>;
  clock: Clock;
}

/** The vendor answered and refused: nothing was written, so the claim can go and a retry can try again. */
function refusedForSure(error: unknown): boolean {
  return error instanceof OutboundCallError && error.status !== undefined && error.status < 500;
}

/**
 * At most once per key across retries, redrives, replays and concurrent replies: claim, write,
 * confirm. A claim found "writing" is first looked for in HubSpot (the earlier attempt may have
 * written before it was cut off); if HubSpot does not show it, the claim is taken over only when
 * that is safe (`mayTakeOver`), otherwise HubSpotWritePending asks the ASL to retry later.
 */
export async function writeOnce(options: WriteOnceOptions): Promise<WriteOnceResult> {
  const { store, key, owner, clock } = options;
  const claim = (status: WriteClaim["status"], id?: string): string =>
    JSON.stringify({ status, at: new Date(clock()).toISOString(), by: owner, ...(id ? { id } : {}) });

  async function writeNow(): Promise<WriteOnceResult> {
    let id: string;
    try {
      id = await options.write();
    } catch (error) {
      if (refusedForSure(error)) await store.delete(key);
      throw error;
    }
    await store.put(key, claim("written", id));
    return { status: "written", id };
  }

  if ((await store.putIfAbsent(key, claim("writing"))) === "created") return writeNow();
  const existing = parseClaim(await store.get(key));
  if (existing === undefined) {
    // Removed between our two calls (a refused write of another attempt): claim afresh.
    if ((await store.putIfAbsent(key, claim("writing"))) === "created") return writeNow();
    throw new HubSpotWritePending(options.what, new Date(clock()).toISOString());
  }
  if (existing.status === "written" && existing.id) return { status: "already-written", id: existing.id };
  const found = await options.find();
  if (found !== undefined) {
    await store.put(key, claim("written", found));
    return { status: "recovered", id: found };
  }
  const takeOver = mayTakeOver(existing, {
    owner,
    now: clock(),
    staleAfterMs: options.staleAfterMs,
    consistentLookup: options.consistentLookup,
  });
  if (!takeOver) throw new HubSpotWritePending(options.what, existing.at);
  await store.put(key, claim("writing"));
  return writeNow();
}
