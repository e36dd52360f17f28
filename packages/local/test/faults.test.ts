import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { RedriveExecutionCommand } from "@aws-sdk/client-sfn";
import { notifiedKey, rawEventKey } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import {
  historyOf,
  leadBody,
  ownerServer,
  post,
  SECRET,
  slackRecorder,
  spawnRuntime,
  startRig,
  tempDir,
  waitFor,
} from "./harness";

type Recorder = Awaited<ReturnType<typeof slackRecorder>>;
type Owners = Awaited<ReturnType<typeof ownerServer>>;

const failuresOf = async (runtime: Runtime, name: string) =>
  (await historyOf(runtime, name))
    .filter((event) => event.type === "LambdaFunctionFailed")
    .map((event) => event.lambdaFunctionFailedEventDetails?.error);

async function keys(runtime: Runtime, prefix: string) {
  const out = await runtime.s3Client.send(
    new ListObjectsV2Command({ Bucket: runtime.bucket, Prefix: prefix }),
  );
  return (out.Contents ?? []).map((object) => object.Key);
}

describe("faults: nothing lost, nothing doubled", () => {
  let slack: Recorder;
  let owners: Owners;
  let runtime: Runtime;
  const ownerFor = (leadId: string, owner = "Olga Owner") =>
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: owner, funnel: "Inbound" }));
  const messagesFor = (leadId: string) => slack.messages.filter((message) => message.text.includes(leadId));

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ slack, owners, runtime, stop } = await startRig());
  });
  afterAll(() => stop());

  it("S3 down during ingest → 503, nothing started; Close's later retry succeeds", async () => {
    const leadId = "lead_FaultS3Down01";
    ownerFor(leadId);
    runtime.faults.s3.down = true;
    try {
      const refused = await post(runtime.webhookUrl, leadBody(leadId));
      expect(refused.status).toBe(503);
      expect(
        runtime.engine.describeExecution.bind(runtime.engine, { executionArn: runtime.engine.arnOf(leadId) }),
      ).toThrow(/does not exist/);
    } finally {
      runtime.faults.s3.down = false;
    }
    const retried = await post(runtime.webhookUrl, leadBody(leadId));
    expect(retried.status).toBe(202);
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    expect(messagesFor(leadId)).toHaveLength(1);
  });

  it("Step Functions down during ingest → 503 after the raw event is kept; the retry starts exactly one execution", async () => {
    const leadId = "lead_FaultSfnDown01";
    ownerFor(leadId);
    runtime.faults.sfn.down = true;
    try {
      expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(503);
    } finally {
      runtime.faults.sfn.down = false;
    }
    expect(await keys(runtime, rawEventKey(leadId))).toEqual([rawEventKey(leadId)]);
    const retried = await post(runtime.webhookUrl, leadBody(leadId));
    expect(retried).toMatchObject({ status: 202, json: { status: "accepted" } });
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    expect(messagesFor(leadId)).toHaveLength(1);
  });

  it("owner server 500 ×3 then OK → three OwnerLookupUnavailable retries, then notified", async () => {
    const leadId = "lead_FaultOwner500";
    ownerFor(leadId);
    owners.script.set(leadId, [500, 502, 503]);
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    expect(await failuresOf(runtime, leadId)).toEqual([
      "OwnerLookupUnavailable",
      "OwnerLookupUnavailable",
      "OwnerLookupUnavailable",
    ]);
    expect(messagesFor(leadId)).toHaveLength(1);
  });

  it("Slack 429 with Retry-After then OK → one SlackRateLimited retry, exactly one message", async () => {
    const leadId = "lead_FaultSlack429";
    ownerFor(leadId);
    slack.script.push({ status: 429, headers: { "retry-after": "1" } });
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    const events = await historyOf(runtime, leadId);
    const failed = events.filter((event) => event.type === "LambdaFunctionFailed");
    expect(failed.map((event) => event.lambdaFunctionFailedEventDetails?.error)).toEqual([
      "SlackRateLimited",
    ]);
    expect(failed[0]?.lambdaFunctionFailedEventDetails?.cause).toContain("Retry-After 1s");
    expect(messagesFor(leadId)).toHaveLength(1);
  });

  it("Slack 503 ×2 then OK → two SlackUnavailable retries, exactly one message", async () => {
    const leadId = "lead_FaultSlack503";
    ownerFor(leadId);
    slack.script.push({ status: 503 }, { status: 503 });
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    expect(await failuresOf(runtime, leadId)).toEqual(["SlackUnavailable", "SlackUnavailable"]);
    expect(messagesFor(leadId)).toHaveLength(1);
  });

  it("Slack 410 → named failure SlackRejected with the status in the Cause, raw event kept; redrive after the fix posts once", async () => {
    const leadId = "lead_FaultSlack410";
    ownerFor(leadId);
    slack.script.push({ status: 410 });
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    const failed = await runtime.engine.settled(leadId);
    expect(failed).toMatchObject({ status: "FAILED", error: "SlackRejected" });
    expect(failed?.cause).toContain("410");
    expect(await failuresOf(runtime, leadId)).toEqual(["SlackRejected"]); // permanent: not retried
    expect(await keys(runtime, rawEventKey(leadId))).toHaveLength(1);
    expect(await keys(runtime, notifiedKey(leadId))).toHaveLength(0);

    await runtime.sfnClient.send(new RedriveExecutionCommand({ executionArn: runtime.engine.arnOf(leadId) }));
    const redriven = await runtime.engine.settled(leadId);
    expect(redriven).toMatchObject({ status: "SUCCEEDED", redriveCount: 1 });
    expect(messagesFor(leadId)).toHaveLength(1);
    const entered = (await historyOf(runtime, leadId))
      .filter((event) => event.type?.endsWith("StateEntered"))
      .map((event) => event.stateEnteredEventDetails?.name);
    // The redrive continued at NotifySlack: nothing before it ran twice.
    expect(entered.filter((name) => name === "FetchOwner")).toHaveLength(1);
    expect(entered.filter((name) => name === "NotifySlack")).toHaveLength(2);
  });

  it("owner never assigned → OwnerNeverAssigned, a 'still no owner' notice, raw kept; redrive once the owner exists", async () => {
    const leadId = "lead_FaultNoOwner01";
    expect((await post(runtime.webhookUrl, leadBody(leadId, "Nobody's Lead"))).status).toBe(202);
    const failed = await runtime.engine.settled(leadId);
    expect(failed).toMatchObject({ status: "FAILED", error: "OwnerNeverAssigned" });
    const failures = await failuresOf(runtime, leadId);
    expect(failures.length).toBe(13); // first attempt + MaxAttempts 12 retries, all OwnerNotAssigned
    expect(new Set(failures)).toEqual(new Set(["OwnerNotAssigned"]));
    const notice = messagesFor(leadId);
    expect(notice).toHaveLength(1);
    expect(notice[0]?.text).toMatch(/still has no owner after \d+ minutes/);
    expect(await keys(runtime, rawEventKey(leadId))).toHaveLength(1);

    ownerFor(leadId, "Late Larry");
    await runtime.sfnClient.send(new RedriveExecutionCommand({ executionArn: runtime.engine.arnOf(leadId) }));
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    const all = messagesFor(leadId);
    expect(all).toHaveLength(2);
    expect(all[1]?.text).toContain("Late Larry");
  });

  it("a notification marker left by a cut-off NotifySlack attempt is honoured (no second post) and the execution fails as NotificationUncertain", async () => {
    const leadId = "lead_FaultCutOff01";
    ownerFor(leadId);
    // What a Lambda killed right after Slack accepted the post leaves behind.
    await runtime.store.put(
      notifiedKey(leadId),
      JSON.stringify({ status: "sending", at: new Date().toISOString(), message: { text: "x", blocks: [] } }),
    );
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    const done = await runtime.engine.settled(leadId);
    // Not silent: the failure alert reaches someone who can check the channel.
    expect(done).toMatchObject({ status: "FAILED", error: "NotificationUncertain" });
    expect(done?.cause).toMatch(/never confirmed/);
    expect(messagesFor(leadId)).toHaveLength(0);
    const marker = await runtime.s3Client.send(
      new GetObjectCommand({ Bucket: runtime.bucket, Key: notifiedKey(leadId) }),
    );
    expect(JSON.parse((await marker.Body?.transformToString()) ?? "{}").status).toBe("sending");
  });
});

