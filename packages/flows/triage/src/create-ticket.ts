import { deterministicUuid, type TicketDesk } from "@leadrelay/core";
import { createZendeskTicketDesk } from "@leadrelay/functions/adapters/zendesk-tickets";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import type { ActionResult } from "./domain/actions";
import { supportTicket } from "./domain/notifications";
import { ActionInput } from "./task-input";

/** Zendesk keeps an Idempotency-Key about 2 hours: a dangling marker younger than that is safely retried. */
const ZENDESK_IDEMPOTENCY_WINDOW_MS = 90 * 60_000;

/** SUPPORT_REQUEST: a Zendesk ticket requested by the lead, at most once. */
export function createCreateTicket(deps: ActionDeps & { desk?: TicketDesk }) {
  return async (event: unknown): Promise<ActionResult> => {
    const { leadId, lead, triage } = ActionInput.parse(event);
    const required = {
      variables: ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
      reason: lead.email ? undefined : "the lead has no email address to be the requester",
    };
    return runAction(
      "ticket",
      deps,
      leadId,
      required,
      async () => {
        const ticket = supportTicket(lead, triage.classifier);
        const created = await (deps.desk as TicketDesk).create(
          {
            ...ticket,
            requester: { email: lead.email as string, ...(lead.name ? { name: lead.name } : {}) },
            tags: ["leadrelay", "triage"],
          },
          deterministicUuid("triage", leadId, "ticket"),
        );
        return { id: `ticket ${created.ticketId}`, detail: created.url };
      },
      { idempotencyWindowMs: ZENDESK_IDEMPOTENCY_WINDOW_MS },
    );
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(
    ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN", "HTTP_TIMEOUT_MS"],
    env,
  );
  const desk =
    config.ZENDESK_BASE_URL && config.ZENDESK_EMAIL && config.ZENDESK_API_TOKEN
      ? createZendeskTicketDesk(
          {
            baseUrl: config.ZENDESK_BASE_URL,
            email: config.ZENDESK_EMAIL,
            apiToken: config.ZENDESK_API_TOKEN,
          },
          { timeoutMs: config.HTTP_TIMEOUT_MS },
        )
      : undefined;
  return createCreateTicket({ ...actionDeps(env, kit), desk });
};
export const handler = taskHandler("triage-create-ticket", build);
