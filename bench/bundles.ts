import { spawn } from "node:child_process";
import { mkdirSync, realpathSync, symlinkSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { FLOWS } from "../packages/flows/registry";
import { sampleBody } from "../packages/local/src/sample-request";
import { FUNCTION_DEFAULTS } from "../stacks/function-defaults";
import { closedPort, median, REPO_ROOT, removeDir, SECRET, tempDir } from "./lib";

/** The part of esbuild's API used here (esbuild is SST's own dependency, not the workspace's). */
interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<
    string,
    {
      bytes: number;
      entryPoint?: string;
      imports: Array<{ path: string; kind: string; external?: boolean }>;
      inputs: Record<string, { bytesInOutput: number }>;
    }
  >;
}
interface Esbuild {
  version: string;
  build(options: Record<string, unknown>): Promise<{ metafile: Metafile }>;
}

interface BundleTarget {
  /** "ingest-close", "announce/fetch-raw"… */
  name: string;
  entry: string;
  /** For a Task: the state whose captured input is its event (announce's happy path). */
  state?: string;
  source?: boolean;
}

/** Every Lambda of every flow in the registry: the sources' ingest functions and each flow's Tasks. */
function bundleTargets(): BundleTarget[] {
  const entryOf = (handler: string) => `${handler.replace(/\.[^./]+$/, "")}.ts`;
  const targets = new Map<string, BundleTarget>();
  for (const flow of FLOWS) {
    targets.set(flow.source.handler, {
      name: `ingest-${flow.source.id}`,
      entry: entryOf(flow.source.handler),
      source: true,
    });
    for (const task of Object.values(flow.tasks)) {
      const file = entryOf(task.handler);
      targets.set(task.handler, {
        name: `${flow.id}/${file.split("/").at(-1)?.replace(/\.ts$/, "")}`,
        entry: file,
        state: task.id,
      });
    }
  }
  return [...targets.values()];
}

export const HANDLERS: readonly string[] = bundleTargets().map((target) => target.name);

export type Variant = "deployed" | "runtimeSdk" | "unminified";
/** `deployed` is stacks/function-defaults.ts as it is; the others change one thing each, for comparison. */
const VARIANTS: Record<Variant, { minify?: boolean; externalSdk?: boolean; describe: string }> = {
  deployed: {
    describe:
      "as `sst deploy` builds it with stacks/function-defaults.ts: esm, splitting, minify, keepNames, target esnext, the AWS SDK clients bundled (pinned by the lockfile)",
  },
  runtimeSdk: {
    externalSdk: true,
    describe: "the same with @aws-sdk/* external (the nodejs22.x runtime's own SDK, as deployed before #14)",
  },
  unminified: { minify: false, describe: "the same as deployed, not minified" },
};

function loadEsbuild(): Esbuild {
  // SST bundles with its own esbuild (0.18.13 for sst 2.49.8): use exactly that one.
  const sst = realpathSync(join(REPO_ROOT, "node_modules/sst"));
  return createRequire(join(sst, "package.json"))("esbuild") as Esbuild;
}

/** node_modules/runtime/handlers/node.js of sst 2.49.8, mode "deploy", with the project's `nodejs` defaults. */
function sstBuildOptions(entry: string, outdir: string, variant: Variant): Record<string, unknown> {
  const nodejs = FUNCTION_DEFAULTS.nodejs ?? {};
  const isESM = (nodejs.format ?? "esm") === "esm";
  if (!isESM) throw new Error("bench/bundles.ts mirrors SST's ESM build only");
  const { external = [], ...override } = (nodejs.esbuild ?? {}) as { external?: string[] };
  return {
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    platform: "node",
    external: [
      "sharp",
      "pg-native",
      ...(nodejs.install ?? []),
      ...external,
      ...(VARIANTS[variant].externalSdk ? ["@aws-sdk/*"] : []),
    ],
    loader: nodejs.loader,
    keepNames: true,
    bundle: true,
    logLevel: "silent",
    splitting: nodejs.splitting,
    metafile: true,
    outExtension: nodejs.splitting ? { ".js": ".mjs" } : undefined,
    format: "esm",
    target: "esnext",
    mainFields: ["module", "main"],
    banner: {
      js: [
        `import { createRequire as topLevelCreateRequire } from 'module';`,
        `const require = topLevelCreateRequire(import.meta.url);`,
        `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
        `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
        nodejs.banner || "",
      ].join("\n"),
    },
    outfile: nodejs.splitting
      ? undefined
      : join(outdir, `${entry.split("/").at(-1)?.replace(/\.ts$/, "")}.mjs`),
    outdir: nodejs.splitting ? outdir : undefined,
    sourcemap: nodejs.sourcemap !== false,
    minify: VARIANTS[variant].minify ?? nodejs.minify,
    ...override,
  };
}

const NODE_BUILTINS = new Set(builtinModules);
const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

/** "…/node_modules/.pnpm/x/node_modules/@aws-sdk/client-s3/dist-es/…" → "@aws-sdk/client-s3"; own code → "leadrelay". */
function packageOf(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at === -1) return "leadrelay";
  const [scope, name] = path.slice(at + "node_modules/".length).split("/");
  return scope?.startsWith("@") ? `${scope}/${name}` : (scope ?? "?");
}

