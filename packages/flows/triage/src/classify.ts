import type { ChatCompletions } from "@leadrelay/core";
import { createOpenAiChat } from "@leadrelay/functions/adapters/openai-chat";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import type { TriageLabel } from "./domain/labels";
import { buildTriageRequest, parseTriageAnswer, type TriageRequest } from "./domain/llm-prompt";
import { classifyLocally, type LocalVerdict } from "./domain/local-classifier";
import { sanitizeMessage } from "./domain/sanitize";
import { ClassifyInput } from "./task-input";

/** What the history shows about a verdict: who decided, on which text, with which prompt and raw answer. */
export interface ClassifyResult {
  label: TriageLabel;
  classifier: "llm" | "local";
  /** The text that was classified (the lead's message after sanitizing). */
  sanitized: string;
  confidence?: number;
  reasons?: string[];
  model?: string;
  prompt?: TriageRequest["messages"];
  /** The model's answer exactly as it came (content, or the refusal). */
  rawAnswer?: string | null;
  /** Why the LLM did not decide (not configured, refused, invalid JSON, quota, gave up after retries…). */
  llmProblem?: string;
  /** The LLM decided but its answer had no `reason` (a server that ignores strict mode). */
  reasonMissing?: true;
}

const RETRIED_BY_THE_STATE_MACHINE = new Set(["ServiceRateLimited", "ServiceUnavailable"]);

function local(sanitized: string, extra: Partial<ClassifyResult> = {}): ClassifyResult {
  const verdict: LocalVerdict = classifyLocally(sanitized);
  return {
    label: verdict.label,
    classifier: "local",
    sanitized,
    confidence: verdict.confidence,
    reasons: verdict.reasons,
    ...extra,
  };
}

/**
 * The LLM when one is configured, the offline classifier otherwise. Rate limits, 5xx and timeouts
 * are thrown for the ASL to retry (and, when it gives up, ClassifyOffline decides); an answer that
 * cannot be used — a refusal, a cut or invalid JSON, a label outside the four, no quota, a bad key —
 * is not retried: the offline classifier decides at once and the history keeps why. Whatever the
 * message says, the outcome is one of the four labels.
 */
export function createClassify(deps: { chat?: ChatCompletions; model?: string }) {
  return async (event: unknown): Promise<ClassifyResult> => {
    const input = ClassifyInput.parse(event);
    const sanitized = sanitizeMessage(input.message);
    if (input.offline) {
      const why = input.llmError
        ? `${input.llmError.Error ?? "error"}: ${(input.llmError.Cause ?? "").slice(0, 300)}`
        : "";
      return local(sanitized, { llmProblem: `the LLM gave up after retries (${why})` });
    }
    if (!deps.chat || !deps.model)
      return local(sanitized, { llmProblem: "no LLM configured (LLM_BASE_URL, LLM_MODEL)" });

    const request = buildTriageRequest(deps.model, sanitized);
    let answer: Awaited<ReturnType<ChatCompletions["complete"]>>;
    try {
      answer = await deps.chat.complete(request as unknown as Record<string, unknown>);
    } catch (error) {
      if (error instanceof Error && RETRIED_BY_THE_STATE_MACHINE.has(error.name)) throw error;
      return local(sanitized, {
        model: deps.model,
        prompt: request.messages,
        llmProblem: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
    const seen = { model: answer.model ?? deps.model, prompt: request.messages };
    if (answer.refusal !== null) {
      return local(sanitized, { ...seen, rawAnswer: answer.refusal, llmProblem: "the model refused" });
    }
    if (answer.finishReason === "length") {
      return local(sanitized, {
        ...seen,
        rawAnswer: answer.content,
        llmProblem: "the answer was cut (finish_reason length)",
      });
    }
    const parsed = parseTriageAnswer(answer.content);
    if (!parsed.ok)
      return local(sanitized, { ...seen, rawAnswer: answer.content, llmProblem: parsed.problem });
    return {
      label: parsed.label,
      classifier: "llm",
      sanitized,
      reasons: [parsed.reason],
      ...(parsed.reasonMissing ? { reasonMissing: true as const } : {}),
      ...seen,
      rawAnswer: answer.content,
    };
  };
}

export const build: HandlerBuild = (env) => {
  const config = readConfig(["LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"], env);
  const configured = config.LLM_BASE_URL !== undefined && config.LLM_MODEL !== undefined;
  return createClassify({
    // A model answers slower than a REST API: its own timeout, still well inside the Task's 60 s.
    chat: configured
      ? createOpenAiChat(
          { baseUrl: config.LLM_BASE_URL as string, apiKey: config.LLM_API_KEY },
          { timeoutMs: 25_000 },
        )
      : undefined,
    model: config.LLM_MODEL,
  });
};
export const handler = taskHandler("triage-classify", build);
