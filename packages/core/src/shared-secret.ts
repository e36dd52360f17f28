import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Compares a presented secret (API key, verify token, URL token) with the expected one in constant
 * time, whatever their lengths: both are hashed first, so neither the content nor the length of the
 * expected secret leaks through timing. An empty expected secret never matches.
 */
export function secretsEqual(given: string | undefined, expected: string | undefined): boolean {
  if (!expected || given === undefined) return false;
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}
