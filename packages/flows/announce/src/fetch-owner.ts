import type { OwnerDirectory, OwnerRecord } from "@leadrelay/core";
import { createHttpOwnerDirectory } from "@leadrelay/functions/adapters/owner-directory";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { ExecutionInput } from "./task-input";

/** One lookup per invocation; waiting for the owner is the state machine's Retry, not a loop here. */
export function createFetchOwner(deps: { owners: OwnerDirectory }) {
  return async (event: unknown): Promise<OwnerRecord> => {
    const input = ExecutionInput.parse(event);
    return deps.owners.lookup(input.leadId);
  };
}

export const build: HandlerBuild = (env) => {
  const config = readConfig(["OWNER_BASE_URL", "HTTP_TIMEOUT_MS"], env);
  return createFetchOwner({
    owners: createHttpOwnerDirectory(config.OWNER_BASE_URL, { timeoutMs: config.HTTP_TIMEOUT_MS }),
  });
};
export const handler = taskHandler("fetch-owner", build);
