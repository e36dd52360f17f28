import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import { fixture, leadBody, post, startTestRuntime, tempDir } from "./harness";

/** `GET /metrics` of the local runtime: Prometheus' text format, counters that move with the traffic. */

let runtime: Runtime;
let ownersDir: string;

async function scrape(): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${runtime.url}/metrics`);
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

/** A sample's value, 0 when the series is absent. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const { text } = await scrape();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? "").split(",");
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length) {
      return Number(match[3]);
    }
  }
  return 0;
}

beforeAll(async () => {
  ownersDir = tempDir("leadrelay-owners-");
  runtime = await startTestRuntime({
    flows: "announce",
    waitSeconds: 1,
    ownersDir,
    env: { ANNOUNCE_EMAIL_TO: "sales@example.com" },
  });
});
afterAll(async () => {
  await runtime?.stop();
});

describe("GET /metrics", () => {
  it("answers in Prometheus' text format with every series, from zero", async () => {
    const answer = await scrape();
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      "leadrelay_webhooks_total",
      "leadrelay_executions_total",
      "leadrelay_executions_waiting",
      "leadrelay_outbound_calls_total",
      "leadrelay_outbound_call_duration_seconds",
      "leadrelay_actions_total",
    ]) {
      expect(answer.text).toContain(`# TYPE ${name} `);
    }
    expect(await sample("leadrelay_executions_total", { flow: "announce", status: "failed" })).toBe(0);
    expect(
      await sample("leadrelay_actions_total", { flow: "announce", action: "slack", outcome: "skipped" }),
    ).toBe(0);
  });

  it("counts webhooks by source and answer, executions by flow and status, waiting ones, vendor calls", async () => {
    const before = {
      accepted: await sample("leadrelay_webhooks_total", {
        source: "close",
        status: "202",
        outcome: "accepted",
      }),
      ignored: await sample("leadrelay_webhooks_total", {
        source: "close",
        status: "202",
        outcome: "ignored",
      }),
      refused: await sample("leadrelay_webhooks_total", {
        source: "close",
        status: "401",
        outcome: "refused",
      }),
      slack: await sample("leadrelay_actions_total", { flow: "announce", action: "slack", outcome: "done" }),
      email: await sample("leadrelay_actions_total", { flow: "announce", action: "email", outcome: "done" }),
      started: await sample("leadrelay_executions_total", { flow: "announce", status: "started" }),
      succeeded: await sample("leadrelay_executions_total", { flow: "announce", status: "succeeded" }),
      emails: await sample("leadrelay_outbound_calls_total", { service: "brevo", outcome: "ok" }),
    };
    const leadId = "lead_Metrics01";
    writeFileSync(join(ownersDir, `${leadId}.json`), JSON.stringify({ lead_id: leadId, lead_owner: "Mia" }));
    expect((await post(runtime.webhookUrl, leadBody(leadId))).status).toBe(202);
    expect(
      (await post(runtime.webhookUrl, leadBody(leadId), { "content-type": "application/json" })).status,
    ).toBe(401);

    // A 202 that only acknowledges (an event no flow handles) is counted apart from an accepted one.
    expect((await post(runtime.webhookUrl, fixture("lead-updated.json"))).status).toBe(202);
    expect(
      await sample("leadrelay_webhooks_total", { source: "close", status: "202", outcome: "accepted" }),
    ).toBe(before.accepted + 1);
    expect(
      await sample("leadrelay_webhooks_total", { source: "close", status: "202", outcome: "ignored" }),
    ).toBe(before.ignored + 1);
    expect(
      await sample("leadrelay_webhooks_total", { source: "close", status: "401", outcome: "refused" }),
    ).toBe(before.refused + 1);
    expect(await sample("leadrelay_executions_total", { flow: "announce", status: "started" })).toBe(
      before.started + 1,
    );
    // Held in HoldForOwner for a second: running now.
    expect(await sample("leadrelay_executions_waiting", { flow: "announce" })).toBe(1);

    expect((await runtime.engine.settled(leadId))?.status).toBe("SUCCEEDED");
    expect(await sample("leadrelay_executions_waiting", { flow: "announce" })).toBe(0);
    expect(await sample("leadrelay_executions_total", { flow: "announce", status: "succeeded" })).toBe(
      before.succeeded + 1,
    );
    // Each declared action, as the flow reads it from the execution.
    expect(
      await sample("leadrelay_actions_total", { flow: "announce", action: "slack", outcome: "done" }),
    ).toBe(before.slack + 1);
    expect(
      await sample("leadrelay_actions_total", { flow: "announce", action: "email", outcome: "done" }),
    ).toBe(before.email + 1);
    // The announcement email went to the Brevo stand-in through the shared HTTP client.
    expect(await sample("leadrelay_outbound_calls_total", { service: "brevo", outcome: "ok" })).toBe(
      before.emails + 1,
    );
    const { text } = await scrape();
    expect(text).toMatch(/^leadrelay_outbound_call_duration_seconds_count\{service="brevo"\} [1-9]/m);
  });

  it("counts failed executions", async () => {
    const before = await sample("leadrelay_executions_total", { flow: "announce", status: "failed" });
    await runtime.engine.startExecution({
      stateMachineArn: runtime.stateMachineArn,
      name: "metrics-bad",
      input: "{}",
    });
    expect((await runtime.engine.settled("metrics-bad"))?.status).toBe("FAILED");
    expect(await sample("leadrelay_executions_total", { flow: "announce", status: "failed" })).toBe(
      before + 1,
    );
  });
});
