import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // SST's app.finish() looks for AWS credentials unless NODE_ENV is test.
    env: { NODE_ENV: "test", LOG_LEVEL: "silent" },
    include: [
      "packages/*/test/**/*.test.ts",
      "packages/flows/*/test/**/*.test.ts",
      "stacks/test/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/*.load.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest.json" },
  },
});
