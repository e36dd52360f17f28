import { RedriveExecutionCommand } from "@aws-sdk/client-sfn";
import { buildTimeline, formatTimeline, type TimelineStep } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../../local/src/runtime";
import { flowHistory, leadBody, post, startTestRuntime } from "../../../local/test/harness";

/**
 * What the CLI and the console read from a triage history whose AlertHumans Parallel had one
 * branch fail and one succeed: the history read through the Step Functions API, then the one
 * timeline reader.
 */

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startTestRuntime({ flows: "triage", retryIntervalMs: 10 });
});
afterAll(() => runtime.stop());

function urgentLead(leadId: string): string {
  const body = JSON.parse(leadBody(leadId, "Harbor Robotics"));
  body.event.data.description = "We need a quote for 40 licenses by Friday, budget approved";
  return JSON.stringify(body);
}

const step = (steps: TimelineStep[], state: string) => steps.filter((candidate) => candidate.state === state);

describe("URGENT_BUYER with Twilio refusing the SMS (400)", () => {
  it("TextOnCall failed with Twilio's error and PostUrgentSlack succeeded, each in its own AlertHumans branch", async () => {
    const script = await fetch(`${runtime.url}/_local/twilio/_fail`, {
      method: "POST",
      body: JSON.stringify({
        status: 400,
        body: { code: 21211, message: "The 'To' number is not a valid phone number.", status: 400 },
        times: 1,
      }),
    });
    expect(script.status).toBe(201);
    expect((await post(runtime.webhookUrl, urgentLead("lead_TriHistory01"))).status).toBe(202);

    const timeline = buildTimeline(await flowHistory(runtime, "triage", "lead_TriHistory01"));

    expect(timeline).toMatchObject({ status: "failed", error: "TriageActionFailed", retries: 0 });
    const [text] = step(timeline.steps, "TextOnCall");
    expect(text).toMatchObject({
      status: "failed",
      branch: { state: "AlertHumans", kind: "Parallel", index: 0 },
      attempts: [{ number: 1, outcome: "failed", error: "ServiceRejected" }],
    });
    expect(text?.attempts[0]?.cause).toMatch(/twilio/i);
    const [slack] = step(timeline.steps, "PostUrgentSlack");
    expect(slack).toMatchObject({
      status: "done",
      branch: { state: "AlertHumans", kind: "Parallel", index: 1 },
      attempts: [{ number: 1, outcome: "succeeded" }],
    });
    expect(slack?.output).toBeDefined();
    expect(step(timeline.steps, "SmsNotSent")[0]?.branch?.index).toBe(0);
    expect(step(timeline.steps, "AlertHumans")[0]).toMatchObject({ kind: "Parallel", status: "done" });
    // Nothing ran after the execution stopped.
    expect(timeline.steps.filter((candidate) => candidate.status === "running")).toEqual([]);

    const lines = formatTimeline(timeline).join("\n");
    expect(lines).toMatch(
      /✗ TextOnCall\s+Task\s+.*\(AlertHumans branch 0\)\n\s+attempt 1 failed: ServiceRejected/,
    );
    expect(lines).toMatch(/✓ PostUrgentSlack\s+Task\s+.*\(AlertHumans branch 1\)/);

    // A redrive restarts AlertHumans: its new branches are read apart from the first ones.
    await runtime.sfnClient.send(
      new RedriveExecutionCommand({ executionArn: runtime.engines.triage?.arnOf("lead_TriHistory01") }),
    );
    const redriven = buildTimeline(await flowHistory(runtime, "triage", "lead_TriHistory01"));
    expect(redriven).toMatchObject({ status: "succeeded", redrives: 1 });
    expect(step(redriven.steps, "TextOnCall").map((candidate) => candidate.status)).toEqual([
      "failed",
      "done",
    ]);
    expect(step(redriven.steps, "PostUrgentSlack").map((candidate) => candidate.status)).toEqual([
      "done",
      "done",
    ]);
    expect(step(redriven.steps, "TextOnCall")[1]?.branch).toEqual({
      state: "AlertHumans",
      kind: "Parallel",
      index: 0,
    });
  });
});
