import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../../local/src/runtime";
import { historyOf, leadBody, post, startTestRuntime, tempDir } from "../../../local/test/harness";

/**
 * Announce with ANNOUNCE_EMAIL_TO on the real local runtime: the ASL as `configure` makes it, the
 * real handlers, the Slack and Brevo stand-ins. Each test has its own lead, so the stand-ins'
 * records are read per lead.
 */

const TO = "sales@example.com";
let runtime: Runtime;
let ownersDir: string;

type Events = Awaited<ReturnType<typeof historyOf>>;

const entered = (events: Events) =>
  events.flatMap((event) =>
    event.type?.endsWith("StateEntered") ? [event.stateEnteredEventDetails?.name ?? ""] : [],
  );
const retries = (events: Events) => events.filter((event) => event.type === "LambdaFunctionFailed").length;
const outputOf = (events: Events, state: string) => {
  const exited = events.findLast(
    (event) => event.type?.endsWith("StateExited") && event.stateExitedEventDetails?.name === state,
  );
  return exited ? JSON.parse(exited.stateExitedEventDetails?.output ?? "null") : undefined;
};

/** What the Brevo stand-in accepted for a lead (scripted failures excluded). */
const emailsFor = (leadId: string) =>
  (runtime.standIns.brevo?.requests() ?? []).filter(
    (request) => request.status === 201 && JSON.stringify(request.body).includes(leadId),
  );
const slackFor = (leadId: string) =>
  runtime.slackMessages.filter((entry) => entry.message.text?.includes(`(${leadId})`));

async function fail(slug: string, script: Record<string, unknown>) {
  const response = await fetch(`${runtime.url}/_local/${slug}/_fail`, {
    method: "POST",
    body: JSON.stringify(script),
  });
  expect(response.status).toBe(201);
}

async function announce(leadId: string) {
  writeFileSync(
    join(ownersDir, `${leadId}.json`),
    JSON.stringify({ lead_id: leadId, lead_owner: "Olga Owner", funnel: "Webinar" }),
  );
  const answer = await post(runtime.webhookUrl, leadBody(leadId, "Ada <b>Lovelace</b> & Co"));
  expect(answer.status, answer.text).toBe(202);
  const record = await runtime.engine.settled(leadId);
  return { record, events: await historyOf(runtime, leadId) };
}

beforeAll(async () => {
  ownersDir = tempDir("leadrelay-owners-");
  mkdirSync(ownersDir, { recursive: true });
  runtime = await startTestRuntime({
    flows: "announce",
    waitSeconds: 0,
    retryIntervalMs: 5,
    ownersDir,
    env: { ANNOUNCE_EMAIL_TO: TO },
  });
});
afterAll(async () => {
  await runtime?.stop();
});

