import { createInterface } from "node:readline";
import { build as buildClassify, type ClassifyResult } from "./classify";
import { classifyLines } from "./classify-lines";
import { classifyLocally } from "./domain/local-classifier";

/**
 * `pnpm leadrelay classify`: JSON lines `{"text": …}` on stdin, `{"label", "classifier"}` per line
 * on stdout, with the flow's own sanitizer and Classify handler (the LLM when LLM_BASE_URL and
 * LLM_MODEL are set, the offline classifier otherwise). With no state machine around it to retry,
 * an LLM that is rate limited or down hands the line to the offline classifier at once.
 */
export async function runClassifyCommand(
  env: Record<string, string | undefined>,
  input: NodeJS.ReadableStream = process.stdin,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<{ count: number }> {
  const classify = buildClassify(env, {
    log: { debug() {}, info() {}, warn() {}, error() {} },
    aws: () => ({}),
  }) as (event: unknown) => Promise<ClassifyResult>;
  let n = 0;
  return classifyLines(
    createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }),
    write,
    async (sanitized) => {
      n += 1;
      try {
        return await classify({ leadId: `line_${n}`, message: sanitized });
      } catch {
        return classifyLocally(sanitized);
      }
    },
  );
}
