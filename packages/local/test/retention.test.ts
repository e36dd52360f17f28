import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ObjectStore } from "@leadrelay/core";
import { expiringPrefixes } from "@leadrelay/functions/retention";
import { describe, expect, it } from "vitest";
import { FLOWS } from "../../flows/registry";
import { Journal } from "../src/journal";
import { createJournalObjectStorage, JournalExecutionStorage, objectKey } from "../src/journal-storage";
import { LocalStepFunctions } from "../src/local-step-functions";
import { etagOf } from "../src/object-storage";
import { applyRetention } from "../src/retention";
import { createStandIn } from "../src/stand-ins/stand-in";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:work";
const DAY = 86_400_000;
const BUCKET = "leadrelay-local";

describe("retention (LEADRELAY_RETENTION_DAYS)", () => {
  it("removes finished executions, expiring objects and stand-in requests past the cutoff; never a running execution's, a retained key, or anything under 72 h", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-retention-"));
    const real = Date.now();
    const journal = new Journal({ directory: join(dataDir, "journal") });
    const old = real - 100 * DAY;
    const backdated: Record<string, number> = {
      "crm_event_lead_gone.json": old,
      "notified/lead_gone.json": old,
      // A running execution's stored webhook and what its input names.
      "crm_event_lead_running.json": old,
      "sources/meta/named-in-input.json": old,
      // State a flow declares retained, and a key no flow's grants cover.
      "flows/linkedin-replies/deals/contact-1/campaign.json": old,
      "other/kept.json": old,
      // Young.
      "notified/lead_new.json": real,
    };
    await journal.put(`b/${BUCKET}`, Buffer.alloc(0));
    for (const [key, t] of Object.entries(backdated)) {
      const body = Buffer.from(key);
      await journal.put(objectKey(BUCKET, key), body, { t, etag: etagOf(body), size: body.length });
    }
    const objects = createJournalObjectStorage(journal);

    const clock = { now: real };
    const engine = new LocalStepFunctions({
      definition: {
        StartAt: "Hold",
        States: {
          Hold: {
            Type: "Choice",
            Choices: [{ Variable: "$.hold", BooleanEquals: true, Next: "Wait" }],
            Default: "Done",
          },
          Wait: { Type: "Wait", Seconds: 1_000_000, Next: "Done" },
          Done: { Type: "Task", Resource: ARN, End: true },
        },
      },
      stateMachineName: "retention",
      handlers: { Done: async (input) => input },
      resources: { Done: ARN },
      executions: new JournalExecutionStorage(journal, "flow"),
      now: () => clock.now,
    });
    await engine.startExecution({
      stateMachineArn: engine.stateMachineArn,
      name: "lead_done",
      input: '{"hold":false}',
    });
    expect((await engine.settled("lead_done"))?.status).toBe("SUCCEEDED");
    // Running for 8 days already (its start date), still waiting.
    clock.now = real - 8 * DAY;
    await engine.startExecution({
      stateMachineArn: engine.stateMachineArn,
      name: "lead_running",
      input: JSON.stringify({ hold: true, raw: "sources/meta/named-in-input.json" }),
    });

    const standInDir = join(dataDir, "stand-ins");
    mkdirSync(standInDir, { recursive: true });
    const request = (id: number, at: number) =>
      JSON.stringify({
        id,
        at: new Date(at).toISOString(),
        method: "POST",
        path: "/",
        query: "",
        headers: {},
        status: 200,
      });
    writeFileSync(join(standInDir, "slack.jsonl"), `${request(1, old)}\n${request(2, real)}\n`);
    const standIn = createStandIn(
      { slug: "slack", title: "Slack", respond: () => ({ status: 200 }) },
      { dataDir, store: {} as ObjectStore },
    );
    const targets = {
      engines: () => [engine],
      objects,
      bucket: BUCKET,
      expiring: expiringPrefixes(FLOWS),
      standIns: () => [standIn],
    };

    // One day asked, two days on: the execution that finished two days ago is under Close's 72 h
    // redelivery window and stays; what is 100 days old goes, except what the running one needs.
    expect(await applyRetention(targets, { days: 1, now: real + 2 * DAY })).toEqual({
      executions: 0,
      objects: 2,
      standInRequests: 1,
    });
    const keys = async () => (await objects.list(BUCKET, "", "", 100)).map((info) => info.key).sort();
    expect(await keys()).toEqual(
      [
        "crm_event_lead_running.json",
        "flows/linkedin-replies/deals/contact-1/campaign.json",
        "notified/lead_new.json",
        "other/kept.json",
        "sources/meta/named-in-input.json",
      ].sort(),
    );
    expect(engine.listExecutions({ stateMachineArn: engine.stateMachineArn }).executions).toHaveLength(2);
    expect(standIn.requests().map((entry) => entry.id)).toEqual([2]);
    expect(readFileSync(join(standInDir, "slack.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);

    // 90 days on: the finished execution goes; the running one and what it needs stay.
    expect(await applyRetention(targets, { days: 90, now: real + 91 * DAY })).toEqual({
      executions: 1,
      objects: 0,
      standInRequests: 1,
    });
    expect(
      engine.listExecutions({ stateMachineArn: engine.stateMachineArn }).executions.map((e) => e.name),
    ).toEqual(["lead_running"]);
    expect(() => engine.describeExecution({ executionArn: engine.arnOf("lead_done") })).toThrow(
      /does not exist/,
    );
    expect(await keys()).toContain("crm_event_lead_running.json");
    expect(standIn.requests()).toEqual([]);
    expect(readFileSync(join(standInDir, "slack.jsonl"), "utf8")).toBe("");

    await engine.close();
    await standIn.close();
    // After a restart the finished execution stays gone (removed from the journal, not only memory).
    await journal.close();
    const reopened = new Journal({ directory: join(dataDir, "journal") });
    expect([...reopened.entries("x/flow/")].map(([key]) => key)).toEqual(["x/flow/lead_running"]);
    await reopened.close();
  });
});
