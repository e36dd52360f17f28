import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { spawnRuntime, tempDir } from "./harness";

/** `pnpm start` on a folder until `ready`; stopped by the caller. */
async function started(env: Record<string, string>, cwd?: string) {
  const run = spawnRuntime({ PORT: "0", ...env }, [], cwd);
  const webhookUrl = await run.ready();
  return { ...run, port: Number(new URL(webhookUrl).port) };
}

const lines = (output: string) =>
  output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

describe("pnpm start tells the truth at start-up", () => {
  it("refuses a second start on the same data folder with one line: the pid and port of the running one", async () => {
    const dataDir = tempDir();
    const first = await started({ LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce" });
    try {
      const second = spawnRuntime({ PORT: "0", LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce" });
      expect(await second.exited).toBe(1);
      expect(lines(second.output())).toEqual([
        `leadrelay: already running on ${dataDir} (pid ${first.child.pid}, port ${first.port}); stop it first, or start another with its own LEADRELAY_DATA_DIR and PORT`,
      ]);
      // The first one is untouched.
      expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status).toBe(200);
    } finally {
      first.child.kill("SIGKILL");
    }
  }, 90_000);

  it("takes over the record a kill -9 left, and reports the kept secrets as reused, not generated", async () => {
    const dataDir = tempDir();
    const env = { LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce", CLOSE_WEBHOOK_SECRET: "" };
    const first = await started(env);
    expect(first.output()).toContain("Generated CLOSE_WEBHOOK_SECRET");
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await started(env);
    try {
      expect(second.output()).toContain(
        `took over ${dataDir} from pid ${first.child.pid}, which is no longer running`,
      );
      expect(second.output()).toContain("Reused CLOSE_WEBHOOK_SECRET (generated at an earlier start");
      expect(second.output()).not.toContain("Generated");
      // A clean stop clears the record: the next start takes over nothing.
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      const third = await started(env);
      third.child.kill("SIGTERM");
      await third.exited;
      expect(third.output()).not.toContain("took over");
      expect(third.output()).toContain("Reused CLOSE_WEBHOOK_SECRET");
    } finally {
      second.child.kill("SIGKILL");
    }
  }, 120_000);

  it("says in one line that the port is in use, without a stack trace", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const run = spawnRuntime({
        PORT: String(port),
        LEADRELAY_DATA_DIR: tempDir(),
        LEADRELAY_FLOWS: "announce",
      });
      expect(await run.exited).toBe(1);
      expect(lines(run.output())).toEqual([
        `leadrelay: port ${port} on 127.0.0.1 is already in use by another program; stop it or choose another port (PORT=3001 pnpm start, PORT=0 for any free port)`,
      ]);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("names a vendor whose base URL is set without its credentials, with the actions that will be skipped", async () => {
    const run = await started({
      LEADRELAY_DATA_DIR: tempDir(),
      LEADRELAY_FLOWS: "triage",
      TWILIO_BASE_URL: "http://127.0.0.1:9",
      TWILIO_ACCOUNT_SID: "AC0000",
      ZENDESK_BASE_URL: "http://127.0.0.1:9",
      ZENDESK_EMAIL: "agent@example.test",
      ZENDESK_API_TOKEN: "token",
    });
    run.child.kill("SIGTERM");
    await run.exited;
    const missing = lines(run.output()).filter((line) => line.startsWith("missing"));
    expect(missing).toEqual([
      "missing   TWILIO_BASE_URL is set (the real Twilio SMS) but ON_CALL_PHONE, TWILIO_AUTH_TOKEN, TWILIO_FROM are not; skipped: triage/SendSms",
    ]);
  }, 60_000);

  it("reads leadrelay.local.env from the project folder; the shell wins over it", async () => {
    const project = tempDir();
    const dataDir = tempDir();
    writeFileSync(
      join(project, "leadrelay.local.env"),
      [
        "# local settings, never read by SST",
        "LEADRELAY_FLOWS=announce",
        "LEAD_WAIT_SECONDS=7",
        `LEADRELAY_DATA_DIR=${dataDir}`,
        "",
      ].join("\n"),
    );
    const run = await started({ LEAD_WAIT_SECONDS: "5" }, project);
    run.child.kill("SIGTERM");
    await run.exited;
    const output = run.output();
    expect(output).toContain(`data in ${dataDir}`);
    expect(output).toContain(
      `settings  2 from ${join(project, "leadrelay.local.env")}; the shell's LEAD_WAIT_SECONDS win`,
    );
    expect(output).toContain("hold      5 s");
    expect(lines(output).filter((line) => line.startsWith("flow "))).toHaveLength(1);
  }, 60_000);
});
