import {
  classifyWebhook,
  type LeadSummary,
  type ObjectStore,
  RawEventInvalid,
  RawEventMissing,
  summarizeLead,
} from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { FetchRawInput } from "./task-input";

/** Reads the stored webhook and hands on a small summary of it (never the raw body: 256 KiB state limit). */
export function createFetchRaw(deps: { store: ObjectStore }) {
  return async (event: unknown): Promise<LeadSummary> => {
    const input = FetchRawInput.parse(event);
    const body = await deps.store.get(input.rawKey);
    if (body === undefined) throw new RawEventMissing(input.rawKey);
    const verdict = classifyWebhook(body);
    if (verdict.kind !== "lead-created") {
      throw new RawEventInvalid(input.rawKey, verdict.kind === "invalid" ? verdict.reason : verdict.reason);
    }
    if (verdict.leadId !== input.leadId) {
      throw new RawEventInvalid(input.rawKey, `it is for ${verdict.leadId}, not ${input.leadId}`);
    }
    return summarizeLead(verdict.leadId, verdict.data);
  };
}

export const build: HandlerBuild = (env, kit) => createFetchRaw({ store: storeFromEnv(env, kit) });
export const handler = taskHandler("fetch-raw", build);
