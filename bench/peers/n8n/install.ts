/**
 * n8n as this machine runs it (checked by hand first): `npm install --ignore-scripts n8n@2.40.7`
 * (without --ignore-scripts a Kafka native module fails to build; 2.41.3 does not resolve), then
 * `node-gyp rebuild` in its sqlite3 package (from source, about a minute and a half), and Node 24
 * from the npm `node@24` package (n8n 2.40 refuses Node 22). All under ~/.cache/leadrelay-bench.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { installedVersion, packageFolder, run, type StepRecord, step } from "../installs";

export const N8N_VERSION = "2.40.7";
const NODE_MAJOR = 24;

export interface N8nInstall {
  dir: string;
  /** The Node 24 binary n8n runs on (its folder goes first on PATH, so the task runner uses it too). */
  node: string;
  nodeVersion: string;
  /** n8n's CLI entry (`node <bin> start`). */
  bin: string;
  n8nVersion: string;
}

export async function installN8n(steps: StepRecord[]): Promise<N8nInstall> {
  const dir = packageFolder(`n8n-${N8N_VERSION}`);
  if (installedVersion(dir, "n8n") !== N8N_VERSION) {
    const args = [
      "install",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `n8n@${N8N_VERSION}`,
    ];
    await step(steps, "npm install n8n", `npm ${args.join(" ")}`, () =>
      run("npm", args, { cwd: dir, timeoutMs: 15 * 60_000 }),
    );
  } else steps.push({ step: "npm install n8n", seconds: 0, skipped: `n8n ${N8N_VERSION} already in ${dir}` });

  const sqlite = join(dir, "node_modules", "sqlite3");
  if (!existsSync(join(sqlite, "build", "Release", "node_sqlite3.node"))) {
    await step(steps, "node-gyp rebuild (sqlite3)", "npm exec --yes -- node-gyp rebuild", () =>
      run("npm", ["exec", "--yes", "--", "node-gyp", "rebuild"], { cwd: sqlite, timeoutMs: 10 * 60_000 }),
    );
  } else steps.push({ step: "node-gyp rebuild (sqlite3)", seconds: 0, skipped: "already built" });

  const nodeDir = packageFolder(`n8n-${N8N_VERSION}/node${NODE_MAJOR}`);
  const node = join(nodeDir, "node_modules", "node", "bin", "node");
  let nodeVersion = existsSync(node)
    ? (await run(node, ["--version"], { timeoutMs: 10_000 }).catch(() => "")).trim()
    : "";
  if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) {
    const args = ["install", "--no-audit", "--no-fund", "--loglevel=error", `node@${NODE_MAJOR}`];
    await step(steps, `npm install node@${NODE_MAJOR}`, `npm ${args.join(" ")}`, () =>
      run("npm", args, { cwd: nodeDir, timeoutMs: 5 * 60_000 }),
    );
    nodeVersion = (await run(node, ["--version"], { timeoutMs: 10_000 })).trim();
  } else
    steps.push({
      step: `npm install node@${NODE_MAJOR}`,
      seconds: 0,
      skipped: `${nodeVersion} already there`,
    });

  return {
    dir,
    node,
    nodeVersion,
    bin: join(dir, "node_modules", "n8n", "bin", "n8n"),
    n8nVersion: installedVersion(dir, "n8n") ?? "?",
  };
}
