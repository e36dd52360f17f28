import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ExecutionStorage } from "../src/execution-store";
import { LocalStepFunctions } from "../src/local-step-functions";
import { openLocalStorage } from "../src/local-storage";
import { createFileObjectStorage } from "../src/object-storage";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:work";
const HOLD_SECONDS = 3;

/** A hold, then a Task: what a waiting lead looks like. */
function engine(storage: { executionsDir: string } | { executions: ExecutionStorage }) {
  return new LocalStepFunctions({
    definition: {
      StartAt: "Hold",
      States: {
        Hold: {
          Type: "Choice",
          Choices: [{ Variable: "$.hold", BooleanEquals: true, Next: "Wait" }],
          Default: "Work",
        },
        Wait: { Type: "Wait", Seconds: HOLD_SECONDS, Next: "Work" },
        Work: { Type: "Task", Resource: ARN, End: true },
      },
    },
    stateMachineName: "import",
    handlers: { Work: async (input) => input },
    resources: { Work: ARN },
    ...storage,
  });
}

describe("the older layout (a file per object and per execution) moves into the journal on the first start", () => {
  it("imports every object and execution, verified; the waiting lead keeps its Wait's start; the old files are kept aside", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-import-"));
    // The older layout, written by the classes that wrote it.
    const files = createFileObjectStorage(join(dataDir, "s3"), "leadrelay-local");
    const objects: Record<string, Buffer> = {
      "crm_event_lead_1.json": Buffer.from('{"event":{"id":"ev_1"}}'),
      "enriched/crm_event_lead_1.json": Buffer.from('{"lead":"lead_1"}'),
      "binary/blob": Buffer.from([0, 1, 2, 255, 254]),
    };
    for (const [key, body] of Object.entries(objects)) await files.put("leadrelay-local", key, body);
    const old = engine({ executionsDir: join(dataDir, "executions", "flow") });
    const startedAt = Date.now();
    await old.startExecution({
      stateMachineArn: old.stateMachineArn,
      name: "waiting",
      input: '{"hold":true}',
    });
    await old.startExecution({ stateMachineArn: old.stateMachineArn, name: "done", input: '{"hold":false}' });
    expect((await old.settled("done"))?.status).toBe("SUCCEEDED");
    await new Promise((resolve) => setTimeout(resolve, 300));
    await old.close();
    const waitingBefore = readFileSync(join(dataDir, "executions", "flow", "waiting.json"), "utf8");
    writeFileSync(join(dataDir, "executions", "flow", "hand-edited.json"), "{not json");
    const mtime = statSync(join(dataDir, "s3", "leadrelay-local", "binary", "blob")).mtime;

    const lines: string[] = [];
    const storage = await openLocalStorage(dataDir, { print: (line) => lines.push(line) });
    const said = lines.join("\n");
    expect(said).toMatch(/3 objects in 1 bucket\(s\), 2 executions \(1 running\); verified/);
    expect(said).toMatch(/not imported, unreadable: executions\/flow\/hand-edited\.json/);
    const keptIn = /kept in (\S+)/.exec(said)?.[1] as string;
    expect(existsSync(join(dataDir, "s3"))).toBe(false);
    expect(existsSync(join(dataDir, "executions"))).toBe(false);
    expect(readFileSync(join(keptIn, "executions", "flow", "waiting.json"), "utf8")).toBe(waitingBefore);
    expect(readdirSync(join(keptIn, "s3", "leadrelay-local")).sort()).toEqual(
      ["binary", "crm_event_lead_1.json", "enriched"].sort(),
    );

    for (const [key, body] of Object.entries(objects))
      expect((await storage.objects.get("leadrelay-local", key))?.body).toEqual(body);
    expect((await storage.objects.get("leadrelay-local", "binary/blob"))?.modified.getTime()).toBe(
      mtime.getTime(),
    );
    expect(
      (await storage.objects.list("leadrelay-local", "enriched/", "", 10)).map((info) => info.key),
    ).toEqual(["enriched/crm_event_lead_1.json"]);

    // The lead resumes in its Wait, counted from when it entered it, not from the import.
    const resumed = engine({ executions: storage.executions("flow") });
    expect(resumed.resumeAll()).toEqual({ loaded: 2, resumed: 1 });
    const waiting = await resumed.settled("waiting");
    expect(waiting?.status).toBe("SUCCEEDED");
    expect(waiting?.events.slice(0, JSON.parse(waitingBefore).events.length)).toEqual(
      JSON.parse(waitingBefore).events,
    );
    const held = ((waiting?.stopDate ?? 0) - startedAt) / 1000;
    expect(held).toBeGreaterThanOrEqual(HOLD_SECONDS - 0.1);
    expect(held).toBeLessThan(HOLD_SECONDS + 1.5);
    await resumed.close();
    await storage.close();

    // A second start finds nothing to import and everything in the journal.
    lines.length = 0;
    const again = await openLocalStorage(dataDir, { print: (line) => lines.push(line) });
    expect(lines).toEqual([]);
    expect((await again.objects.get("leadrelay-local", "binary/blob"))?.body).toEqual(objects["binary/blob"]);
    const third = engine({ executions: again.executions("flow") });
    expect(third.resumeAll()).toEqual({ loaded: 2, resumed: 0 });
    await third.close();
    await again.close();
  });
});
