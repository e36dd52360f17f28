import { type CheckOptions, type CheckResult, probe, result, runCheck, vendorMessage } from "./vendor-check";

export const SLACK_TEST_TEXT =
  ":test_tube: leadrelay doctor --post-test: a test message to check this incoming webhook. No lead is behind it; nothing to do.";

/**
 * A Slack incoming webhook cannot be checked without posting: with `post`, one clearly marked
 * test message is posted (the only check of doctor that writes, and only on `--post-test`).
 * 403/404/410 mean the webhook is gone (revoked, channel deleted or archived): create a new one.
 */
export async function checkSlackWebhook(
  config: { url: string; variable: string; post: boolean },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = [config.variable];
  if (!config.post) {
    return result(
      "slack",
      "ok",
      "set (not checked: Slack has no read-only check; --post-test posts one test message)",
      variables,
    );
  }
  return runCheck("slack", config.variable, variables, async () => {
    const answer = await probe(config.url, { method: "POST", json: { text: SLACK_TEST_TEXT } }, options);
    if (answer.status === 200)
      return result("slack", "ok", "posted one test message (--post-test)", variables);
    const gone = [403, 404, 410].includes(answer.status);
    return result(
      "slack",
      "broken",
      `the test message was refused (${vendorMessage(answer)})`,
      variables,
      gone
        ? `the webhook no longer works: create a new incoming webhook in Slack and set ${config.variable}`
        : undefined,
    );
  });
}
