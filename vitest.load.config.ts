import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    env: { NODE_ENV: "test", LOG_LEVEL: "silent" },
    include: ["packages/*/test/**/*.load.test.ts", "packages/flows/*/test/**/*.load.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ["default", "json"],
    outputFile: { json: "test-results/vitest-load.json" },
  },
});
