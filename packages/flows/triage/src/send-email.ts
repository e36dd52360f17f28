import { deterministicUuid, type EmailSender } from "@leadrelay/core";
import { emailSenderFromEnv, missingEmailCredentials } from "@leadrelay/functions/adapters/email-sender";
import { readConfig, readEnv } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import type { ActionResult } from "./domain/actions";
import { tireKickerEmail } from "./domain/notifications";
import { TriageSettings } from "./settings";
import { ActionInput } from "./task-input";

/** Brevo keeps an idempotency key 30 minutes: a dangling marker younger than that is safely retried with it. */
const BREVO_IDEMPOTENCY_WINDOW_MS = 25 * 60_000;

/** TIRE_KICKER: a context-aware email to the lead (Brevo or SES), at most once. */
export function createSendEmail(
  deps: ActionDeps & {
    email?: EmailSender;
    credentials: readonly string[];
    from?: string;
    calendarUrl?: string;
    caseStudyUrls: readonly string[];
  },
) {
  return async (event: unknown): Promise<ActionResult> => {
    const { leadId, lead } = ActionInput.parse(event);
    const required = {
      variables: ["EMAIL_FROM", ...deps.credentials],
      reason: lead.email ? undefined : "the lead has no email address in Close",
    };
    return runAction(
      "email",
      deps,
      leadId,
      required,
      async () => {
        const content = tireKickerEmail(lead, {
          calendarUrl: deps.calendarUrl,
          caseStudyUrls: deps.caseStudyUrls,
          sender: deps.from as string,
        });
        const sent = await (deps.email as EmailSender).send(
          {
            from: { email: deps.from as string },
            to: { email: lead.email as string, ...(lead.name ? { name: lead.name } : {}) },
            ...content,
            tags: ["leadrelay", "triage"],
          },
          deterministicUuid("triage", leadId, "email"),
        );
        return { id: sent.messageId, detail: `${deps.email?.provider} to ${lead.email}` };
      },
      { idempotencyWindowMs: deps.email?.provider === "brevo" ? BREVO_IDEMPOTENCY_WINDOW_MS : 0 },
    );
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["EMAIL_FROM"], env);
  const settings = readEnv(
    {
      TRIAGE_CALENDAR_URL: TriageSettings.TRIAGE_CALENDAR_URL,
      TRIAGE_CASE_STUDY_URLS: TriageSettings.TRIAGE_CASE_STUDY_URLS,
    },
    env,
  );
  const credentials = missingEmailCredentials(env);
  return createSendEmail({
    ...actionDeps(env, kit),
    // Without its credentials the sender is not built: the action is skipped, naming what is missing.
    email: credentials.length === 0 ? emailSenderFromEnv(env, kit) : undefined,
    credentials,
    from: config.EMAIL_FROM,
    calendarUrl: settings.TRIAGE_CALENDAR_URL,
    caseStudyUrls: settings.TRIAGE_CASE_STUDY_URLS,
  });
};
export const handler = taskHandler("triage-send-email", build);
