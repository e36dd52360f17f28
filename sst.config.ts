import { Stack } from "aws-cdk-lib";
import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Flows } from "./stacks/Flows";
import { FUNCTION_DEFAULTS } from "./stacks/function-defaults";
import { acceptPlatformFindings } from "./stacks/nag";
import { Operations } from "./stacks/Operations";
import { Storage } from "./stacks/Storage";
import { TEST_STAGE } from "./stacks/stage-policy";
import { checkStageSettings, shellOnlySettings, stageRegion } from "./stacks/stage-settings";

export default {
  config(input) {
    // SST loads .env.<stage> only after this returns: the stage's LEADRELAY_REGION is read here.
    return { name: "leadrelay", region: stageRegion(input, process.cwd(), process.env) };
  },
  async stacks(app) {
    // Before anything is built: no leadrelay setting in .env/.env.local, none misspelled or secret in
    // .env.<stage>, every chosen flow's settings valid by its own schema.
    if (app.mode !== "remove") {
      const stage = { dir: process.cwd(), stage: app.stage, env: process.env };
      checkStageSettings({ ...stage, mode: app.mode });
      const fromShell = app.stage === TEST_STAGE ? [] : shellOnlySettings(stage);
      if (fromShell.length > 0) {
        console.warn(
          `leadrelay: ${fromShell.join(", ")} come${fromShell.length === 1 ? "s" : ""} from the shell, not .env.${app.stage}: ` +
            "a deploy from a shell without them goes back to the defaults. Put them in the stage's file.",
        );
      }
    }
    app.setDefaultFunctionProps(FUNCTION_DEFAULTS);
    app.stack(Storage);
    // Async: a real deploy checks the stage's secrets before it builds the flows.
    await app.stack(Flows);
    app.stack(Api);
    // Async too: a real deploy checks that the alert's Slack secret is set.
    await app.stack(Operations);
    // What SST builds in every stack by itself, accepted by path with its reasons (cdk-nag).
    for (const stack of app.node.children) if (stack instanceof Stack) acceptPlatformFindings(stack);
  },
} satisfies SSTConfig;
