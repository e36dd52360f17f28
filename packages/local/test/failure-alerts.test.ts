import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOW_IDS } from "../../flows/registry";
import type { Runtime } from "../src/runtime";
import type { SlackMessageEntry } from "../src/stand-ins/slack";
import { leadBody, post, startTestRuntime, tempDir } from "./harness";

/**
 * The failure alert of every flow on the local runtime: each bad end of an execution reaches the
 * Slack stand-in once, through the same handler the EventBridge rule invokes on AWS.
 */

const ALERT = /^leadrelay: /;
const alertsFor = (runtime: Runtime, name: string): SlackMessageEntry[] =>
  runtime.slackMessages.filter(
    (entry) => ALERT.test(entry.message.text ?? "") && (entry.message.text ?? "").includes(`: ${name} (`),
  );
const blockText = (entry: SlackMessageEntry | undefined) => JSON.stringify(entry?.message.blocks ?? []);

async function fail(runtime: Runtime, slug: string, script: Record<string, unknown>) {
  const response = await fetch(`${runtime.url}/_local/${slug}/_fail`, {
    method: "POST",
    body: JSON.stringify(script),
  });
  expect(response.status).toBe(201);
}

/** An execution no flow can run: its first Task (or Choice) refuses the input and the execution fails. */
async function failIn(runtime: Runtime, flow: string, name: string) {
  const engine = runtime.engines[flow];
  if (!engine) throw new Error(`${flow} is not running`);
  await engine.startExecution({ stateMachineArn: engine.stateMachineArn, name, input: "{}" });
  return engine.settled(name);
}

describe("a failed execution of any flow", () => {
  let runtime: Runtime;
  let ownersDir: string;
  beforeAll(async () => {
    ownersDir = tempDir("leadrelay-owners-");
    runtime = await startTestRuntime({ waitSeconds: 0, retryIntervalMs: 5, ownersDir });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("runs every flow of the registry", () => {
    expect(Object.keys(runtime.engines).sort()).toEqual([...FLOW_IDS].sort());
  });

  it.each(FLOW_IDS)(
    "%s: one alert in the Slack stand-in, naming the flow and the business key",
    async (flow) => {
      const name = `alert-probe-${flow}`;
      const record = await failIn(runtime, flow, name);
      expect(record?.status).toBe("FAILED");
      await runtime.alerts.settled();
      const alerts = alertsFor(runtime, name);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.message.text).toBe(`leadrelay: ${flow} failed: ${name} (${record?.error})`);
      const blocks = blockText(alerts[0]);
      expect(blocks).toContain(`*Flow*\\n${flow}`);
      expect(blocks).toContain(`*Business key*\\n${name}`);
      expect(blocks).toContain(`<${runtime.url}/console/key/${name}?flow=${flow}|Open the execution>`);
    },
  );

  it("says what failed and why, linking to the lead's page (announce, Slack refusing the post)", async () => {
    const leadId = "lead_AlertSlack400";
    writeFileSync(join(ownersDir, `${leadId}.json`), JSON.stringify({ lead_id: leadId, lead_owner: "Olga" }));
    await fail(runtime, "slack", { status: 400, body: "invalid_blocks", times: 1 });
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    const record = await runtime.engine.settled(leadId);
    expect(record?.status).toBe("FAILED");
    expect(record?.error).toBe("SlackRejected");
    await runtime.alerts.settled();
    const alerts = alertsFor(runtime, leadId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.message.text).toBe(`leadrelay: announce failed: ${leadId} (SlackRejected)`);
    const blocks = blockText(alerts[0]);
    expect(blocks).toContain("*Status*\\nFAILED");
    expect(blocks).toContain("Slack rejected the post with HTTP 400: invalid_blocks");
    expect(blocks).toContain(`<${runtime.url}/console/lead/${leadId}?flow=announce|Open the execution>`);
  });

  it("the replay of a failed execution alerts again, under the same business key", async () => {
    const name = "alert-probe-replayed";
    await failIn(runtime, "announce", name);
    await runtime.alerts.settled();
    const replay = `${name}-replay-1`;
    await failIn(runtime, "announce", replay);
    await runtime.alerts.settled();
    const alerts = runtime.slackMessages.filter((entry) => (entry.message.text ?? "").includes(name));
    expect(alerts).toHaveLength(2);
    expect(blockText(alerts[1])).toContain(`*Business key*\\n${name}`);
    expect(blockText(alerts[1])).toContain(`*Execution*\\n${replay}`);
  });
});

describe("alerts across restarts", () => {
  it("a stopped execution alerts once as stopped; a restart sends nothing again", async () => {
    const dataDir = tempDir();
    const first = await startTestRuntime({ dataDir, flows: "announce", waitSeconds: 60 });
    const leadId = "lead_AlertAborted";
    try {
      expect((await post(first.webhookUrl, leadBody(leadId))).status).toBe(202);
      await first.engine.stopExecution({
        executionArn: first.engine.arnOf(leadId),
        error: "OperatorStopped",
        cause: "not a real lead",
      });
      await first.alerts.settled();
      const alerts = alertsFor(first, leadId);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.message.text).toBe(`leadrelay: announce was stopped: ${leadId} (OperatorStopped)`);
      expect(blockText(alerts[0])).toContain("not a real lead");
    } finally {
      await first.stop();
    }
    const second = await startTestRuntime({ dataDir, flows: "announce", waitSeconds: 60 });
    try {
      await second.alerts.settled();
      expect(alertsFor(second, leadId)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it("an alert Slack did not take is sent at the next start, once", async () => {
    const dataDir = tempDir();
    const printed: string[] = [];
    const first = await startTestRuntime({
      dataDir,
      flows: "announce",
      waitSeconds: 0,
      print: (line) => printed.push(line),
    });
    const name = "alert-probe-undelivered";
    try {
      await fail(first, "slack", { status: 500, body: "down", times: 1 });
      await failIn(first, "announce", name);
      await first.alerts.settled();
      expect(alertsFor(first, name)).toHaveLength(0);
      expect(printed.join("\n")).toMatch(
        /alert for alert-probe-undelivered FAILED not delivered \(SlackUnavailable/,
      );
    } finally {
      await first.stop();
    }
    const second = await startTestRuntime({ dataDir, flows: "announce", waitSeconds: 0 });
    try {
      await second.alerts.settled();
      expect(alertsFor(second, name)).toHaveLength(1);
    } finally {
      await second.stop();
    }
    const third = await startTestRuntime({ dataDir, flows: "announce", waitSeconds: 0 });
    try {
      await third.alerts.settled();
      expect(alertsFor(third, name)).toHaveLength(1);
    } finally {
      await third.stop();
    }
  });
});
