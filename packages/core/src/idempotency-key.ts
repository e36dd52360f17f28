import { createHash } from "node:crypto";

/**
 * A UUID-shaped key that is the same for every attempt of one business effect (vendors such as
 * Brevo expect a UUID): the SHA-256 of the parts, laid out as a version-5-style UUID.
 */
export function deterministicUuid(...parts: string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
