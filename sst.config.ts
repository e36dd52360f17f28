import type { SSTConfig } from "sst";
import { Api } from "./stacks/Api";
import { Flows } from "./stacks/Flows";
import { FUNCTION_DEFAULTS } from "./stacks/function-defaults";
import { Storage } from "./stacks/Storage";

export default {
  config() {
    return { name: "leadrelay", region: "us-east-1" };
  },
  stacks(app) {
    app.setDefaultFunctionProps(FUNCTION_DEFAULTS);
    app.stack(Storage).stack(Flows).stack(Api);
  },
} satisfies SSTConfig;
