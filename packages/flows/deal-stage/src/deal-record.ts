import { type ObjectStore, RawEventMissing } from "@leadrelay/core";
import { type Deal, parseDealBody } from "./domain/deal";
import { DealRecordInvalid } from "./domain/errors";

/**
 * The deal a Task works on, read from the body ingest stored (executions carry keys, not bodies:
 * the customer's email and phone never appear in an execution history). It must still be the
 * deal and stage the execution was started for.
 */
export async function loadDeal(
  store: ObjectStore,
  input: { rawKey: string; dealId: string; status: string },
): Promise<Deal> {
  const raw = await store.get(input.rawKey);
  if (raw === undefined) throw new RawEventMissing(input.rawKey);
  const verdict = parseDealBody(raw);
  if (!verdict.ok) throw new DealRecordInvalid(input.rawKey, verdict.reason);
  const { deal } = verdict;
  if (deal.dealId !== input.dealId || deal.status !== input.status.toLowerCase()) {
    throw new DealRecordInvalid(input.rawKey, `it holds deal ${deal.dealId} at ${deal.status}`);
  }
  return deal;
}
