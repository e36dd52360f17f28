import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { enrichedKey, rawEventKey } from "@leadrelay/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import {
  fixture,
  historyOf,
  leadBody,
  ownerFile,
  ownerServer,
  post,
  SECRET,
  type SlackMessage,
  slackRecorder,
  spawnRuntime,
  startRig,
  startTestRuntime,
  tempDir,
  waitFor,
} from "./harness";

const LEADS = {
  "lead-created.json": "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q",
  "lead-created-data-id-only.json": "lead_2PqW7xN4kZ9bT1mR6vL3sY8cH0dF5gJ2eA7uI4oK1nQ",
  "lead-created-no-contact.json": "lead_6Fz1Yq8Xm3Kb5Wn2Tr9Lc4Hp7Jd0Gs6Ea3Ui8Ko5Nw1",
} as const;

const fieldsOf = (message: SlackMessage) =>
  Object.fromEntries(
    (message.blocks.find((block) => block.fields)?.fields ?? []).map((field) => {
      const [label, ...value] = field.text.split("\n");
      return [label?.replaceAll("*", ""), value.join("\n")];
    }),
  );

const entered = (events: Awaited<ReturnType<typeof historyOf>>) =>
  events
    .filter((event) => event.type?.endsWith("StateEntered"))
    .map((event) => event.stateEnteredEventDetails?.name);

describe("local runtime end to end (real S3 API, real SFN API, same handlers and ASL)", () => {
  let slack: Awaited<ReturnType<typeof slackRecorder>>;
  let owners: Awaited<ReturnType<typeof ownerServer>>;
  let runtime: Runtime;

  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ slack, owners, runtime, stop } = await startRig());
  });
  afterAll(() => stop());

  it("relays each sample lead: raw and enriched objects in S3, one Slack message with all seven fields, the five states in order", async () => {
    for (const leadId of Object.values(LEADS)) owners.files.set(leadId, ownerFile(leadId));
    for (const [file, leadId] of Object.entries(LEADS)) {
      const answer = await post(runtime.webhookUrl, fixture(file));
      expect(answer.status).toBe(202);
      expect(answer.json).toMatchObject({ status: "accepted", leadId });
    }
    for (const leadId of Object.values(LEADS)) {
      expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    }

    for (const [file, leadId] of Object.entries(LEADS)) {
      const raw = await runtime.s3Client.send(
        new GetObjectCommand({ Bucket: runtime.bucket, Key: rawEventKey(leadId) }),
      );
      expect(await raw.Body?.transformToString()).toBe(fixture(file));
      const enriched = await runtime.s3Client.send(
        new GetObjectCommand({ Bucket: runtime.bucket, Key: enrichedKey(leadId) }),
      );
      const record = JSON.parse((await enriched.Body?.transformToString()) ?? "{}");
      const owner = JSON.parse(ownerFile(leadId));
      expect(record).toMatchObject({
        leadId,
        owner: owner.lead_owner,
        funnel: owner.funnel,
        ownerRecord: owner,
      });
      expect(record.raw.event.id).toBe(JSON.parse(fixture(file)).event.id);

      const mine = slack.messages.filter((message) => message.text.includes(leadId));
      expect(mine).toHaveLength(1);
      const fields = fieldsOf(mine[0] as SlackMessage);
      expect(Object.keys(fields)).toEqual([
        "Lead",
        "Lead ID",
        "Created",
        "Status",
        "Email",
        "Owner",
        "Funnel",
      ]);
      expect(fields["Lead ID"]).toBe(leadId);
      expect(fields.Owner).toBe(owner.lead_owner);
      expect(fields.Funnel).toBe(owner.funnel);
      expect(fields.Created).toMatch(/^\d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC$/);
      for (const value of Object.values(fields)) expect(value).not.toMatch(/undefined|null/);

      const events = await historyOf(runtime, leadId);
      // As in AWS, the Lambda is shown with its own input: the Task's Parameters applied.
      const notify = events.find((event) =>
        event.lambdaFunctionScheduledEventDetails?.resource?.endsWith("notify-slack"),
      );
      expect(JSON.parse(notify?.lambdaFunctionScheduledEventDetails?.input ?? "{}")).toMatchObject({
        kind: "lead",
        leadId,
        merged: { leadId, owner: owner.lead_owner },
      });
      expect(entered(events)).toEqual([
        "HoldForOwner",
        "FetchRaw",
        "FetchOwner",
        "MergeAndStore",
        "NotifySlack",
      ]);
    }
    // The no-contact lead has no email anywhere but in the owner file (null there too): "—".
    const noContact = slack.messages.find((message) =>
      message.text.includes(LEADS["lead-created-no-contact.json"]),
    );
    expect(fieldsOf(noContact as SlackMessage).Email).toBe("—");
  });

  it("retries an owner file that appears late, then succeeds (two OwnerNotAssigned attempts in the history)", async () => {
    const leadId = "lead_LateOwner0001";
    owners.script.set(leadId, [403, 404]);
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Ana Late", funnel: "Outbound" }));
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    const events = await historyOf(runtime, leadId);
    const failures = events.filter((event) => event.type === "LambdaFunctionFailed");
    expect(failures.map((event) => event.lambdaFunctionFailedEventDetails?.error)).toEqual([
      "OwnerNotAssigned",
      "OwnerNotAssigned",
    ]);
    expect(owners.hits(leadId)).toBe(3);
    const message = slack.messages.filter((m) => m.text.includes(leadId));
    expect(message).toHaveLength(1);
    expect(fieldsOf(message[0] as SlackMessage).Owner).toBe("Ana Late");
  });

  it("turns duplicates (concurrent and later, different event ids) into one raw object, one execution, one message", async () => {
    const leadId = "lead_Duplicated0001";
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Dee Dup" }));
    const first = await Promise.all(
      Array.from({ length: 6 }, () => post(runtime.webhookUrl, leadBody(leadId, "Dup Co"))),
    );
    const statuses = first.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 202)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    await runtime.engine.settled(leadId);
    const later = await post(runtime.webhookUrl, leadBody(leadId, "Dup Co"));
    expect(later).toMatchObject({ status: 200, json: { status: "duplicate", leadId } });

    const { executions = [] } = await runtime.sfnClient.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn, maxResults: 1000 }),
    );
    expect(executions.filter((execution) => execution.name === leadId)).toHaveLength(1);
    const objects = await runtime.s3Client.send(
      new ListObjectsV2Command({ Bucket: runtime.bucket, Prefix: rawEventKey(leadId) }),
    );
    expect(objects.KeyCount).toBe(1);
    expect(slack.messages.filter((message) => message.text.includes(leadId))).toHaveLength(1);
  });
});

