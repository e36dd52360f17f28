import {
  type EnrichedRecord,
  enrichedKey,
  type MergedLead,
  mergeLead,
  type ObjectStore,
  RawEventMissing,
} from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { MergeInput } from "./task-input";

/** Deterministic: the same input writes the same object, so a retry or a replay is harmless. */
export function createMergeAndStore(deps: { store: ObjectStore }) {
  return async (event: unknown): Promise<MergedLead & { enrichedKey: string }> => {
    const input = MergeInput.parse(event);
    const body = await deps.store.get(input.rawKey);
    if (body === undefined) throw new RawEventMissing(input.rawKey);
    const merged = mergeLead(input.lead, input.owner, input.receivedAt);
    const record: EnrichedRecord = { ...merged, raw: JSON.parse(body), ownerRecord: input.owner };
    const key = enrichedKey(input.leadId);
    await deps.store.put(key, `${JSON.stringify(record, null, 2)}\n`);
    return { ...merged, enrichedKey: key };
  };
}

export const build: HandlerBuild = (env, kit) => createMergeAndStore({ store: storeFromEnv(env, kit) });
export const handler = taskHandler("merge-and-store", build);
