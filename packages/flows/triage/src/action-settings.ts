import type { ObjectStore } from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { readEnv } from "@leadrelay/functions/config";
import type { Env, TaskKit } from "@leadrelay/functions/lambda";
import type { ActionDeps } from "./action-task";
import { TriageSettings } from "./settings";

/** What every action Task is built with: its markers' store, the enabled actions, its own environment. */
export function actionDeps(env: Env, kit: TaskKit, store: ObjectStore = storeFromEnv(env, kit)): ActionDeps {
  const { TRIAGE_ACTIONS } = readEnv({ TRIAGE_ACTIONS: TriageSettings.TRIAGE_ACTIONS }, env);
  return { store, enabled: TRIAGE_ACTIONS, env };
}
