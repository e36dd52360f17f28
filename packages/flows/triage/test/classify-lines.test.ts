import { describe, expect, it } from "vitest";
import { type Classify, classifyLines } from "../src/classify-lines";

async function* linesOf(...lines: string[]): AsyncIterable<string> {
  for (const line of lines) yield line;
}

async function run(lines: string[], classify?: Classify) {
  const written: string[] = [];
  const result = await classifyLines(linesOf(...lines), (line) => written.push(line), classify);
  return { written, parsed: written.map((line) => JSON.parse(line) as Record<string, unknown>), ...result };
}

describe("classifyLines", () => {
  it("writes one label line per message with the local classifier", async () => {
    const { parsed, written, count } = await run([
      JSON.stringify({ text: "We need a quote for 40 licenses by Friday" }),
      JSON.stringify({ text: "I can't log in to my account, the reset email never arrives" }),
      JSON.stringify({ text: "Inbound demo request from the pricing page." }),
      JSON.stringify({ text: "We sell DA 50+ backlinks: https://links.example" }),
    ]);
    expect(parsed).toEqual([
      { label: "URGENT_BUYER", classifier: "local" },
      { label: "SUPPORT_REQUEST", classifier: "local" },
      { label: "TIRE_KICKER", classifier: "local" },
      { label: "SPAM", classifier: "local" },
    ]);
    expect(count).toBe(4);
    for (const line of written) expect(line).not.toContain("\n");
  });

  it("skips empty lines and keeps going after bad ones, naming the line", async () => {
    const { parsed, count } = await run([
      "",
      "not json",
      "   ",
      JSON.stringify({ message: "no text field" }),
      JSON.stringify(["text"]),
      "null",
      JSON.stringify({ text: 42 }),
      JSON.stringify({ text: "How much does it cost?" }),
    ]);
    expect(parsed).toEqual([
      { error: "line 2: not JSON" },
      { error: 'line 4: expected {"text": string}' },
      { error: 'line 5: expected {"text": string}' },
      { error: 'line 6: expected {"text": string}' },
      { error: 'line 7: expected {"text": string}' },
      { label: "TIRE_KICKER", classifier: "local" },
    ]);
    expect(count).toBe(6);
  });

  it("sanitizes before classifying", async () => {
    const seen: string[] = [];
    await run([JSON.stringify({ text: "<p>Hi&nbsp;there</p>\n\nSent from my iPhone" })], (text) => {
      seen.push(text);
      return { label: "TIRE_KICKER", classifier: "test" };
    });
    expect(seen).toEqual(["Hi there"]);
  });

  it("takes another classifier, async ones too, and reports its failures per line", async () => {
    let calls = 0;
    const flaky: Classify = async (text) => {
      calls += 1;
      if (text.includes("boom")) throw new Error("upstream 503");
      return { label: "SPAM", classifier: "llm" };
    };
    const { parsed, count } = await run(
      [JSON.stringify({ text: "one" }), JSON.stringify({ text: "boom" }), JSON.stringify({ text: "three" })],
      flaky,
    );
    expect(parsed).toEqual([
      { label: "SPAM", classifier: "llm" },
      { error: "line 2: upstream 503" },
      { label: "SPAM", classifier: "llm" },
    ]);
    expect(calls).toBe(3);
    expect(count).toBe(3);
  });

  it("reads an empty input as zero messages", async () => {
    expect(await run([])).toEqual({ written: [], parsed: [], count: 0 });
  });
});
