import type { Clock, MemberDirectory, ObjectStore } from "@leadrelay/core";
import { createMemberDirectory } from "@leadrelay/functions/adapters/member-directory";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { leadRecordKey } from "./domain/keys";
import { type Category, categoryOf, type Membership, membershipOf } from "./domain/membership";
import { normaliseEmail } from "./domain/meta-lead";
import { CategorizeInput } from "./task-input";

export interface CategorizeResult {
  /** "skipped": the directory is not configured, so the lead stays pending (`membership: unchecked`). */
  status: "categorized" | "skipped";
  category: Category;
  membership: Membership;
  reason?: string;
  categoryKey: string;
}

export interface CategorizeDeps {
  store: ObjectStore;
  /** Absent when MEMBERS_BASE_URL is not set. */
  members?: MemberDirectory;
  clock?: Clock;
}

/** Looks the lead's email up in the membership directory and keeps the category it decides. */
export function createCategorize(deps: CategorizeDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<CategorizeResult> => {
    const input = CategorizeInput.parse(event);
    const email = normaliseEmail(input.email);
    const categoryKey = leadRecordKey(input.leadgenId, "category");
    let result: Omit<CategorizeResult, "categoryKey">;
    if (!email) {
      result = { status: "categorized", category: "pending", membership: "no_email" };
    } else if (!deps.members) {
      result = {
        status: "skipped",
        category: "pending",
        membership: "unchecked",
        reason: "MEMBERS_BASE_URL is not set",
      };
    } else {
      const lookup = await deps.members.lookup(email);
      result = { status: "categorized", category: categoryOf(lookup), membership: membershipOf(lookup) };
    }
    await deps.store.put(categoryKey, JSON.stringify({ ...result, at: new Date(clock()).toISOString() }));
    return { ...result, categoryKey };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["MEMBERS_BASE_URL", "HTTP_TIMEOUT_MS"], env);
  return createCategorize({
    store: storeFromEnv(env, kit),
    members: config.MEMBERS_BASE_URL
      ? createMemberDirectory(config.MEMBERS_BASE_URL, { timeoutMs: config.HTTP_TIMEOUT_MS })
      : undefined,
  });
};
export const handler = taskHandler("categorize", build);
