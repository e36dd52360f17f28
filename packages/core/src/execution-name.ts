import { createHash } from "node:crypto";

/**
 * Execution names are the business key of a flow's event (Step Functions: 1–80 characters; we keep
 * to letters, digits, `-` and `_`, which every console, URL and S3 key takes without escaping).
 */
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
export const EXECUTION_NAME_MAX_LENGTH = 80;
/** Room left for a replay suffix (`-replay-` + base-36 time). */
export const BUSINESS_NAME_MAX_LENGTH = 64;

export function isExecutionName(value: unknown): value is string {
  return typeof value === "string" && EXECUTION_NAME_PATTERN.test(value);
}

/**
 * An execution name from parts of an event (ids, a status…): other characters become `_`, and a
 * name too long keeps its head and a hash of the whole, so two long keys never collide.
 */
export function executionNameOf(parts: readonly string[], maxLength = BUSINESS_NAME_MAX_LENGTH): string {
  const joined = parts.map((part) => part.replace(/[^A-Za-z0-9_-]+/g, "_")).join("-");
  if (joined.length <= maxLength && joined.length > 0) return joined;
  const hash = createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 12);
  return `${joined.slice(0, maxLength - hash.length - 1)}-${hash}`;
}

/** Execution names: the business key for the first run, plus a suffix for replays. */
export const REPLAY_SEPARATOR = "-replay-";
export function replayExecutionName(businessKey: string, at: number): string {
  const suffix = `${REPLAY_SEPARATOR}${at.toString(36)}`;
  return `${businessKey.slice(0, EXECUTION_NAME_MAX_LENGTH - suffix.length)}${suffix}`;
}
export function businessKeyOfExecutionName(name: string): string {
  const at = name.indexOf(REPLAY_SEPARATOR);
  return at === -1 ? name : name.slice(0, at);
}
