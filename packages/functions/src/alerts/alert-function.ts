/**
 * The failure-alert Lambda as the stack deploys it and the local runtime builds it (like a flow's
 * TaskSpec): its handler and the settings it reads. Kept apart from the handler so the stacks do
 * not import the handler's code.
 */

export const NOTIFY_FAILURE_HANDLER = "packages/functions/src/alerts/notify-failure.handler";

/** What the function reads besides BUCKET_NAME, SLACK_WEBHOOK_URL (a secret) and BREVO_API_KEY (an optional one). */
export const NOTIFY_FAILURE_ENV = [
  "ALERT_FLOWS",
  "ALERT_CONSOLE_URL",
  "ALERT_EMAIL_TO",
  "EMAIL_PROVIDER",
  "EMAIL_FROM",
  "BREVO_BASE_URL",
  "HTTP_TIMEOUT_MS",
] as const;
