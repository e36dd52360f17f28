import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoContacts } from "../src/hubspot-sample";
import type { Runtime } from "../src/runtime";
import { LOCAL_PORTAL_ID } from "../src/stand-ins/hubspot";
import { runCli, startTestRuntime, tempDir } from "./harness";

/**
 * `pnpm leadrelay send --hubspot`, `leads` and `lead hubspot-…` against a runtime whose triage
 * listens to Close and HubSpot (TRIAGE_SOURCES=close,hubspot, no keys): the demo contacts created in
 * the HubSpot stand-in, a signed batch, each contact's page with its name, label and actions.
 */

const cli = (dataDir: string, ...args: string[]) =>
  runCli(args, { LEADRELAY_DATA_DIR: dataDir, TRIAGE_SOURCES: "close,hubspot", HUBSPOT_CLIENT_SECRET: "" });

describe("leadrelay send --hubspot, leads and lead for HubSpot contacts", () => {
  let runtime: Runtime;
  let dataDir: string;
  let leadIds: string[] = [];

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-cli-hubspot-");
    // No HUBSPOT_CLIENT_SECRET: the runtime generates one into the data dir, as `pnpm start` does.
    runtime = await startTestRuntime({ dataDir, flows: "triage", env: { TRIAGE_SOURCES: "close,hubspot" } });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates the three demo contacts in the stand-in and posts one signed contact.creation batch", async () => {
    const sent = await cli(dataDir, "send", "--hubspot");
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    const answer = JSON.parse(sent.stdout.split("\n")[1]?.replace(/^202 /, "") ?? "{}") as {
      leadIds?: string[];
    };
    leadIds = answer.leadIds ?? [];
    expect(leadIds).toHaveLength(3);
    for (const id of leadIds) expect(id).toMatch(new RegExp(`^hubspot-${LOCAL_PORTAL_ID}-\\d+$`));
    expect(sent.stdout).toContain("Una Okafor");
    for (const id of leadIds) {
      expect((await runtime.engines.triage?.settled(id))?.status).toBe("SUCCEEDED");
    }
    const state = (await (await fetch(`${runtime.settings.HUBSPOT_BASE_URL}/_state`)).json()) as {
      contacts: Array<{ id: string; properties: Record<string, string | null> }>;
    };
    const labels = leadIds.map(
      (id) =>
        state.contacts.find((contact) => `hubspot-${LOCAL_PORTAL_ID}-${contact.id}` === id)?.properties
          .leadrelay_triage_label,
    );
    expect(labels).toEqual(demoContacts().map((contact) => contact.label));
  });

  it("a second send of the demo reuses the contacts: 200, nothing new", async () => {
    const again = await cli(dataDir, "send", "--hubspot");
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\n200 .*"status":"duplicate"/);
  });

  it("posts a batch file as given, signed; a file that is not a batch is refused", async () => {
    const dir = tempDir("leadrelay-cli-hubspot-file-");
    try {
      const imported = join(dir, "import.json");
      const contactId = leadIds[0]?.split("-")[2];
      writeFileSync(
        imported,
        JSON.stringify([
          {
            eventId: 1,
            subscriptionId: 1,
            portalId: LOCAL_PORTAL_ID,
            appId: 1,
            occurredAt: Date.now(),
            subscriptionType: "contact.creation",
            attemptNumber: 0,
            objectId: Number(contactId),
            changeFlag: "CREATED",
            changeSource: "IMPORT",
            sourceId: "import:1",
          },
        ]),
      );
      const sent = await cli(dataDir, "send", "--hubspot", imported);
      expect(sent.code).toBe(0);
      // Signed correctly (not 401), and an import starts nothing.
      expect(sent.stdout).toMatch(/\n200 .*"status":"ignored"/);
      const single = join(dir, "one.json");
      writeFileSync(single, JSON.stringify({ objectId: 1 }));
      const refused = await cli(dataDir, "send", "--hubspot", single);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("not a HubSpot batch");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leads lists each contact by name with its label; lead shows its page with each action", async () => {
    const leads = await cli(dataDir, "leads", "--flow", "triage");
    expect(leads.code).toBe(0);
    const row = leads.stdout.split("\n").find((line) => line.includes(leadIds[0] ?? "?"));
    expect(row).toMatch(/^triage\s+SUCCEEDED\s/);
    expect(row).toContain("· Una Okafor — Northwind Logistics · URGENT_BUYER → SMS + Slack");

    const page = await cli(dataDir, "lead", leadIds[0] ?? "");
    expect(page.code).toBe(0);
    expect(page.stdout).toContain(`${leadIds[0]} — Una Okafor — Northwind Logistics: triage ×1`);
    expect(page.stdout).toContain("SUCCEEDED — URGENT_BUYER → SMS + Slack");
    expect(page.stdout).toMatch(/✓ Read the contact from HubSpot done/);
    expect(page.stdout).toMatch(/✓ Text the on-call rep done/);
    expect(page.stdout).toMatch(/✓ Post the urgent lead in Slack done/);
    expect(page.stdout).toMatch(
      /✓ Record the outcome in HubSpot done \(leadrelay_triage_label = URGENT_BUYER\)/,
    );
    // Close's actions are not this lead's.
    expect(page.stdout).not.toContain("from Close");
    expect(page.stdout).not.toContain("in Close");
    // The timeline: the branch to HubSpot's Tasks.
    expect(page.stdout).toMatch(/ByCrm\s+Choice/);
    expect(page.stdout).toMatch(/FetchHubSpotContact\s+Task/);

    const kicker = await cli(dataDir, "lead", leadIds[1] ?? "");
    expect(kicker.stdout).toContain("Kim Larsen — Fjord Studio");
    expect(kicker.stdout).toContain("TIRE_KICKER → email");
  });
});
