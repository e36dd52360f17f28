import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Flows } from "./stacks/Flows";
import { FUNCTION_DEFAULTS } from "./stacks/function-defaults";
import { Operations } from "./stacks/Operations";
import { Storage } from "./stacks/Storage";
import { checkStageSettings, stageRegion } from "./stacks/stage-settings";

export default {
  config(input) {
    // SST loads .env.<stage> only after this returns: the stage's LEADRELAY_REGION is read here.
    return { name: "leadrelay", region: stageRegion(input, process.cwd(), process.env) };
  },
  async stacks(app) {
    // Before anything is built: no leadrelay setting in .env/.env.local, none misspelled or secret in
    // .env.<stage>, every chosen flow's settings valid by its own schema.
    if (app.mode !== "remove") {
      checkStageSettings({ dir: process.cwd(), stage: app.stage, env: process.env, mode: app.mode });
    }
    app.setDefaultFunctionProps(FUNCTION_DEFAULTS);
    app.stack(Storage);
    // Async: a real deploy checks the stage's secrets before it builds the flows.
    await app.stack(Flows);
    app.stack(Api);
    // Async too: a real deploy checks that the alert's Slack secret is set.
    await app.stack(Operations);
  },
} satisfies SSTConfig;