describe("announce with ANNOUNCE_EMAIL_TO", () => {
  it("announces in Slack, then by email: both in the history, 7 state transitions", async () => {
    const leadId = "lead_EmailBoth01";
    const { record, events } = await announce(leadId);
    expect(record?.status).toBe("SUCCEEDED");
    expect(entered(events)).toEqual([
      "HoldForOwner",
      "FetchRaw",
      "FetchOwner",
      "MergeAndStore",
      "NotifySlack",
      "EmailAnnouncement",
    ]);
    // What the cost model bills: each state entered, each retry, and the start.
    expect(entered(events).length + retries(events) + 1).toBe(7);
    expect(outputOf(events, "EmailAnnouncement")?.notification).toMatchObject({ status: "sent" });
    expect(outputOf(events, "EmailAnnouncement")?.emailAnnouncement).toMatchObject({
      status: "sent",
      provider: "brevo",
      markerKey: `notified/${leadId}.email.json`,
    });
    expect(slackFor(leadId)).toHaveLength(1);
    const [email] = emailsFor(leadId);
    expect(emailsFor(leadId)).toHaveLength(1);
    const body = email?.body as Record<string, unknown>;
    expect(body.to).toEqual([{ email: TO }]);
    expect(body.subject).toBe(`New lead: Ada <b>Lovelace</b> & Co (${leadId})`);
    expect(body.textContent).toContain("Owner: Olga Owner");
    expect(body.htmlContent).toContain("Ada &lt;b&gt;Lovelace&lt;/b&gt; &amp; Co");
    expect(body.htmlContent).not.toContain("<b>");
    expect((body.headers as Record<string, string>).idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("Slack down: the email still goes out, then the execution fails as SlackUnavailable", async () => {
    const leadId = "lead_EmailSlackDown01";
    // NotifySlack's first attempt and its six retries.
    await fail("slack", { status: 503, body: "service_unavailable", times: 7 });
    const { record, events } = await announce(leadId);
    expect(record?.status).toBe("FAILED");
    expect(record?.error).toBe("SlackUnavailable");
    expect(entered(events).slice(4)).toEqual([
      "NotifySlack",
      "EmailAnnouncementAfterSlackError",
      "SlackFailed",
      "SlackUnavailableHasCause",
      "SlackUnavailable",
    ]);
    expect(outputOf(events, "EmailAnnouncementAfterSlackError")?.emailAnnouncement).toMatchObject({
      status: "sent",
    });
    expect(outputOf(events, "EmailAnnouncementAfterSlackError")?.error).toMatchObject({
      Error: "SlackUnavailable",
    });
    expect(emailsFor(leadId)).toHaveLength(1);
    expect(slackFor(leadId)).toHaveLength(0);

    // A redrive posts to Slack and does not send the email again.
    await runtime.engine.redriveExecution({ executionArn: runtime.engine.arnOf(leadId) });
    const redriven = await runtime.engine.settled(leadId);
    expect(redriven?.status).toBe("SUCCEEDED");
    const after = await historyOf(runtime, leadId);
    expect(outputOf(after, "EmailAnnouncement")?.emailAnnouncement).toMatchObject({ status: "already-sent" });
    expect(slackFor(leadId)).toHaveLength(1);
    expect(emailsFor(leadId)).toHaveLength(1);
  });

  it("email down: Slack announces the lead, the execution fails as AnnouncementEmailFailed", async () => {
    const leadId = "lead_EmailDown01";
    await fail("brevo", {
      status: 400,
      body: { code: "invalid_parameter", message: "sender is not valid" },
      times: 1,
    });
    const { record, events } = await announce(leadId);
    expect(record?.status).toBe("FAILED");
    expect(record?.error).toBe("AnnouncementEmailFailed");
    expect(record?.cause).toContain("brevo rejected the call (HTTP 400, code invalid_parameter)");
    expect(entered(events).slice(4)).toEqual([
      "NotifySlack",
      "EmailAnnouncement",
      "AnnouncementEmailFailedHasCause",
      "AnnouncementEmailFailed",
    ]);
    expect(outputOf(events, "NotifySlack")?.notification).toMatchObject({ status: "sent" });
    expect(slackFor(leadId)).toHaveLength(1);
    expect(emailsFor(leadId)).toHaveLength(0);
  });

  it("a replay of an announced lead sends neither a second Slack post nor a second email", async () => {
    const leadId = "lead_EmailReplay01";
    const first = await announce(leadId);
    expect(first.record?.status).toBe("SUCCEEDED");
    const replayName = `${leadId}-replay-1`;
    await runtime.engine.startExecution({
      stateMachineArn: runtime.stateMachineArn,
      name: replayName,
      input: JSON.stringify({ ...JSON.parse(first.record?.input ?? "{}"), replayOf: leadId }),
    });
    expect((await runtime.engine.settled(replayName))?.status).toBe("SUCCEEDED");
    const replay = await historyOf(runtime, replayName);
    expect(outputOf(replay, "EmailAnnouncement")).toMatchObject({
      notification: { status: "already-sent" },
      emailAnnouncement: { status: "already-sent" },
    });
    expect(slackFor(leadId)).toHaveLength(1);
    expect(emailsFor(leadId)).toHaveLength(1);
  });
});

describe("announce without ANNOUNCE_EMAIL_TO", () => {
  it("ends on NotifySlack and sends no email", async () => {
    const plain = await startTestRuntime({
      flows: "announce",
      waitSeconds: 0,
      retryIntervalMs: 5,
      ownersDir,
    });
    try {
      const leadId = "lead_EmailOff01";
      writeFileSync(
        join(ownersDir, `${leadId}.json`),
        JSON.stringify({ lead_id: leadId, lead_owner: "Otto" }),
      );
      expect((await post(plain.webhookUrl, leadBody(leadId))).status).toBe(202);
      expect((await plain.engine.settled(leadId))?.status).toBe("SUCCEEDED");
      const events = await historyOf(plain, leadId);
      expect(entered(events)).toEqual([
        "HoldForOwner",
        "FetchRaw",
        "FetchOwner",
        "MergeAndStore",
        "NotifySlack",
      ]);
      expect(entered(events).length + retries(events) + 1).toBe(6);
      expect(plain.standIns.brevo?.requests() ?? []).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });
});