describe("restart during the Wait", () => {
  let slack: Awaited<ReturnType<typeof slackRecorder>>;
  let owners: Awaited<ReturnType<typeof ownerServer>>;
  afterEach(async () => {
    await slack?.close();
    await owners?.close();
  });

  it("resumes a waiting lead after a restart and notifies it once", async () => {
    slack = await slackRecorder();
    owners = await ownerServer();
    const dataDir = tempDir();
    const leadId = "lead_Restarted0001";
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Rita Restart" }));
    const options = { slackWebhookUrl: slack.url, ownerBaseUrl: owners.url, dataDir, waitSeconds: 2 };
    const first = await startTestRuntime(options);
    expect((await post(first.webhookUrl, leadBody(leadId))).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await first.stop();
    expect(slack.messages).toHaveLength(0);

    const second = await startTestRuntime(options);
    try {
      expect(second.resumed).toBe(1);
      expect((await second.engine.settled(leadId))?.status).toBe("SUCCEEDED");
      const waited = (await historyOf(second, leadId)).filter((event) => event.type === "WaitStateEntered");
      expect(waited).toHaveLength(1); // resumed inside the same Wait, not started over
      expect(slack.messages.filter((message) => message.text.includes(leadId))).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});

describe("pnpm start as a process (the environment contract)", () => {
  it("serves PORT, uses CLOSE_WEBHOOK_SECRET/SLACK_WEBHOOK_URL/OWNER_BASE_URL/LEAD_WAIT_SECONDS/LEADRELAY_DATA_DIR, prints ready, exits cleanly on SIGTERM", async () => {
    const slack = await slackRecorder();
    const owners = await ownerServer();
    const leadId = "lead_ProcessContract01";
    owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Pat Process" }));
    const process = spawnRuntime({
      PORT: "0",
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: slack.url,
      OWNER_BASE_URL: owners.url,
      LEAD_WAIT_SECONDS: "0",
      LEADRELAY_DATA_DIR: tempDir(),
    });
    try {
      const webhookUrl = await process.ready();
      expect(webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhook\/close$/);
      expect(process.output()).not.toContain(SECRET);
      expect((await post(webhookUrl, leadBody(leadId))).status).toBe(202);
      await waitFor(
        () => slack.messages.find((message) => message.text.includes(leadId)),
        15_000,
        "the Slack message",
      );
      process.child.kill("SIGTERM");
      expect(await process.exited).toBe(0);
    } finally {
      process.child.kill("SIGKILL");
      await slack.close();
      await owners.close();
    }
  });

  it("refuses to start with a bad value and names the variable", async () => {
    const process = spawnRuntime({
      LEAD_WAIT_SECONDS: "ten minutes",
      CLOSE_WEBHOOK_SECRET: "not-hex",
      LEADRELAY_DATA_DIR: tempDir(),
    });
    expect(await process.exited).toBe(2);
    expect(process.output()).toContain("LEAD_WAIT_SECONDS");
    expect(process.output()).toContain("CLOSE_WEBHOOK_SECRET");
  });
});
