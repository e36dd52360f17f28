import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import type { SSTConfig } from "sst";
import { App, Function as SstFunction, Stack } from "sst/constructs";
import { initProject, useProject } from "sst/project.js";
import { load } from "sst/stacks/build.js";
import { TEST_STAGE } from "../stage-policy";

export const TEST_OWNER_URL = "https://owner-files.example.test/leads";
/** Put in the environment of the synth: a template that contains them leaked a secret. */
export const SECRET_SENTINELS = {
  CLOSE_WEBHOOK_SECRET: "5e17e1a1c105ec2e75ec2e7d00d5e17e1a1c105ec2e75ec2e7d00d",
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/sentinelsentinel",
};

export interface Synthesized {
  templates: { storage: Template; flows: Template; api: Template };
  /** Where SST put each function's bundle, by construct id. */
  bundles: Record<string, string>;
  ms: number;
}

/**
 * Synthesizes the app offline the way `sst deploy` builds it: sst.config.ts is bundled by SST's
 * own loader (code that only works unbundled fails here too), its `stacks` run on a deploy-mode
 * App, and every function is really bundled with esbuild.
 */
export async function synthesize(): Promise<Synthesized> {
  const started = performance.now();
  await initProject({ stage: TEST_STAGE });
  // After initProject, which loads .env files over process.env: the template must not depend on the shell.
  process.env.OWNER_BASE_URL = TEST_OWNER_URL;
  delete process.env.LEAD_WAIT_SECONDS;
  // The test stage synthesizes every flow (LEADRELAY_FLOWS unset).
  delete process.env.LEADRELAY_FLOWS;
  Object.assign(process.env, SECRET_SENTINELS);
  // SST builds functions one at a time on a 2-core machine; five at once roughly halves the synth.
  process.env.SST_BUILD_CONCURRENCY ??= "5";

  const project = useProject();
  const [, config] = (await load(project.paths.config, false)) as readonly [unknown, SSTConfig];
  const app = new App(
    { mode: "deploy", stage: TEST_STAGE, name: "leadrelay", region: "us-east-1" },
    { outdir: path.join(project.paths.out, "cdk.out.test") },
  );
  await config.stacks(app);
  await app.finish();

  // By name: the bundled config's stack functions are not the ones this file could import.
  const template = (id: string) => {
    const found = app.node.children.find(
      (child): child is Stack => child instanceof Stack && child.stackName === app.logicalPrefixedName(id),
    );
    if (!found) throw new Error(`sst.config.ts did not create the ${id} stack`);
    return Template.fromStack(found);
  };
  const templates = { storage: template("Storage"), flows: template("Flows"), api: template("Api") };
  const bundles = Object.fromEntries(
    app.node
      .findAll()
      .filter((node): node is SstFunction => node instanceof SstFunction)
      .map((fn) => [fn.id, path.join(project.paths.artifacts, fn.node.addr)]),
  );
  return { templates, bundles, ms: performance.now() - started };
}
