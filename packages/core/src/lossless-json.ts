/**
 * JSON.parse for payloads whose ids may arrive as JSON numbers (Meta's leadgen webhook sample
 * does): a lead id has 15–17 digits, beyond Number.MAX_SAFE_INTEGER, and would silently become
 * another id as a JavaScript number. Integers outside the safe range keep their exact digits, as
 * a string; every other value is what JSON.parse gives.
 */

const INTEGER_LITERAL = /^-?\d+$/;

/** The runtime gave the reviver no source text (Node < 21), so a large integer cannot be kept. */
export class JsonPrecisionUnavailable extends Error {
  override readonly name = "JsonPrecisionUnavailable";
  constructor() {
    super("A JSON integer is too large for a number and this runtime cannot read its source text");
  }
}

/** Throws SyntaxError on invalid JSON (as JSON.parse), JsonPrecisionUnavailable on an old runtime. */
export function parseJsonKeepingLargeIntegers(text: string): unknown {
  // The reviver's third argument (source text access) is Node ≥ 21; lib.es2023 does not type it.
  return JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) => {
    if (typeof value !== "number" || !Number.isInteger(value) || Number.isSafeInteger(value)) return value;
    const source = context?.source;
    if (source === undefined) throw new JsonPrecisionUnavailable();
    return INTEGER_LITERAL.test(source) ? source : value;
  });
}

/** An id as text: a string of digits, or a number that is exactly an integer id. */
export function digitsOf(value: unknown, maxDigits = 20): string | undefined {
  const text = typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? String(value) : value;
  if (typeof text !== "string" || text.length > maxDigits || !/^\d+$/.test(text)) return undefined;
  return text;
}
