/**
 * One-line summaries of a state's input and output for the timeline. Each Task's ResultPath
 * keeps its input, so "what the state added" (new or changed top-level keys) is the useful
 * part of an output.
 */
const MAX_SUMMARY = 240;
const MAX_VALUE = 60;

/** The lead id is on every line already; these say what the record is about. */
const HIDDEN = new Set(["leadId", "lead_id"]);
const FIRST = ["status", "name", "display_name", "lead_owner", "owner", "funnel", "email", "lead_email"];
const rank = (key: string) => {
  const at = FIRST.indexOf(key);
  return at === -1 ? FIRST.length : at;
};

/** JSON text from a history event or record: the value, or the text itself when it is not JSON. */
export function parseLoosely(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A short rendering of a value: strings quoted and clipped, objects as their first few fields. */
export function shortValue(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "string") return JSON.stringify(clip(value, MAX_VALUE));
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value))
    return depth > 0
      ? `[${value.length}]`
      : `[${value
          .slice(0, 3)
          .map((item) => shortValue(item, 1))
          .join(", ")}${value.length > 3 ? ", …" : ""}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key, item]) => item !== null && item !== undefined && !HIDDEN.has(key))
    .sort(([a], [b]) => rank(a) - rank(b));
  if (depth > 0) return `{${entries.length} fields}`;
  const shown = entries.slice(0, 3).map(([key, item]) => `${key}: ${shortValue(item, 1)}`);
  const more = entries.length > 3 ? `, +${entries.length - 3}` : "";
  return `{${shown.join(", ")}${more}}`;
}

export function summarizeInput(input: string | undefined): string | undefined {
  const value = parseLoosely(input);
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return clip(shortValue(value), MAX_SUMMARY);
  const keys = Object.keys(value);
  return clip(keys.length === 0 ? "{}" : keys.join(", "), MAX_SUMMARY);
}

/** The keys the state added or changed, with short values; the whole output when it is not an object. */
export function summarizeOutput(input: string | undefined, output: string | undefined): string | undefined {
  const after = parseLoosely(output);
  if (after === undefined) return undefined;
  const before = parseLoosely(input);
  if (after === null || typeof after !== "object" || Array.isArray(after))
    return clip(shortValue(after), MAX_SUMMARY);
  const previous =
    before !== null && typeof before === "object" && !Array.isArray(before)
      ? (before as Record<string, unknown>)
      : {};
  const changed = Object.entries(after as Record<string, unknown>).filter(
    ([key, value]) => JSON.stringify(previous[key]) !== JSON.stringify(value),
  );
  if (changed.length === 0) return "unchanged";
  return clip(changed.map(([key, value]) => `${key} = ${shortValue(value)}`).join("; "), MAX_SUMMARY);
}

export interface StepResultField {
  name: string;
  value: unknown;
}

/** Longest string of a result shown whole (a prompt, an LLM's raw answer); the rest is in the raw output. */
const MAX_RESULT_TEXT = 16 * 1024;

function clipValue(value: unknown): unknown {
  if (typeof value === "string")
    return value.length > MAX_RESULT_TEXT ? `${value.slice(0, MAX_RESULT_TEXT)}…` : value;
  if (value !== null && typeof value === "object") {
    const text = JSON.stringify(value);
    return text.length > MAX_RESULT_TEXT ? `${text.slice(0, MAX_RESULT_TEXT)}…` : value;
  }
  return value;
}

/**
 * What a Task returned, field by field: the top-level keys its output added or changed (each
 * Task's ResultPath keeps its input), whole, so a reader sees e.g. the classifier that decided,
 * the sanitized message, the prompt and the raw answer without knowing the flow. An output that is
 * not an object is one field named "output".
 */
export function stepResults(input: string | undefined, output: string | undefined): StepResultField[] {
  const after = parseLoosely(output);
  if (after === undefined) return [];
  if (after === null || typeof after !== "object" || Array.isArray(after)) {
    return [{ name: "output", value: clipValue(after) }];
  }
  const before = parseLoosely(input);
  const previous =
    before !== null && typeof before === "object" && !Array.isArray(before)
      ? (before as Record<string, unknown>)
      : {};
  return Object.entries(after as Record<string, unknown>)
    .filter(([key, value]) => JSON.stringify(previous[key]) !== JSON.stringify(value))
    .map(([name, value]) => ({ name, value: clipValue(value) }));
}
