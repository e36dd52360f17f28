import type { Clock, ObjectStore } from "@leadrelay/core";

/**
 * An external write done at most once per key across retries, redrives, replays and duplicate
 * webhooks: a marker is created conditionally ("sending") before the call and turned into "sent"
 * with the call's result after it. A definite refusal removes the marker so the state machine's
 * Retry may try again; a marker left in "sending" (a Lambda cut off mid-call) means the vendor may
 * or may not have acted: not repeated — unless the vendor dedups by an idempotency key still
 * within its window, then the call is safely made again with the same key.
 */

export interface Marker<R> {
  status: "sending" | "sent";
  at: string;
  result?: R;
}

export type OnceOutcome<R> =
  | { status: "sent"; at: string; result: R }
  | { status: "already-sent"; at: string; result: R }
  /** An earlier attempt began the call and never confirmed it: not repeated. */
  | { status: "uncertain"; since: string };

export interface OnceOptions {
  clock?: Clock;
  /** The vendor dedups on our idempotency key for this long: a dangling "sending" younger than it is retried. */
  idempotencyWindowMs?: number;
  /**
   * Errors after which the vendor surely did nothing (the marker is removed so a Retry may try
   * again). Default: every error but an unanswered call (a timeout), after which it may have acted.
   */
  definitelyNotDone?: (error: unknown) => boolean;
}

export async function atMostOnce<R>(
  store: ObjectStore,
  key: string,
  call: () => Promise<R>,
  options: OnceOptions = {},
): Promise<OnceOutcome<R>> {
  const clock = options.clock ?? Date.now;
  const sending: Marker<R> = { status: "sending", at: new Date(clock()).toISOString() };
  // The conditional create is the check: on the happy path one write, no read.
  if ((await store.putIfAbsent(key, JSON.stringify(sending))) === "exists") {
    const previous = await store.get(key);
    const marker = previous === undefined ? undefined : (JSON.parse(previous) as Marker<R>);
    if (marker?.status === "sent")
      return { status: "already-sent", at: marker.at, result: marker.result as R };
    const since = marker?.at ?? sending.at;
    const window = options.idempotencyWindowMs ?? 0;
    if (clock() - Date.parse(since) >= window) return { status: "uncertain", since };
  }
  let result: R;
  try {
    result = await call();
  } catch (error) {
    const notDone =
      options.definitelyNotDone ?? ((failure: unknown) => !(failure as { unanswered?: boolean })?.unanswered);
    if (notDone(error)) await store.delete(key);
    throw error;
  }
  const sent: Marker<R> = { status: "sent", at: new Date(clock()).toISOString(), result };
  await store.put(key, JSON.stringify(sent));
  return { status: "sent", at: sent.at, result };
}
