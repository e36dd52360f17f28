import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isHexKey } from "@leadrelay/core";

/**
 * Webhook secrets the local runtime generates when they are not given, kept in the data folder so
 * they survive restarts. Close's key keeps its first place (`<data>/webhook-secret`, read by
 * `leadrelay send`); the others live in `<data>/secrets/<NAME>`.
 */
export function secretFile(dataDir: string, name: string): string {
  return name === "CLOSE_WEBHOOK_SECRET" ? join(dataDir, "webhook-secret") : join(dataDir, "secrets", name);
}

function generate(name: string): string {
  // Close's signature key is hex by contract; the others are opaque tokens.
  return name === "CLOSE_WEBHOOK_SECRET"
    ? randomBytes(32).toString("hex")
    : randomBytes(24).toString("base64url");
}

/** The secret an earlier start generated and kept, when there is a usable one. */
export function savedSecret(dataDir: string, name: string): string | undefined {
  try {
    const saved = readFileSync(secretFile(dataDir, name), "utf8").trim();
    if (saved !== "" && (name !== "CLOSE_WEBHOOK_SECRET" || isHexKey(saved))) return saved;
  } catch {
    // first start
  }
  return undefined;
}

export function loadOrCreateSecret(dataDir: string, name: string): string {
  const saved = savedSecret(dataDir, name);
  if (saved !== undefined) return saved;
  const file = secretFile(dataDir, name);
  const secret = generate(name);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
