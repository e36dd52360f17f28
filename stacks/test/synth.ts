import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { IConstruct } from "constructs";
import { FLOW_IDS, FLOWS } from "../../packages/flows/registry";
import { EnvSchema } from "../../packages/functions/src/config";
import { RETAINED_STAGES, TEST_STAGE } from "../stage-policy";
import { oncePerRun } from "./once-per-run";
import type { CfnTemplate } from "./template-queries";

export const TEST_OWNER_URL = "https://owner-files.example.test/leads";
/** The retained stage announces by email too (the test stage does not). */
export const TEST_ANNOUNCE_EMAIL_TO = "sales@leadrelay.example.test";
/** The sender every email of the test stage goes out from (its SES identities are the only grant). */
export const TEST_EMAIL_FROM = "leads@leadrelay.example.test";
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
  /** cdk-nag's AwsSolutions findings of each stage, by stage name. */
  nag: Record<string, NagFinding[]>;
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

/** A cdk-nag finding on one synthesized resource (suppressed ones carry their reason). */
export interface NagFinding {
  /** `<StackId>/<construct path below the stack>`. */
  path: string;
  ruleId: string;
  /** The offending part, for rules that find several in one resource (e.g. `Action::s3:*`); empty otherwise. */
  findingId: string;
  /** Absent when the finding is not suppressed. */
  suppressed?: string;
  /** The rule could not judge the resource (an error of the rule itself). */
  error?: string;
}

/**
 * cdk-nag's AwsSolutions pack on `app`: the returned list fills when the app synthesizes (the pack
 * is an Aspect). Paths lose `prefix` (`<stage>-leadrelay-`), so they read `<StackId>/<construct path>`.
 */
export async function nagFindings(app: IConstruct, prefix = ""): Promise<NagFinding[]> {
  const [{ Aspects }, { AwsSolutionsChecks }] = await Promise.all([import("aws-cdk-lib"), import("cdk-nag")]);
  const nag: NagFinding[] = [];
  const where = (resource: IConstruct) => resource.node.path.replace(prefix, "");
  Aspects.of(app).add(
    new AwsSolutionsChecks({
      reports: false,
      additionalLoggers: [
        {
          onCompliance() {},
          onNotApplicable() {},
          onNonCompliance: (d) =>
            nag.push({ path: where(d.resource), ruleId: d.ruleId, findingId: d.findingId }),
          onSuppressed: (d) =>
            nag.push({
              path: where(d.resource),
              ruleId: d.ruleId,
              findingId: d.findingId,
              suppressed: d.suppressionReason,
            }),
          onError: (d) =>
            nag.push({
              path: where(d.resource),
              ruleId: d.ruleId,
              findingId: "",
              error: d.errorMessage,
            }),
          onSuppressedError: (d) =>
            nag.push({
              path: where(d.resource),
              ruleId: d.ruleId,
              findingId: "",
              error: d.errorMessage,
              suppressed: d.errorSuppressionReason,
            }),
        },
      ],
    }),
  );
  return nag;
}

/** One stage as synthesized offline. */
export interface StageSynth {
  templates: StackTemplates;
  /** The bundle directory of each function (bundled only in "deploy" mode), by `<StackId>/<logical id>`. */
  bundles: Record<string, string>;
  /** cdk-nag's AwsSolutions pack over every stack of the stage. */
  nag: NagFinding[];
}

/**
 * Synthesizes one stage offline the way `sst deploy` builds it: sst.config.ts is bundled by SST's
 * own loader (code that only works unbundled fails here too), its `stacks` run on an App of `mode`
 * ("deploy" bundles every function with esbuild; "remove" bundles nothing, same resources), with
 * `env` over the shell's environment (restored afterwards). cdk-nag's AwsSolutions checks run on
 * the synthesized app.
 */
export async function synthesizeStage(
  outDir: string,
  stage: string,
  mode: "deploy" | "remove",
  env: Record<string, string | undefined>,
): Promise<StageSynth> {
  // Loaded here, not at the top: the files that only read a synthesized result skip seconds of imports.
  const [{ App, Function: SstFunction, Stack }, { initProject, useProject }, { load }, { CfnElement }] =
    await Promise.all([
      import("sst/constructs"),
      import("sst/project.js"),
      import("sst/stacks/build.js"),
      import("aws-cdk-lib"),
    ]);
  const shell = { ...process.env };
  try {
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
      { outdir: path.join(project.paths.out, `cdk.out.${stage}-${mode}`) },
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

    const nag = await nagFindings(app, prefix);

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
    return { templates, bundles, nag };
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in shell)) delete process.env[name];
    Object.assign(process.env, shell);
  }
}

/** The environment of the test stage's synth: every secret a sentinel, nothing from the shell. */
export const TEST_ENV: Readonly<Record<string, string | undefined>> = {
  OWNER_BASE_URL: TEST_OWNER_URL,
  LEAD_WAIT_SECONDS: undefined,
  NOTIFY_UNASSIGNED: undefined,
  LOG_RETENTION_DAYS: undefined,
  // The test stage synthesizes every flow (LEADRELAY_FLOWS unset).
  LEADRELAY_FLOWS: undefined,
  // Announce without its email (Slack only): its email function is not deployed (#22 finding 7);
  // the retained stage deploys it.
  ANNOUNCE_EMAIL_TO: undefined,
  EMAIL_FROM: TEST_EMAIL_FROM,
  EMAIL_PROVIDER: undefined,
  BREVO_BASE_URL: undefined,
  ALERT_EMAIL_TO: undefined,
  // Skipped actions are counted, not alerted (skipped-alerts.test.ts builds a flow with alerts on).
  LEADRELAY_ALERT_ON_SKIPPED: undefined,
  ...TEST_SOURCE_SETTINGS,
  HUBSPOT_WEBHOOK_URL: undefined,
  HUBSPOT_OWN_APP_IDS: undefined,
  ...SECRET_SENTINELS,
  // SST builds functions one at a time on a 2-core machine; five at once roughly halves the synth.
  SST_BUILD_CONCURRENCY: process.env.SST_BUILD_CONCURRENCY ?? "5",
};

/** The test stage (bundled, as `sst deploy` builds it), then the retained stage, unbundled. */
export async function synthesize(outDir: string): Promise<Synthesized> {
  const { deployContext, settingsFor } = await import("../flow-settings");
  let started = performance.now();
  const test = await synthesizeStage(outDir, TEST_STAGE, "deploy", TEST_ENV);
  const settings = Object.fromEntries(
    FLOWS.map((flow) => [
      flow.id,
      settingsFor(flow, { ...process.env, ...TEST_ENV }, deployContext(TEST_STAGE, "deploy")),
    ]),
  );
  const testMs = performance.now() - started;
  started = performance.now();
  const retained = await synthesizeStage(outDir, RETAINED_STAGE, "remove", {
    ...TEST_ENV,
    LEADRELAY_FLOWS: FLOW_IDS.join(","),
    // The default: triage from Close only, no HubSpot route, no HubSpot secret.
    TRIAGE_SOURCES: undefined,
    // With the email announcement: its function exists, granted the sender's SES identities only.
    ANNOUNCE_EMAIL_TO: TEST_ANNOUNCE_EMAIL_TO,
  });
  return {
    test: test.templates,
    retained: retained.templates,
    bundles: test.bundles,
    settings,
    nag: { [TEST_STAGE]: test.nag, [RETAINED_STAGE]: retained.nag },
    ms: { test: testMs, retained: performance.now() - started },
  };
}
