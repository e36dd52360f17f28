import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runClassifyCommand } from "../src/classify-command";

const run = async (input: string, env: Record<string, string | undefined> = {}) => {
  const lines: string[] = [];
  await runClassifyCommand(env, Readable.from([input]), (line) => lines.push(line));
  return lines.map((line) => JSON.parse(line));
};

describe("pnpm leadrelay classify", () => {
  it("one verdict per JSON line, with the flow's sanitizer and offline classifier", async () => {
    expect(
      await run(
        '{"text":"We need a quote for 40 licenses by Friday"}\n\n{"text":"<p>I can&#39;t log in to my account</p>"}\nnope\n',
      ),
    ).toEqual([
      { label: "URGENT_BUYER", classifier: "local" },
      { label: "SUPPORT_REQUEST", classifier: "local" },
      { error: "line 4: not JSON" },
    ]);
  });

  it("an unreachable LLM hands every line to the offline classifier (no state machine to retry it here)", async () => {
    const verdicts = await run('{"text":"We need a quote for 40 licenses by Friday"}\n', {
      LLM_BASE_URL: "http://127.0.0.1:9/v1",
      LLM_MODEL: "any",
    });
    expect(verdicts).toEqual([{ label: "URGENT_BUYER", classifier: "local" }]);
  });
});
