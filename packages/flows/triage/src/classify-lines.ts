/**
 * Batch triage over JSON lines (`{"text": …}` in, `{"label": …, "classifier": …}` out), for trying the classifier
 * on a file of messages. One bad line writes an `{"error"}` line and the rest go on: one typo must not lose a batch.
 */

import type { TriageLabel } from "./domain/labels";
import { classifyLocally } from "./domain/local-classifier";
import { sanitizeMessage } from "./domain/sanitize";

export interface LineVerdict {
  label: TriageLabel;
  classifier: string;
}

/** Takes a sanitized message; the LLM path (async) plugs in here. */
export type Classify = (sanitized: string) => LineVerdict | Promise<LineVerdict>;

/** Every non-empty input line gets exactly one output line, in order; `count` is how many were written. */
export async function classifyLines(
  lines: AsyncIterable<string>,
  write: (line: string) => void,
  classify: Classify = classifyLocally,
): Promise<{ count: number }> {
  let count = 0;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === "") continue;
    count += 1;
    const text = textOf(line);
    if (typeof text !== "string") {
      write(JSON.stringify({ error: `line ${lineNumber}: ${text.error}` }));
      continue;
    }
    try {
      const verdict = await classify(sanitizeMessage(text));
      write(JSON.stringify({ label: verdict.label, classifier: verdict.classifier }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      write(JSON.stringify({ error: `line ${lineNumber}: ${message.slice(0, 200)}` }));
    }
  }
  return { count };
}

function textOf(line: string): string | { error: string } {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return { error: "not JSON" };
  }
  if (typeof row !== "object" || row === null || Array.isArray(row))
    return { error: 'expected {"text": string}' };
  const { text } = row as { text?: unknown };
  return typeof text === "string" ? text : { error: 'expected {"text": string}' };
}
