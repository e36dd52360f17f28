/**
 * An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, llama.cpp…). The port passes the
 * answer through without judging it: a server may ignore `response_format`, so the caller validates
 * `content` itself.
 */

export interface ChatCompletion {
  /** `choices[0].message.content`; `null` when the model refused or said nothing. */
  content: string | null;
  /** The model's refusal text (structured outputs); `null` otherwise. */
  refusal: string | null;
  /** `stop`, `length` (truncated: the content is cut), `content_filter`…; `null` when absent. */
  finishReason: string | null;
  model?: string;
}

export interface ChatCompletions {
  /** `body` is the request as the API takes it (model, messages, response_format, temperature…). */
  complete(body: Record<string, unknown>): Promise<ChatCompletion>;
}
