import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendDealEvents } from "../src/demo-events";
import type { Runtime } from "../src/runtime";
import { closeHeaders } from "../src/sample-request";
import { leadBody, ownerFile, REPO_ROOT, startTestRuntime, tempDir } from "./harness";

/** `pnpm leadrelay …` as a child process against the runtime of this test (its data dir). */
function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "packages/local/src/cli.ts", ...args],
      {
        cwd: REPO_ROOT,
        // The secret comes from the data dir, as after `pnpm start` without CLOSE_WEBHOOK_SECRET.
        env: { ...process.env, LEADRELAY_DATA_DIR: dataDir, CLOSE_WEBHOOK_SECRET: "", LOG_LEVEL: "silent" },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const lines = (text: string, pattern: RegExp) => text.split("\n").filter((line) => pattern.test(line));

describe("leadrelay CLI against a local runtime", () => {
  let runtime: Runtime;
  let dataDir: string;
  let ownersDir: string;
  let closeFlows: string[];
  const SENT = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";

  /** Posts a lead signed with the runtime's generated secret; it fails in announce (no owner file). */
  async function postLead(leadId: string) {
    const body = leadBody(leadId);
    const response = await fetch(runtime.webhookUrl, {
      method: "POST",
      headers: closeHeaders(runtime.secretHex, body),
      body,
    });
    expect(response.status).toBe(202);
  }

  const replaysOf = (flow: string) =>
    runtime.engines[flow]
      ?.listExecutions({ stateMachineArn: runtime.engines[flow]?.stateMachineArn, maxResults: 1000 })
      .executions.filter((execution) => execution.name.includes("-replay-")) ?? [];

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-cli-");
    ownersDir = tempDir("leadrelay-cli-owners-");
    // No CLOSE_WEBHOOK_SECRET: the runtime generates one into the data dir, as `pnpm start` does.
    runtime = await startTestRuntime({ dataDir, ownersDir, secretHex: undefined, waitSeconds: 0 });
    closeFlows = runtime.flows.filter((flow) => flow.source === "close").map((flow) => flow.id);
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    for (const dir of [dataDir, ownersDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("sends a signed lead, lists it in every Close flow, and prints every flow's timeline of it", async () => {
    const sent = await cli(dataDir, "send");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^202 .*"status":"accepted"/);
    await runtime.engine.settled(SENT);
    for (const flow of closeFlows) await runtime.engines[flow]?.settled(SENT);

    const leads = await cli(dataDir, "leads");
    expect(leads.code).toBe(0);
    expect(leads.stdout.split("\n")[0]).toMatch(
      /^FLOW\s+STATUS\s+STARTED\s+DURATION\s+NAME · WHO · OUTCOME$/,
    );
    const rows = lines(leads.stdout, new RegExp(`\\s${SENT}( · |$)`));
    expect(rows.map((row) => row.split(/\s+/)[0]).sort()).toEqual([...closeFlows].sort());
    expect(
      lines(leads.stdout, /^announce\s+FAILED\s+\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}:\d{2} UTC/),
    ).toHaveLength(1);
    const announceOnly = await cli(
      dataDir,
      "leads",
      "--flow",
      "announce",
      "--status",
      "failed",
      "--since",
      "10m",
    );
    expect(lines(announceOnly.stdout, /lead_/)).toEqual([expect.stringMatching(/^announce\s+FAILED\b/)]);

    const lead = await cli(dataDir, "lead", SENT);
    expect(lead.code).toBe(0);
    expect(lead.stdout).toContain("announce — Announce new leads in Slack");
    expect(lead.stdout).toMatch(/FAILED OwnerNeverAssigned in/);
    expect(lead.stdout).toMatch(/✗ FetchOwner\s+Task/);
    if (closeFlows.includes("triage")) expect(lead.stdout).toMatch(/^triage — /m);
  }, 90_000);

  it("prints a curl that signs when it runs, and the secrets and webhook URLs, LGM's with its token", async () => {
    const file = join(dataDir, "curl-lead.json");
    writeFileSync(file, leadBody("lead_CurlSigned7"));
    const curl = await cli(dataDir, "curl", file);
    expect(curl.code).toBe(0);
    const answer = await new Promise<string>((resolve, reject) =>
      execFile("bash", ["-c", curl.stdout], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(JSON.parse(answer)).toMatchObject({ status: "accepted", leadId: "lead_CurlSigned7" });

    const secrets = await cli(dataDir, "secrets");
    expect(secrets.code).toBe(0);
    expect(secrets.stdout).toMatch(
      new RegExp(`CLOSE_WEBHOOK_SECRET\\s+${runtime.secretHex}\\s+from .*webhook-secret`),
    );
    expect(lines(secrets.stdout, /^\s+close\s/)).toEqual([
      expect.stringContaining(` ${runtime.webhooks.close}`),
    ]);
    const lgm = runtime.webhooks.lgm;
    if (lgm) {
      const token = runtime.generatedSecrets.LGM_WEBHOOK_TOKEN ?? "";
      expect(token.length).toBeGreaterThan(8);
      expect(secrets.stdout).toContain(lgm.replace("{token}", encodeURIComponent(token)));
      expect(secrets.stdout).toContain("treat the URL as one");
    }
  }, 60_000);

  it("bulk-replays failed executions: a dry run lists them, the run replays each once, a second run none", async () => {
    const since = new Date().toISOString();
    const ids = ["lead_BulkOne1", "lead_BulkTwo2", "lead_BulkThree3"];
    for (const id of ids) await postLead(id);
    for (const id of ids) expect((await runtime.engine.settled(id))?.status).toBe("FAILED");

    const dry = await cli(
      dataDir,
      "replay",
      "--flow",
      "announce",
      "--status",
      "FAILED",
      "--since",
      since,
      "--dry-run",
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run, nothing is started");
    expect(lines(dry.stdout, /would replay/).map((line) => line.split(/\s+/)[3])).toEqual(ids);
    expect(replaysOf("announce")).toEqual([]);

    const run = await cli(dataDir, "replay", "--flow", "announce", "--status", "FAILED", "--since", since);
    expect(run.code).toBe(0);
    const replayed = lines(run.stdout, /^\s+replayed/);
    expect(replayed.map((line) => line.split(/\s+/)[2])).toEqual(ids);
    expect(run.stdout).toMatch(/3 FAILED of 3 executions since then; 3 replayed, 0 skipped\./);
    const started = replaysOf("announce").map((execution) => execution.name);
    expect(started.sort()).toEqual(ids.map((id) => `${id}-replay-${Date.parse(since).toString(36)}`).sort());
    // Replays of other flows' executions were not asked for.
    for (const flow of closeFlows.filter((id) => id !== "announce")) expect(replaysOf(flow)).toEqual([]);
    for (const name of started) await runtime.engine.settled(name);

    // The batch again (the replays failed too: still no owner): nothing new is started.
    const again = await cli(dataDir, "replay", "--flow", "announce", "--status", "FAILED", "--since", since);
    expect(again.code).toBe(0);
    expect(lines(again.stdout, /^\s+replayed/)).toEqual([]);
    expect(lines(again.stdout, /this batch already replayed it/)).toHaveLength(3);
    expect(replaysOf("announce")).toHaveLength(3);
  }, 90_000);

  it("redrives a failed execution where it failed, replays one by name, and refuses bad arguments", async () => {
    writeFileSync(join(ownersDir, `${SENT}.json`), ownerFile(SENT));
    const redrive = await cli(dataDir, "redrive", SENT);
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toMatch(new RegExp(`^announce: redriven ${SENT} \\(it was FAILED\\)`, "m"));
    expect((await runtime.engine.settled(SENT))?.status).toBe("SUCCEEDED");

    const replay = await cli(dataDir, "replay", SENT, "--flow", "announce");
    expect(replay.code).toBe(0);
    const name = /as (\S+)$/m.exec(replay.stdout)?.[1] ?? "";
    expect(name).toMatch(new RegExp(`^${SENT}-replay-`));
    expect(
      JSON.parse(runtime.engine.describeExecution({ executionArn: runtime.engine.arnOf(name) }).input),
    ).toMatchObject({ leadId: SENT, replayOf: SENT });

    const file = join(dataDir, "bad.json");
    writeFileSync(file, "{ not json");
    const unreadable = await cli(dataDir, "send", file);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(`${file} is not JSON`);

    const bad = await cli(dataDir, "replay", "--flow", "nope", "--status", "FAILED", "--since", "1h");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("no flow nope");
    expect((await cli(dataDir, "leads", "--since", "yesterday")).stderr).toContain(
      "--since takes an ISO time",
    );
  }, 90_000);
});

describe("leadrelay CLI: a deal whose Meta token is missing", () => {
  let runtime: Runtime;
  let dataDir: string;
  const DEAL = "deal-D-100234";

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-cli-skipped-");
    // A Graph base URL without its token: the Conversions API events are skipped, naming the token.
    runtime = await startTestRuntime({
      dataDir,
      flows: "deal-stage",
      env: { META_GRAPH_BASE_URL: "http://127.0.0.1:9/graph", META_PIXEL_ID: "1234567890" },
    });
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows Succeeded · 1 skipped naming META_ACCESS_TOKEN, lists exactly the skipped with --status skipped, replays them", async () => {
    const sent = await sendDealEvents(runtime);
    expect(sent.map((event) => event.names)).toEqual([[`${DEAL}-qualified`], [`${DEAL}-committed`]]);
    const engine = runtime.engines["deal-stage"];
    for (const stage of ["qualified", "committed"])
      expect((await engine?.settled(`${DEAL}-${stage}`))?.status).toBe("SUCCEEDED");

    const lead = await cli(dataDir, "lead", DEAL);
    expect(lead.code).toBe(0);
    // One page for the deal: both stages, titled by the customer.
    expect(lead.stdout).toMatch(
      /^deal-D-100234 — Valéry O'Connor-Smith — Harbor Lane townhouse: deal-stage ×2/m,
    );
    expect(lead.stdout).toMatch(/SUCCEEDED · 1 skipped — Qualified → nothing reported/);
    expect(lead.stdout).toMatch(/– Report a Lead to Meta skipped: META_ACCESS_TOKEN is not set/);
    expect(lead.stdout).toMatch(/SUCCEEDED · 1 skipped — Committed → property emailed/);
    expect(lead.stdout).toMatch(/✓ Email the buyer the property done/);
    expect(lead.stdout).not.toMatch(/\bnull\b|undefined/);

    const skipped = await cli(dataDir, "leads", "--status", "Skipped");
    expect(skipped.code).toBe(0);
    expect(lines(skipped.stdout, /^deal-stage/).map((line) => /\s(deal-D-\S+)/.exec(line)?.[1])).toEqual([
      `${DEAL}-committed`,
      `${DEAL}-qualified`,
    ]);
    expect(lines(skipped.stdout, /^deal-stage\s+SUCCEEDED · 1 skipped\s/)).toHaveLength(2);
    const failed = await cli(dataDir, "leads", "--status", "FAILED");
    expect(lines(failed.stdout, /^deal-stage/)).toEqual([]);

    const since = new Date(Date.now() - 60_000).toISOString();
    const replay = await cli(
      dataDir,
      "replay",
      "--flow",
      "deal-stage",
      "--status",
      "skipped",
      "--since",
      since,
    );
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/2 SKIPPED of 2 executions since then; 2 replayed, 0 skipped\./);
  }, 90_000);
});
