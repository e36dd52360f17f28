import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../src/runtime";
import { startTestRuntime } from "./harness";

/** #14 finding 10: a client that sends its whole body before it reads the answer, like Node's fetch. */
let runtime: Runtime;
beforeAll(async () => {
  runtime = await startTestRuntime({ flows: "announce" });
});
afterAll(() => runtime.stop());

describe("a body over the limit", () => {
  it("gets 413 through Node's fetch (undici), not a broken pipe, with 5 MB sent", async () => {
    const response = await fetch(runtime.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"pad":"${"x".repeat(5 * 1024 * 1024)}"}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: expect.stringMatching(/larger than/) });
  });

  it("and the runtime goes on answering on new connections", async () => {
    const response = await fetch(`${runtime.url}/healthz`);
    expect(response.status).toBe(200);
  });
});