export interface BundleSize {
  /** The entry file and the chunks it imports statically: what a cold start loads before the first invocation. */
  coldLoadedKB: number;
  /** Everything esbuild wrote for the function (the deployed artifact), lazy chunks included. */
  totalKB: number;
  files: number;
  externalImports: string[];
  /** Largest packages in what a cold start loads (KB in the output). */
  topPackagesCold: Array<[string, number]>;
  /** Largest packages in the whole artifact (KB in the output). */
  topPackages: Array<[string, number]>;
  entryFile: string;
}

function sizeOf(metafile: Metafile, entryPoint: string): BundleSize {
  const outputs = Object.entries(metafile.outputs).filter(([path]) => !path.endsWith(".map"));
  // Dynamic imports are entry points too in esbuild's metafile: pick the handler's own.
  const entry = outputs.find(([, output]) => output.entryPoint === entryPoint);
  if (!entry) throw new Error("no entry output");
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    const output = metafile.outputs[path];
    if (!output) return;
    loaded.add(path);
    for (const item of output.imports) {
      if (item.kind === "import-statement" && !item.external) visit(item.path);
    }
  };
  visit(entry[0]);
  const byPackage = (paths: string[]): Array<[string, number]> => {
    const sizes = new Map<string, number>();
    for (const path of paths) {
      for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[path]?.inputs ?? {})) {
        sizes.set(packageOf(input), (sizes.get(packageOf(input)) ?? 0) + bytesInOutput);
      }
    }
    return [...sizes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([name, bytes]) => [name, kb(bytes)]);
  };
  const externals = new Set<string>();
  for (const [, output] of outputs) {
    for (const item of output.imports) {
      if (
        item.external &&
        !item.path.startsWith("node:") &&
        !NODE_BUILTINS.has(item.path.split("/")[0] ?? "")
      ) {
        externals.add(item.path);
      }
    }
  }
  return {
    coldLoadedKB: kb([...loaded].reduce((sum, path) => sum + (metafile.outputs[path]?.bytes ?? 0), 0)),
    totalKB: kb(outputs.reduce((sum, [, output]) => sum + output.bytes, 0)),
    files: outputs.length,
    externalImports: [...externals].sort(),
    topPackagesCold: byPackage([...loaded]),
    topPackages: byPackage(outputs.map(([path]) => path)),
    entryFile: join(REPO_ROOT, entry[0]),
  };
}

export interface ColdStart {
  /** Node's own start-up until the probe's first line ran (process boot, not the bundle). */
  nodeBootMs: number;
  importMs: number;
  firstInvocationMs: number;
  /** spawn → exit as seen from the bench process. */
  processWallMs: number;
  outcome: string;
  runs: number;
}

/** Runs in a fresh `node` (no tsx): import the bundle, invoke `handler` once, print timings. */
const PROBE = `
const boot = performance.now();
const t0 = performance.now();
const mod = await import(process.env.BENCH_BUNDLE_URL);
const t1 = performance.now();
let outcome;
try {
  const result = await mod.handler(JSON.parse(process.env.BENCH_EVENT), {
    functionName: "bench", functionVersion: "$LATEST", awsRequestId: "bench-request", memoryLimitInMB: "256",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:bench", logGroupName: "bench", logStreamName: "bench",
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 20000,
  });
  outcome = "returned " + (result && typeof result === "object" && "statusCode" in result ? result.statusCode : typeof result);
} catch (error) {
  outcome = "threw " + (error && error.name);
}
const t2 = performance.now();
process.stdout.write("\\nBENCH " + JSON.stringify({ nodeBootMs: boot, importMs: t1 - t0, firstInvocationMs: t2 - t1, outcome }) + "\\n");
process.exit(0);
`;

function probeOnce(
  bundle: string,
  event: unknown,
  env: Record<string, string>,
): Promise<Omit<ColdStart, "runs">> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", PROBE], {
      env: { ...env, BENCH_BUNDLE_URL: pathToFileURL(bundle).href, BENCH_EVENT: JSON.stringify(event) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", () => {
      clearTimeout(timer);
      const line = /^BENCH (.*)$/m.exec(output)?.[1];
      if (!line) return reject(new Error(`cold-start probe for ${bundle} printed no result:\n${output}`));
      resolve({
        ...(JSON.parse(line) as Omit<ColdStart, "runs" | "processWallMs">),
        processWallMs: performance.now() - started,
      });
    });
  });
}

/**
 * The events: an ingest with a bad signature (401, no AWS call); announce's Tasks with the inputs
 * of a real happy path against a closed port; a Task without a captured input gets an empty one
 * (its first call is then the input check: the cold import is what is measured there).
 */
