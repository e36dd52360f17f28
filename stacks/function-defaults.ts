import type { FunctionProps } from "sst/constructs";
import { LAMBDA_TIMEOUT_SECONDS } from "../packages/functions/src/flow-spec";

/** The ASL gives every Task `TimeoutSeconds: 30`; the Lambda gives up first so the error is its own, not States.Timeout. */
export const TASK_TIMEOUT_SECONDS = LAMBDA_TIMEOUT_SECONDS;

/** Defaults for every Lambda of the app (set in sst.config.ts before any stack). */
export const FUNCTION_DEFAULTS: FunctionProps = {
  runtime: "nodejs22.x",
  architecture: "arm_64",
  memorySize: 256,
  timeout: TASK_TIMEOUT_SECONDS,
  // Active X-Ray tracing would add xray:Put* on Resource "*" to every role; the execution history already shows each step.
  tracing: "disabled",
  nodejs: {
    format: "esm",
    // esbuild tree-shakes the ESM graph of each handler; splitting puts what is imported dynamically
    // (`sst/node/config` with its SSM client, SDK credential providers) in chunks that load only when used.
    splitting: true,
    // The AWS SDK clients are bundled, pinned by the lockfile, not taken from the nodejs22.x runtime:
    // a runtime SDK up to 3.633 silently drops `IfNoneMatch` on PutObject, which would turn every
    // "create only if absent" marker into an overwrite. Bundled, each handler carries only the client
    // it constructs (tree-shaken ESM), and it imports faster than the runtime's (`pnpm bench`).
    // Error names survive minifying: every error class sets a literal `name`, which is what the ASL matches.
    minify: true,
    sourcemap: false,
  },
};
