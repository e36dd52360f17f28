/**
 * Regenerates src/domain/train-corpus.ts from corpus/train.jsonl:
 *   pnpm exec tsx packages/flows/triage/corpus/build-train-module.ts
 * The Lambda bundle cannot read files next to it, so the training examples ship as a module; tuples of
 * [text, label index] keep it smaller than the JSONL. The texts are stored sanitized, as the classifier sees
 * them: sanitizing 600+ messages at every cold start would cost the Lambda about half its load time.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isTriageLabel, TRIAGE_LABELS, type TriageLabel } from "../src/domain/labels";
import { sanitizeMessage } from "../src/domain/sanitize";

export interface CorpusExample {
  text: string;
  label: TriageLabel;
}

export const TRAIN_JSONL = fileURLToPath(new URL("./train.jsonl", import.meta.url));
export const TEST_JSONL = fileURLToPath(new URL("./test.jsonl", import.meta.url));
const TRAIN_MODULE = fileURLToPath(new URL("../src/domain/train-corpus.ts", import.meta.url));

/** One `{"text", "label"}` per line; a bad line fails the build with its line number rather than being skipped. */
export function parseCorpus(jsonl: string): CorpusExample[] {
  const examples: CorpusExample[] = [];
  jsonl.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const row: unknown = JSON.parse(line);
    if (typeof row !== "object" || row === null) throw new Error(`line ${index + 1}: not an object`);
    const { text, label } = row as Record<string, unknown>;
    if (typeof text !== "string" || !isTriageLabel(label)) {
      throw new Error(
        `line ${index + 1}: expected {"text": string, "label": one of ${TRIAGE_LABELS.join(", ")}}`,
      );
    }
    examples.push({ text, label });
  });
  return examples;
}

export function readCorpus(path: string): CorpusExample[] {
  return parseCorpus(readFileSync(path, "utf8"));
}

/** The examples as the module stores them: sanitized text, label index. */
export function trainTuples(examples: readonly CorpusExample[]): Array<[text: string, label: number]> {
  return examples.map(({ text, label }) => [sanitizeMessage(text), TRIAGE_LABELS.indexOf(label)]);
}

export function renderTrainModule(examples: readonly CorpusExample[]): string {
  const rows = trainTuples(examples).map(([text, label]) => `  [${JSON.stringify(text)}, ${label}],`);
  return [
    "// Generated from corpus/train.jsonl by corpus/build-train-module.ts: edit the JSONL and run",
    "// `pnpm exec tsx packages/flows/triage/corpus/build-train-module.ts`, never this file.",
    "",
    "/** The labelled training examples: [text as sanitizeMessage returns it, index into TRIAGE_LABELS]. */",
    "// biome-ignore format: one example per line keeps a corpus change a readable diff",
    "export const TRAIN_CORPUS: ReadonlyArray<readonly [text: string, label: number]> = [",
    ...rows,
    "];",
    "",
  ].join("\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const examples = readCorpus(TRAIN_JSONL);
  writeFileSync(TRAIN_MODULE, renderTrainModule(examples));
  console.log(`wrote ${examples.length} examples to ${TRAIN_MODULE}`);
}
