/**
 * `pnpm exec tsx bench/profile.ts [requests] [in-process|loopback]`: a CPU profile of `pnpm start`
 * (announce only, an hour's hold, so only ingest runs) under signed Close webhooks, 16 in flight:
 * CPU ms per webhook (the runtime's process, from /proc: steadier than req/s on a shared machine)
 * and the top frames by self time. The second argument is LEADRELAY_AWS_TRANSPORT (how the
 * handlers reach the embedded S3 and Step Functions). Never in CI; the .cpuprofile stays in the OS
 * temp dir (open it in Chrome DevTools).
 */
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { leadBodies, REPO_ROOT, removeDir, runLoad, SECRET, spawnTs, tempDir } from "./lib";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by frame (function + file + line), and by file, in ms. */
export function selfTimes(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const frames = new Map<string, number>();
  const files = new Map<string, number>();
  let total = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    const file = frame.url.replace(`file://${REPO_ROOT}`, "").replace(/^.*node_modules\/\.pnpm\/[^/]+\//, "");
    const name = `${frame.functionName || "(anonymous)"} ${file || "(native)"}:${frame.lineNumber + 1}`;
    frames.set(name, (frames.get(name) ?? 0) + ms);
    const area = areaOf(frame.url, frame.functionName);
    files.set(area, (files.get(area) ?? 0) + ms);
    total += ms;
  }
  const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { total, frames: top(frames, 15), areas: top(files, 12) };
}

function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/\.pnpm\/([^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg.replace(/@\d.*$/, "").replace(/\+/g, "/");
  if (url.startsWith("node:")) return url;
  return url.replace(`file://${REPO_ROOT}`, "");
}

/** User + system CPU of a process so far, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function main() {
  const requests = Number(process.argv[2] ?? 3000);
  const transport = process.argv[3] ?? "in-process";
  const dataDir = tempDir("profile");
  const profileDir = tempDir("profile-out");
  const runtime = spawnTs("packages/local/src/main.ts", {
    CLOSE_WEBHOOK_SECRET: SECRET,
    LEAD_WAIT_SECONDS: "3600",
    PORT: "0",
    LEADRELAY_FLOWS: "announce",
    LEADRELAY_DATA_DIR: dataDir,
    LEADRELAY_AWS_TRANSPORT: transport,
    NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}`,
  });
  try {
    const { url } = await runtime.ready();
    const bodies = leadBodies("Profile", requests + 300);
    await runLoad({ url, requests: bodies.slice(0, 300), concurrency: 16, maxMs: 30_000 });
    const before = cpuMsOf(runtime.pid);
    const load = await runLoad({ url, requests: bodies.slice(300), concurrency: 16, maxMs: 120_000 });
    const perWebhook = (cpuMsOf(runtime.pid) - before) / load.sent;
    process.stdout.write(
      `${transport}: ${load.sent} webhooks, ${load.rps} req/s, ${perWebhook.toFixed(2)} CPU ms per webhook, ` +
        `statuses ${JSON.stringify(load.statuses)}, load average ${loadavg()[0]?.toFixed(1)}\n`,
    );
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
  const file = readdirSync(profileDir).find((name) => name.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile in ${profileDir}`);
  const { total, frames, areas } = selfTimes(JSON.parse(readFileSync(join(profileDir, file), "utf8")));
  const pct = (ms: number) => `${((ms / total) * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`profile ${join(profileDir, file)} (${(total / 1000).toFixed(1)} s sampled)\n`);
  process.stdout.write("top frames by self time:\n");
  for (const [name, ms] of frames) process.stdout.write(`  ${pct(ms)}  ${name}\n`);
  process.stdout.write("by package or file:\n");
  for (const [name, ms] of areas) process.stdout.write(`  ${pct(ms)}  ${name}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
