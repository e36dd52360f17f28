import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FLOW_IDS, FLOWS } from "../../packages/flows/registry";
import { EnvSchema } from "../../packages/functions/src/config";
import { RETAINED_STAGES, TEST_STAGE } from "../stage-policy";
import { oncePerRun } from "./once-per-run";
import type { CfnTemplate } from "./template-queries";

export const TEST_OWNER_URL = "https://owner-files.example.test/leads";
/** The stacks every stage has; others (sst.config.ts may add some) are checked wherever a test loops over all. */
export const STACK_IDS = ["Storage", "Flows", "Api"] as const;
export type StackId = (typeof STACK_IDS)[number];
/** Every stack of the app by its id (its name without `<stage>-leadrelay-`). */
export type StackTemplates = Record<StackId, CfnTemplate> & Record<string, CfnTemplate>;

/** Names in the shared configuration that hold credentials, whatever flow reads them. */
const CREDENTIAL = /(SECRET|TOKEN|API_KEY|WEBHOOK_URL)$/;

/**
 * Put in the environment of the synth: a template that contains one of them leaked a secret from
 * the deploying shell. Every credential of the shared configuration and every secret a flow or a
 * source binds gets one, so a flow added later is covered without editing this list.
 */
export const SECRET_SENTINELS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    ...new Set([
      ...Object.keys(EnvSchema).filter((name) => CREDENTIAL.test(name)),
      ...FLOWS.flatMap((flow) => [
        ...flow.source.secrets,
        ...(flow.sourceChoice?.sources ?? []).flatMap((source) => source.secrets),
        ...Object.values(flow.tasks).flatMap((task) => [
          ...(task.secrets ?? []),
          ...(task.optionalSecrets ?? []),
        ]),
      ]),
    ]),
  ]
    .sort()
    .map((name) => {
      // Hex passes a hex-key check (CLOSE_WEBHOOK_SECRET); URLs stay URLs (SLACK_WEBHOOK_URL).
      const hex = `5e17e1a1${createHash("sha256").update(name).digest("hex").slice(0, 48)}`;
      return [name, name.endsWith("_URL") ? `https://hooks.sentinel.example.test/${hex}` : hex];
    }),
);

/**
 * The sources setting of the test stage: triage listens to Close and HubSpot there (the retained
 * stage keeps the default, Close only), so the synth covers a stage with and without HubSpot.
 */
export const TEST_SOURCE_SETTINGS = { TRIAGE_SOURCES: "close,hubspot" } as const;

/** The prod-like stage whose retained resources the retention test inspects. */
export const RETAINED_STAGE = RETAINED_STAGES[0] ?? "prod";

export interface Synthesized {
  /** The offline test stage (every flow of the registry), as `sst deploy` builds it. */
  test: StackTemplates;
  /**
   * The same app for the data-retaining stage, every flow chosen. Synthesized in SST's "remove" mode:
   * no bundling and placeholder settings (a real prod deploy needs real ones), same resources and
   * removal policies.
   */
  retained: StackTemplates;
  /** The bundle directory of each function of the test stage, by `<StackId>/<logical id>`. */
  bundles: Record<string, string>;
  /** The settings each flow of the test stage was deployed with (flow-settings.ts, same environment). */
  settings: Record<string, Record<string, string>>;
  ms: { test: number; retained: number };
}

/**
 * The app synthesized once per test run, whichever stacks test file asks first; the other files
 * (other worker processes) read the same result. A synth bundles every function and takes seconds.
 */
export function synthesized(): Promise<Synthesized> {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  return oncePerRun(
    "leadrelay-synth",
    [
      "sst.config.ts",
      "stacks",
      "stacks/test/synth.ts",
      "packages/flows",
      "packages/functions/src",
      "packages/core/src",
    ].map((input) => path.join(root, input)),
    synthesize,
  );
}

/**
 * Synthesizes the app offline the way `sst deploy` builds it: sst.config.ts is bundled by SST's
 * own loader (code that only works unbundled fails here too), its `stacks` run on a deploy-mode
 * App, and every function is really bundled with esbuild. Then the retained stage, unbundled.
 */
