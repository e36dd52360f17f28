import { randomBytes } from "node:crypto";
import type { StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/**
 * An OpenAI-compatible `POST /v1/chat/completions` whose "model" is deterministic: asked for a
 * JSON answer whose schema has a `label` enum, it labels the user turn with the triage flow's
 * offline classifier and answers `{"label", "reason"}` in the documented completion shape. Not
 * filled by default (locally the triage flow classifies offline); point
 * `LLM_BASE_URL=http://127.0.0.1:<port>/_local/llm/v1 LLM_MODEL=stand-in` at it to see the LLM path.
 */

type Json = Record<string, unknown>;
type Labeller = (text: string) => { label: string; confidence: number; reasons: readonly string[] };

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

let labeller: Promise<Labeller | undefined> | undefined;

/**
 * The triage flow's own sanitizer and classifier, loaded on first use so a runtime that never calls
 * the LLM does not train the classifier; without them the first label of the enum answers.
 */
function loadLabeller(): Promise<Labeller | undefined> {
  labeller ??= Promise.all([
    import("../../../flows/triage/src/domain/local-classifier"),
    import("../../../flows/triage/src/domain/sanitize"),
  ]).then(
    ([classifier, sanitize]): Labeller =>
      (text) =>
        classifier.classifyLocally(sanitize.sanitizeMessage(text)),
    () => undefined,
  );
  return labeller;
}

function openAiError(status: number, message: string, param: string | null = null): StandInReply {
  return { status, json: { error: { message, type: "invalid_request_error", param, code: null } } };
}

/** The labels a `response_format.json_schema` offers in `properties.label.enum`, if it has one. */
export function labelEnumOf(body: Json): string[] | undefined {
  const format = isObject(body.response_format) ? body.response_format : undefined;
  const wrapper = format && isObject(format.json_schema) ? format.json_schema : undefined;
  const schema = wrapper && isObject(wrapper.schema) ? wrapper.schema : undefined;
  const properties = schema && isObject(schema.properties) ? schema.properties : undefined;
  const label = properties && isObject(properties.label) ? properties.label : undefined;
  const values = Array.isArray(label?.enum) ? label.enum.filter((value) => typeof value === "string") : [];
  return values.length > 0 ? values : undefined;
}

/** The last user turn, inside `<lead_message>…</lead_message>` when the prompt delimits the lead's text. */
export function userTextOf(messages: readonly unknown[]): string {
  const turn = [...messages].reverse().find((message) => isObject(message) && message.role === "user");
  const content = isObject(turn) ? turn.content : undefined;
  const text =
    typeof content === "string"
      ? content
      : Array.isArray(content)
        ? content.map((part) => (isObject(part) && typeof part.text === "string" ? part.text : "")).join("")
        : "";
  return /<lead_message>([\s\S]*)<\/lead_message>/.exec(text)?.[1]?.trim() ?? text;
}

async function answerFor(body: Json, messages: readonly unknown[]): Promise<string> {
  const labels = labelEnumOf(body);
  if (!labels) return "The leadrelay LLM stand-in only answers requests for a JSON label (response_format).";
  const verdict = (await loadLabeller())?.(userTextOf(messages));
  const chosen = verdict && labels.includes(verdict.label) ? verdict : undefined;
  const reason = chosen
    ? `stand-in: offline classifier, confidence ${chosen.confidence.toFixed(2)}${chosen.reasons[0] ? `; ${chosen.reasons[0]}` : ""}`
    : "stand-in: no classifier verdict for these labels; first label chosen";
  return JSON.stringify({ label: chosen?.label ?? labels[0], reason: reason.slice(0, 200) });
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

async function complete(request: StandInRequest, now: number): Promise<StandInReply> {
  if (!isObject(request.json)) return openAiError(400, "We could not parse the JSON body of your request.");
  const body = request.json;
  if (typeof body.model !== "string" || body.model === "") {
    return openAiError(400, "you must provide a model parameter", "model");
  }
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if (messages.length === 0)
    return openAiError(400, "'messages' must contain at least one message", "messages");
  if (body.stream === true)
    return openAiError(400, "The stand-in does not stream; send stream: false", "stream");
  const content = await answerFor(body, messages);
  const prompt = tokens(JSON.stringify(messages));
  const completion = tokens(content);
  return {
    status: 200,
    json: {
      id: `chatcmpl-${randomBytes(12).toString("hex")}`,
      object: "chat.completion",
      created: Math.floor(now / 1000),
      model: body.model,
      system_fingerprint: "leadrelay-stand-in",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content, refusal: null },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    },
  };
}

export function llmStandIn(): StandInSpec {
  return {
    slug: "llm",
    title: "LLM (OpenAI-compatible)",
    baseUrlVariable: "LLM_BASE_URL",
    respond(request, context) {
      if (request.path === "/v1/models" && request.method === "GET") {
        return {
          status: 200,
          json: {
            object: "list",
            data: [{ id: "stand-in", object: "model", created: 0, owned_by: "leadrelay" }],
          },
        };
      }
      if (request.path !== "/v1/chat/completions") {
        return {
          status: 404,
          json: { error: { message: "Unknown endpoint", type: "invalid_request_error" } },
        };
      }
      if (request.method !== "POST") return openAiError(405, "Use POST");
      return complete(request, context.now());
    },
  };
}
