/**
 * The n8n peer: n8n 2.40.7 on Node 24 in regular mode (one main process + its internal JS task
 * runner, SQLite), bound to 127.0.0.1 with everything that phones home turned off, running
 * bench/peers/n8n/workflow.json: Webhook (raw body, answers from a Respond node) → Code (Close HMAC)
 * → IF → Respond 202 / 401 → Wait → HTTP owner file (Retry On Fail) → Code merge → HTTP Slack
 * (Retry On Fail). The workflow is imported and published once per bench run with n8n's CLI into a
 * template user folder; each launch starts from a copy of it.
 */
import { cpSync } from "node:fs";
import { dirname } from "node:path";
import { closedPort, removeDir, SECRET, tempDir } from "../../lib";
import { run, step } from "../installs";
import { childEnv, type Peer, untilHttp } from "../peer";
import { spawnTree, type Tree } from "../processes";
import { installN8n, type N8nInstall } from "./install";

const WORKFLOW = new URL("./workflow.json", import.meta.url).pathname;
const WORKFLOW_ID = "leadrelayBenchAnn";
const WEBHOOK_PATH = "close-lead";

/** Everything that would contact n8n's servers (or anyone's) is off; the rest is n8n's defaults. */
export const N8N_SETTINGS = {
  N8N_LISTEN_ADDRESS: "127.0.0.1",
  N8N_HOST: "127.0.0.1",
  N8N_PROTOCOL: "http",
  N8N_RUNNERS_BROKER_LISTEN_ADDRESS: "127.0.0.1",
  DB_TYPE: "sqlite",
  N8N_DIAGNOSTICS_ENABLED: "false",
  N8N_DIAGNOSTICS_CONFIG_FRONTEND: "",
  N8N_DIAGNOSTICS_CONFIG_BACKEND: "",
  EXTERNAL_FRONTEND_HOOKS_URLS: "",
  N8N_VERSION_NOTIFICATIONS_ENABLED: "false",
  N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: "false",
  N8N_TEMPLATES_ENABLED: "false",
  N8N_PERSONALIZATION_ENABLED: "false",
  N8N_DYNAMIC_BANNERS_ENABLED: "false",
  N8N_HIRING_BANNER_ENABLED: "false",
  N8N_AI_ENABLED: "false",
  N8N_LICENSE_AUTO_RENEW_ENABLED: "false",
  N8N_COMMUNITY_PACKAGES_ENABLED: "false",
  N8N_UNVERIFIED_PACKAGES_ENABLED: "false",
  // The MCP registry module refreshes its server list from the internet every 8 hours (and at start).
  N8N_DISABLED_MODULES: "mcp-registry",
  N8N_PUBLIC_API_DISABLED: "true",
  N8N_SECURE_COOKIE: "false",
  N8N_LOG_LEVEL: "warn",
  // The workflow reads its configuration like the other peers, from the environment ($env) …
  N8N_BLOCK_ENV_ACCESS_IN_NODE: "false",
  // … and the signature check needs node:crypto in the Code node.
  NODE_FUNCTION_ALLOW_BUILTIN: "crypto",
  N8N_ENCRYPTION_KEY: "leadrelay-bench-not-a-secret",
};

let install: N8nInstall | undefined;
let template: string | undefined;

function n8nEnv(userFolder: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  if (!install) throw new Error("n8n is not installed");
  return childEnv({
    ...N8N_SETTINGS,
    N8N_USER_FOLDER: userFolder,
    // The internal task runner is started with the `node` found on PATH: Node 24 as well.
    PATH: `${dirname(install.node)}:${process.env.PATH ?? ""}`,
    ...extra,
  });
}

export const n8n: Peer = {
  name: "n8n",
  crashes: [{ part: "all", what: "kill -9 n8n's process group (main process and its JS task runner)" }],
  async setup(steps) {
    install = await installN8n(steps);
    const dir = tempDir("peers-n8n-template");
    const cli = (args: string[]) => {
      const active = install as N8nInstall;
      return run(active.node, [active.bin, ...args], { cwd: dir, env: n8nEnv(dir, {}), timeoutMs: 300_000 });
    };
    await step(
      steps,
      "n8n import:workflow (fresh SQLite: runs n8n's migrations)",
      "n8n import:workflow",
      () => cli(["import:workflow", `--input=${WORKFLOW}`]),
    );
    await step(steps, "n8n publish:workflow", `n8n publish:workflow --id=${WORKFLOW_ID}`, () =>
      cli(["publish:workflow", `--id=${WORKFLOW_ID}`]),
    );
    template = dir;
    return {
      n8n: install.n8nVersion,
      node: `${install.nodeVersion} (npm node@24, ${install.node})`,
      mode: "regular (single main process, EXECUTIONS_MODE default), internal JS task runner for Code nodes, SQLite, n8n defaults for execution saving and pruning",
      settings: N8N_SETTINGS,
      workflow:
        "bench/peers/n8n/workflow.json, imported with `n8n import:workflow` and published with `n8n publish:workflow`",
      signature:
        "verified before answering: the Webhook node keeps the raw body and answers from a Respond to Webhook node; a Code node computes the HMAC over timestamp + raw bytes; invalid → 401",
      hold: "Wait node, amount = $env.LEAD_WAIT_SECONDS; n8n keeps waits under 65 s in memory and offloads longer ones to the database",
      retries:
        "HTTP Request nodes with Retry On Fail: 5 tries, 1 s apart (n8n allows at most 5 s; no exponential backoff, Retry-After is not read)",
    };
  },
  async launch(options) {
    if (!install || !template) throw new Error("n8n setup did not finish");
    const active = install;
    const dir = tempDir("peers-n8n");
    cpSync(template, dir, { recursive: true });
    const port = await closedPort();
    const brokerPort = await closedPort();
    const origin = `http://127.0.0.1:${port}`;
    const webhookUrl = `${origin}/webhook/${WEBHOOK_PATH}`;
    const env = n8nEnv(dir, {
      N8N_PORT: String(port),
      N8N_WEBHOOK_URL: `${origin}/`,
      N8N_RUNNERS_BROKER_PORT: String(brokerPort),
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: options.standIns.slackWebhookUrl,
      OWNER_BASE_URL: options.standIns.ownerBaseUrl,
      LEAD_WAIT_SECONDS: String(options.holdSeconds),
    });
    const start = async () => {
      const tree = spawnTree("n8n", active.node, [active.bin, "start"], { cwd: dir, env });
      const died = tree.exited.then((code) => {
        throw new Error(`n8n exited (${code}) while starting:\n${tree.output().slice(-4000)}`);
      });
      try {
        await Promise.race([
          died,
          (async () => {
            await untilHttp(`${origin}/healthz/readiness`, (status) => status === 200, 240_000);
            // Ready means the production webhook is registered: an unsigned request gets the workflow's 401.
            await untilHttp(webhookUrl, (status) => status === 401, 60_000, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: "{}",
            });
          })(),
        ]);
      } catch (error) {
        await tree.kill9();
        throw error;
      }
      died.catch(() => {});
      return { tree, ms: Math.round(performance.now() - tree.spawnedAt) };
    };
    let current: { tree: Tree; ms: number };
    try {
      current = await start();
    } catch (error) {
      removeDir(dir);
      throw error;
    }
    return {
      webhookUrl,
      readyMs: current.ms,
      parts: () => [{ role: "n8n", tree: current.tree }],
      crash: () => current.tree.kill9(),
      async recover() {
        current = await start();
        return current.ms;
      },
      async stop() {
        await current.tree.stop(30_000);
        removeDir(dir);
      },
    };
  },
};