export async function synthesize(outDir: string): Promise<Synthesized> {
  // Loaded here, not at the top: the files that only read a synthesized result skip seconds of imports.
  const [{ App, Function: SstFunction, Stack }, { initProject, useProject }, { load }, { CfnElement }] =
    await Promise.all([
      import("sst/constructs"),
      import("sst/project.js"),
      import("sst/stacks/build.js"),
      import("aws-cdk-lib"),
    ]);
  const { deployContext, settingsFor } = await import("../flow-settings");
  const shell = { ...process.env };

  const run = async (stage: string, mode: "deploy" | "remove", env: Record<string, string | undefined>) => {
    await initProject({ stage });
    // After initProject, which loads .env files over process.env: the template must not depend on the shell.
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    const project = useProject();
    // SST's own output (.sst: bundles, generated types, cdk.out) goes to a directory of this run, so a
    // synth in another process (another test run, `sst build`) can neither clear nor rewrite it meanwhile.
    project.paths.out = path.join(outDir, "sst");
    project.paths.artifacts = path.join(outDir, "sst", "artifacts");
    const [, config] = (await load(project.paths.config, false)) as readonly [
      unknown,
      { stacks(app: unknown): Promise<void> | void },
    ];
    const app = new App(
      { mode, stage, name: "leadrelay", region: "us-east-1" },
      { outdir: path.join(project.paths.out, `cdk.out.${stage}`) },
    );
    await config.stacks(app);
    await app.finish();
    const prefix = app.logicalPrefixedName("");
    const stacks = new Map(
      app.node.children
        .filter((child): child is InstanceType<typeof Stack> => child instanceof Stack)
        .map((stack) => [stack.stackName.slice(prefix.length), stack]),
    );
    for (const id of STACK_IDS) {
      if (!stacks.has(id)) throw new Error(`sst.config.ts did not create the ${id} stack`);
    }
    const { Template } = await import("aws-cdk-lib/assertions");
    const templates = Object.fromEntries(
      [...stacks].map(([id, stack]) => [id, Template.fromStack(stack).toJSON() as CfnTemplate]),
    ) as StackTemplates;
    const bundles: Record<string, string> = {};
    for (const [id, stack] of stacks) {
      for (const node of stack.node.findAll()) {
        if (!(node instanceof SstFunction) || !(node.node.defaultChild instanceof CfnElement)) continue;
        bundles[`${id}/${stack.getLogicalId(node.node.defaultChild)}`] = path.join(
          project.paths.artifacts,
          node.node.addr,
        );
      }
    }
    return { templates, bundles };
  };

  const testEnv = {
    OWNER_BASE_URL: TEST_OWNER_URL,
    LEAD_WAIT_SECONDS: undefined,
    NOTIFY_UNASSIGNED: undefined,
    LOG_RETENTION_DAYS: undefined,
    // The test stage synthesizes every flow (LEADRELAY_FLOWS unset).
    LEADRELAY_FLOWS: undefined,
    ...TEST_SOURCE_SETTINGS,
    HUBSPOT_WEBHOOK_URL: undefined,
    HUBSPOT_OWN_APP_IDS: undefined,
    ...SECRET_SENTINELS,
    // SST builds functions one at a time on a 2-core machine; five at once roughly halves the synth.
    SST_BUILD_CONCURRENCY: process.env.SST_BUILD_CONCURRENCY ?? "5",
  };
  try {
    let started = performance.now();
    const test = await run(TEST_STAGE, "deploy", testEnv);
    const settings = Object.fromEntries(
      FLOWS.map((flow) => [flow.id, settingsFor(flow, process.env, deployContext(TEST_STAGE, "deploy"))]),
    );
    const testMs = performance.now() - started;
    started = performance.now();
    const retained = await run(RETAINED_STAGE, "remove", {
      ...testEnv,
      LEADRELAY_FLOWS: FLOW_IDS.join(","),
      // The default: triage from Close only, no HubSpot route, no HubSpot secret.
      TRIAGE_SOURCES: undefined,
    });
    return {
      test: test.templates,
      retained: retained.templates,
      bundles: test.bundles,
      settings,
      ms: { test: testMs, retained: performance.now() - started },
    };
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in shell)) delete process.env[name];
    Object.assign(process.env, shell);
  }
}
