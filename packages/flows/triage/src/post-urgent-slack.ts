import type { SlackPoster } from "@leadrelay/core";
import { createSlackPoster } from "@leadrelay/functions/adapters/slack-poster";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import type { ActionResult } from "./domain/actions";
import { urgentSlackMessage } from "./domain/notifications";
import { ActionInput } from "./task-input";

/** URGENT_BUYER: an urgent post to the same Slack webhook announce uses. */
export function createPostUrgentSlack(deps: ActionDeps & { slack?: SlackPoster }) {
  return async (event: unknown): Promise<ActionResult> => {
    const { leadId, lead, triage } = ActionInput.parse(event);
    return runAction("slack", deps, leadId, { variables: ["SLACK_WEBHOOK_URL"] }, async () => {
      await (deps.slack as SlackPoster).post(urgentSlackMessage(lead, triage.classifier));
      return {};
    });
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["HTTP_TIMEOUT_MS"], env);
  const url = env.SLACK_WEBHOOK_URL?.trim();
  return createPostUrgentSlack({
    ...actionDeps(env, kit),
    slack: url ? createSlackPoster(url, { timeoutMs: config.HTTP_TIMEOUT_MS }) : undefined,
  });
};
export const handler = taskHandler("triage-post-urgent-slack", build);
