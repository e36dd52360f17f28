import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import { leadBody, post, startTestRuntime, tempDir } from "./harness";

/**
 * LEADRELAY_ALERT_ON_SKIPPED=true on the local runtime: the Task that skips an action alerts, as on
 * AWS, to the failure alerts' Slack (here the stand-in), once per Task run whatever retries it.
 * Announce's email is the skipped action: BREVO_BASE_URL set without BREVO_API_KEY.
 */

const SKIPPED_ALERT = /^leadrelay: announce: Email the announcement skipped/;
const skippedAlerts = (runtime: Runtime) =>
  runtime.slackMessages.filter((entry) => SKIPPED_ALERT.test(entry.message.text ?? ""));
const EMAIL_WITHOUT_KEY = {
  ANNOUNCE_EMAIL_TO: "sales@example.com",
  EMAIL_FROM: "leads@example.com",
  EMAIL_PROVIDER: "brevo",
  // Never called: without its key the email is skipped before any request.
  BREVO_BASE_URL: "http://127.0.0.1:9",
};

async function announce(runtime: Runtime, ownersDir: string, leadId: string) {
  writeFileSync(join(ownersDir, `${leadId}.json`), JSON.stringify({ lead_id: leadId, lead_owner: "Olga" }));
  expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
  const record = await runtime.engine.settled(leadId);
  expect(record?.status).toBe("SUCCEEDED");
  return record;
}

/** Announce alone, without a hold, its email's key missing, with `env` on top; stopped after the block. */
function announceRuntime(env: Record<string, string>) {
  const started = { ownersDir: "", runtime: undefined as unknown as Runtime };
  beforeAll(async () => {
    started.ownersDir = tempDir("leadrelay-owners-");
    started.runtime = await startTestRuntime({
      flows: "announce",
      waitSeconds: 0,
      ownersDir: started.ownersDir,
      env: { ...EMAIL_WITHOUT_KEY, ...env },
    });
  });
  afterAll(async () => {
    await started.runtime?.stop();
  });
  return started;
}

describe("LEADRELAY_ALERT_ON_SKIPPED=true locally", () => {
  const started = announceRuntime({ LEADRELAY_ALERT_ON_SKIPPED: "true" });

  it("alerts the skipped action once, naming it and the missing variable, linking to the flow's skipped executions", async () => {
    const { runtime, ownersDir } = started;
    const record = await announce(runtime, ownersDir, "lead_SkippedAlert1");
    expect(JSON.parse(record?.output ?? "{}").emailAnnouncement).toMatchObject({ status: "skipped" });
    const alerts = skippedAlerts(runtime);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.message.text).toBe(
      "leadrelay: announce: Email the announcement skipped (BREVO_API_KEY is not set)",
    );
    const blocks = JSON.stringify(alerts[0]?.message.blocks);
    expect(blocks).toContain("*Action*\\nEmail the announcement (email)");
    expect(blocks).toContain(
      `<${runtime.url}/console?flow=announce&amp;status=skipped|Open the flow's executions>`,
    );
    // The lead's own announcement went out as usual, and no failure alert.
    expect(runtime.slackMessages.filter((entry) => /failed/.test(entry.message.text ?? ""))).toEqual([]);
  });

  it("alerts each execution's skip: another lead, another alert", async () => {
    const { runtime, ownersDir } = started;
    const before = skippedAlerts(runtime).length;
    await announce(runtime, ownersDir, "lead_SkippedAlert2");
    expect(skippedAlerts(runtime)).toHaveLength(before + 1);
  });
});

describe("without LEADRELAY_ALERT_ON_SKIPPED", () => {
  const started = announceRuntime({});

  it("a skipped action is in the history and /metrics, not in Slack", async () => {
    const { runtime, ownersDir } = started;
    const record = await announce(runtime, ownersDir, "lead_SkippedQuiet");
    expect(JSON.parse(record?.output ?? "{}").emailAnnouncement).toMatchObject({ status: "skipped" });
    expect(skippedAlerts(runtime)).toEqual([]);
  });
});