describe("faults: NOTIFY_UNASSIGNED=false", () => {
  it("fails as OwnerNeverAssigned without posting a notice", async () => {
    const { slack, runtime, stop } = await startRig({ notifyUnassigned: false });
    try {
      const leadId = "lead_FaultQuietNoOwner";
      expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
      expect(await runtime.engine.settled(leadId)).toMatchObject({
        status: "FAILED",
        error: "OwnerNeverAssigned",
      });
      expect(slack.requests()).toBe(0);
    } finally {
      await stop();
    }
  });
});

describe("faults: the process is killed during the Wait", () => {
  it("resumes after a restart and notifies exactly once", async () => {
    const slack = await slackRecorder();
    const owners = await ownerServer();
    const leadId = "lead_FaultKilled01";
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Kim Killed" }));
    const env = {
      PORT: "0",
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: slack.url,
      OWNER_BASE_URL: owners.url,
      LEAD_WAIT_SECONDS: "3",
      LEADRELAY_DATA_DIR: tempDir(),
      // Announce alone: triage would finish or resume on its own schedule and change the count.
      LEADRELAY_FLOWS: "announce",
    };
    const first = spawnRuntime(env);
    try {
      expect((await post(await first.ready(), leadBody(leadId))).status).toBe(202);
      first.child.kill("SIGKILL"); // no chance to flush or say goodbye
      await first.exited;
      expect(slack.messages).toHaveLength(0);

      const second = spawnRuntime(env);
      try {
        await second.ready();
        expect(second.output()).toMatch(/resumed\s+1 execution/);
        await waitFor(
          () => slack.messages.find((message) => message.text.includes(leadId)),
          20_000,
          "the Slack message",
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(slack.messages.filter((message) => message.text.includes(leadId))).toHaveLength(1);
      } finally {
        second.child.kill("SIGTERM");
        await second.exited;
      }
    } finally {
      first.child.kill("SIGKILL");
      await slack.close();
      await owners.close();
    }
  });
});
