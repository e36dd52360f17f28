import { Stack } from "aws-cdk-lib";
import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Flows } from "./stacks/Flows";
import { FUNCTION_DEFAULTS } from "./stacks/function-defaults";
import { acceptPlatformFindings } from "./stacks/nag";
import { Operations } from "./stacks/Operations";
import { Storage } from "./stacks/Storage";

export default {
  config() {
    return { name: "leadrelay", region: "us-east-1" };
  },
  async stacks(app) {
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
