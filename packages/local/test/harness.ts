import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { executionHistory } from "@leadrelay/console/lead-operations";
import { vi } from "vitest";
import { type Runtime, type RuntimeOptions, startRuntime } from "../src/runtime";
import { closeHeaders } from "../src/sample-request";

export const SECRET = "6c65616472656c61792d746573742d7365637265742d6b65792d303031";
export const FIXTURES = new URL("../demo/close/", import.meta.url).pathname;
export const OWNERS = new URL("../demo/owners/", import.meta.url).pathname;
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

export function fixture(name: string): string {
  return JSON.stringify(JSON.parse(readFileSync(join(FIXTURES, name), "utf8")));
}

export function ownerFile(leadId: string): string {
  return readFileSync(join(OWNERS, `${leadId}.json`), "utf8");
}

/** A lead.created body for any lead id, from the sample. */
export function leadBody(
  leadId: string,
  name = `Lead ${leadId.slice(5, 12)}`,
  eventId = `ev_${Math.random().toString(36).slice(2)}`,
) {
  const body = JSON.parse(fixture("lead-created.json"));
  body.event.id = eventId;
  body.event.lead_id = leadId;
  body.event.object_id = leadId;
  body.event.data.id = leadId;
  body.event.data.display_name = name;
  return JSON.stringify(body);
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export interface SlackMessage {
  text: string;
  blocks: Array<{ type: string; fields?: Array<{ text: string }> }>;
}

/** A Slack incoming webhook on loopback: records what it accepts, answers a scripted status sequence first. */
export async function slackRecorder() {
  const messages: SlackMessage[] = [];
  const script: Array<{ status: number; headers?: Record<string, string> }> = [];
  let requests = 0;
  const { server, url } = await listen(async (req, res) => {
    const body = (await readJson(req)) as SlackMessage;
    requests++;
    const next = script.shift();
    if (next && next.status !== 200) {
      res.writeHead(next.status, { "content-type": "text/plain", ...next.headers }).end("scripted_failure");
      return;
    }
    messages.push(body);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  return {
    url,
    messages,
    script,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The public owner bucket on loopback: 403 for unknown leads, scripted statuses per lead first. */
export async function ownerServer() {
  const files = new Map<string, string>();
  const script = new Map<string, number[]>();
  const hits = new Map<string, number>();
  const { server, url } = await listen((req, res) => {
    const leadId = /\/([^/]+)\.json$/.exec(req.url ?? "")?.[1] ?? "";
    hits.set(leadId, (hits.get(leadId) ?? 0) + 1);
    const scripted = script.get(leadId)?.shift();
    if (scripted !== undefined) {
      res.writeHead(scripted).end();
      return;
    }
    const file = files.get(leadId);
    if (!file) {
      res
        .writeHead(403, { "content-type": "application/xml" })
        .end("<Error><Code>AccessDenied</Code></Error>");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(file);
  });
  return {
    url,
    files,
    script,
    hits: (leadId: string) => hits.get(leadId) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function tempDir(prefix = "leadrelay-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestRuntime(options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  return startRuntime({
    port: 0,
    dataDir: tempDir(),
    secretHex: SECRET,
    waitSeconds: 1,
    retryIntervalMs: 20,
    print: () => {},
    ...options,
  });
}

/**
 * Starts a runtime whose structured logs (stdout) are captured into `logged`, at the most verbose
 * level: what the bad-input corpora check for leaked secrets. `vi.restoreAllMocks()` ends the capture.
 */
export async function withCapturedLogs<T>(logged: string[], start: () => Promise<T>): Promise<T> {
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
  const level = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = "debug";
  try {
    return await start();
  } finally {
    process.env.LOG_LEVEL = level;
  }
}

/** A runtime wired to a loopback Slack recorder and owner server, and how to take it all down. */
export async function startRig(options: Partial<RuntimeOptions> = {}) {
  const slack = await slackRecorder();
  const owners = await ownerServer();
  const runtime = await startTestRuntime({
    slackWebhookUrl: slack.url,
    ownerBaseUrl: owners.url,
    ...options,
  });
  return {
    slack,
    owners,
    runtime,
    async stop() {
      await runtime.stop();
      await slack.close();
      await owners.close();
    },
  };
}

/** A flow's execution, once settled: its whole history through the Step Functions API. */
export async function flowHistory(runtime: Runtime, flowId: string, name: string) {
  const engine = runtime.engines[flowId];
  if (!engine) throw new Error(`flow ${flowId} is not running in this runtime`);
  await engine.settled(name);
  return executionHistory(
    { sfn: runtime.sfnClient, stateMachineArn: engine.stateMachineArn },
    engine.arnOf(name),
  );
}

/** The execution's whole history, read through the Step Functions API as the CLI and console read it. */
export function historyOf(runtime: Runtime, name: string) {
  return executionHistory(
    { sfn: runtime.sfnClient, stateMachineArn: runtime.stateMachineArn },
    runtime.engine.arnOf(name),
  );
}

export async function post(
  webhookUrl: string,
  body: string,
  headers: Record<string, string> = closeHeaders(SECRET, body),
) {
  const response = await fetch(webhookUrl, { method: "POST", headers, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json, text };
}

export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `pnpm start` as a real child process (Node 22 from node_modules, tsx). */
/** `pnpm leadrelay …` as a child process, with `env` over this one's (LEADRELAY_DATA_DIR picks the runtime). */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "packages/local/src/cli.ts", ...args],
      { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: "silent", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `pnpm start` as a process; `cwd` is where it looks for leadrelay.local.env (the repository by default). */
export function spawnRuntime(env: Record<string, string>, args: string[] = [], cwd = REPO_ROOT) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href,
      join(REPO_ROOT, "packages/local/src/main.ts"),
      ...args,
    ],
    {
      cwd,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    ready: () => waitFor(() => /^ready (\S+)/m.exec(output)?.[1], 20_000, "the runtime to print ready"),
  };
}
