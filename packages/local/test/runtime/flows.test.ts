import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@leadrelay/functions";
import { describe, expect, it } from "vitest";
import { FileExecutionStorage } from "../../src/execution-store";
import { chooseFlows, hostFlows, moveUnflowedExecutions } from "../../src/runtime/flows";
import { tempDir } from "../harness";

describe("the flows part", () => {
  it("chooses the flows LEADRELAY_FLOWS names, all when unset, and refuses none or an unknown one", () => {
    expect(chooseFlows({}).map((flow) => flow.id)).toEqual([
      "announce",
      "triage",
      "deal-stage",
      "meta-leads",
      "linkedin-replies",
    ]);
    expect(chooseFlows({ LEADRELAY_FLOWS: "triage, announce" }).map((flow) => flow.id)).toEqual([
      "announce",
      "triage",
    ]);
    expect(() => chooseFlows({ LEADRELAY_FLOWS: " , " })).toThrow("LEADRELAY_FLOWS chose no flow");
    expect(() => chooseFlows({ LEADRELAY_FLOWS: "nope" })).toThrow(/unknown flow\(s\) nope/);
  });

  it("moves executions written before there were flows into announce's folder", () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, "executions", "triage"), { recursive: true });
    writeFileSync(join(dataDir, "executions", "lead_a.json"), "{}");
    writeFileSync(join(dataDir, "executions", "triage", "lead_b.json"), "{}");
    moveUnflowedExecutions(dataDir);
    expect(readdirSync(join(dataDir, "executions", "announce"))).toEqual(["lead_a.json"]);
    expect(readdirSync(join(dataDir, "executions", "triage"))).toEqual(["lead_b.json"]);
    expect(existsSync(join(dataDir, "executions", "lead_a.json"))).toBe(false);
    // A fresh data folder has nothing to move.
    expect(() => moveUnflowedExecutions(tempDir())).not.toThrow();
  });

  it("hosts one engine per flow, named as before flows, and closes them", async () => {
    const engines = {};
    const kit = {
      log: createLogger("test", { level: "silent" }),
      aws: () => ({ endpoint: "http://127.0.0.1:9", region: "us-east-1" }),
    };
    const printed: string[] = [];
    const executionsDir = tempDir();
    const hosted = await hostFlows(chooseFlows({ LEADRELAY_FLOWS: "announce,triage" }), {
      engines,
      settings: {
        BUCKET_NAME: "leadrelay-local",
        SLACK_WEBHOOK_URL: "http://127.0.0.1:9/slack",
        OWNER_BASE_URL: "http://127.0.0.1:9/owners",
        CLOSE_RATE_LIMIT: "20/1s",
      },
      kit,
      executions: (flow) => new FileExecutionStorage(join(executionsDir, flow)),
      alertWebhookUrl: "http://127.0.0.1:9/alerts",
      print: (line) => printed.push(line),
    });
    expect(Object.keys(engines)).toEqual(["announce", "triage"]);
    expect(hosted.engines).toBe(engines);
    expect(hosted.info).toEqual([
      {
        id: "announce",
        title: "Announce new leads in Slack",
        stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-local",
        source: "close",
      },
      expect.objectContaining({
        id: "triage",
        stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-local-triage",
      }),
    ]);
    expect(printed.some((line) => line.startsWith("budget close:"))).toBe(true);
    expect(hosted.runningCount()).toBe(0);
    expect(hosted.resumeAll()).toBe(0);
    await hosted.close();
  });
});