function eventFor(target: BundleTarget, taskInputs: Record<string, unknown>): unknown {
  if (target.source) {
    return {
      version: "2.0",
      routeKey: "POST /webhook/close",
      rawPath: "/webhook/close",
      headers: {
        "content-type": "application/json",
        "close-sig-timestamp": String(Math.floor(Date.now() / 1000)),
        "close-sig-hash": "0".repeat(64),
      },
      body: sampleBody(),
      isBase64Encoded: false,
      requestContext: { http: { method: "POST", path: "/webhook/close" } },
    };
  }
  const input = (taskInputs[target.state ?? ""] as Record<string, unknown> | undefined) ?? {};
  // NotifySlack's ASL Parameters select { kind, leadId, merged } from the state input.
  return target.state === "NotifySlack"
    ? { kind: "lead", leadId: input.leadId, merged: input.merged }
    : input;
}

/** Makes the SDK packages the external variant imports resolvable next to its output (the Lambda runtime provides them). */
function linkExternals(outdir: string, names: string[]) {
  const fromFunctions = createRequire(join(REPO_ROOT, "packages/functions/package.json"));
  const fromSst = createRequire(join(realpathSync(join(REPO_ROOT, "node_modules/sst")), "package.json"));
  for (const name of names) {
    let packageJson: string | undefined;
    for (const resolver of [fromFunctions, fromSst]) {
      try {
        packageJson = resolver.resolve(`${name}/package.json`);
        break;
      } catch {
        // try the next
      }
    }
    if (!packageJson) continue;
    const link = join(outdir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    try {
      symlinkSync(dirname(realpathSync(packageJson)), link, "dir");
    } catch {
      // already linked
    }
  }
}

export async function benchBundles(options: {
  runs: Record<Variant, number>;
  taskInputs: Record<string, unknown>;
  /** Only the Lambdas of these flows (and their sources); every flow when absent. */
  flows?: readonly string[];
}) {
  const esbuild = loadEsbuild();
  const root = tempDir("bundles");
  const port = await closedPort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "BENCHLOCAL",
    AWS_SECRET_ACCESS_KEY: "BENCHLOCAL",
    // Every AWS call goes to a loopback port with nothing listening: refused at once, never leaves the machine.
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_MAX_ATTEMPTS: "1",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    BUCKET_NAME: "leadrelay-bench",
    STATE_MACHINE_ARN: "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-bench",
    SOURCE_FLOWS: "announce",
    STATE_MACHINE_ARN_ANNOUNCE: "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-bench",
    CLOSE_WEBHOOK_SECRET: SECRET,
    SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/slack`,
    OWNER_BASE_URL: `http://127.0.0.1:${port}/owners`,
    HTTP_TIMEOUT_MS: "2000",
    LOG_LEVEL: "info",
  };
  const results: Record<string, Record<Variant, BundleSize & { coldStart: ColdStart }>> = {};
  try {
    const chosen = bundleTargets().filter(
      (target) =>
        !options.flows ||
        options.flows.some((flow) => target.name.startsWith(`${flow}/`)) ||
        (target.source &&
          FLOWS.some(
            (flow) => options.flows?.includes(flow.id) && target.name === `ingest-${flow.source.id}`,
          )),
    );
    for (const target of chosen) {
      const handler = target.name;
      const perVariant = {} as Record<Variant, BundleSize & { coldStart: ColdStart }>;
      results[handler] = perVariant;
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        if (options.runs[variant] === 0) continue;
        const outdir = join(root, variant, handler.replace("/", "-"));
        const { entry } = target;
        const { metafile } = await esbuild.build(sstBuildOptions(entry, outdir, variant));
        const size = sizeOf(metafile, entry);
        // What is external resolves at run time (Lambda's runtime SDK); here from the repo's node_modules.
        if (size.externalImports.length > 0) linkExternals(outdir, size.externalImports);
        const event = eventFor(target, options.taskInputs);
        const runs: Array<Omit<ColdStart, "runs">> = [];
        for (let i = 0; i < options.runs[variant]; i++)
          runs.push(await probeOnce(size.entryFile, event, env));
        const pick = (key: "nodeBootMs" | "importMs" | "firstInvocationMs" | "processWallMs") =>
          Math.round(median(runs.map((run) => run[key])) * 10) / 10;
        perVariant[variant] = {
          ...size,
          entryFile: relative(root, size.entryFile),
          coldStart: {
            nodeBootMs: pick("nodeBootMs"),
            importMs: pick("importMs"),
            firstInvocationMs: pick("firstInvocationMs"),
            processWallMs: pick("processWallMs"),
            outcome: [...new Set(runs.map((run) => run.outcome))].join(" | "),
            runs: runs.length,
          },
        };
      }
    }
  } finally {
    removeDir(root);
  }
  return {
    esbuild: esbuild.version,
    variants: Object.fromEntries(Object.entries(VARIANTS).map(([name, v]) => [name, v.describe])),
    coldStartMethod:
      "fresh `node` process per run (no tsx), median of the runs: import() of the entry, then one handler(event, context). " +
      "ingest gets a bad signature (401, no AWS call); the task handlers get the inputs captured from a happy-path history, " +
      "with every endpoint on a closed loopback port so the first SDK/HTTP call fails at once (the real error path is taken, " +
      "credential and endpoint resolution included). SST secrets are not bound here, so sst/node/config (SSM) is not loaded.",
    handlers: results,
  };
}
