import { readFileSync } from "node:fs";
import { signCloseWebhook } from "@leadrelay/core";

export const SAMPLE_LEAD_FIXTURE = new URL("../demo/close/lead-created.json", import.meta.url).pathname;

export class SampleFileUnusable extends Error {
  override readonly name = "SampleFileUnusable";
}

/** The sample webhook compacted to one line, as Close sends it; a file that cannot be read or parsed is named. */
export function sampleBody(file = SAMPLE_LEAD_FIXTURE): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new SampleFileUnusable(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new SampleFileUnusable(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Headers Close would send for `body` at `now`. */
export function closeHeaders(
  secretHex: string,
  body: string | Uint8Array,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return {
    "content-type": "application/json",
    "close-sig-timestamp": timestamp,
    "close-sig-hash": signCloseWebhook(secretHex, timestamp, body),
  };
}

/** A curl that signs at run time (openssl), so it does not go stale after the 5-minute window. */
export function signedCurl(webhookUrl: string, secretHex: string, body = sampleBody()): string {
  const quoted = `'${body.replaceAll("'", "'\\''")}'`;
  return [
    `BODY=${quoted}; TS=$(date +%s);`,
    `SIG=$(printf '%s%s' "$TS" "$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:${secretHex} | sed 's/^.* //');`,
    `curl -sS -X POST ${webhookUrl} -H 'content-type: application/json' -H "close-sig-timestamp: $TS" -H "close-sig-hash: $SIG" --data-binary "$BODY"`,
  ].join(" \\\n  ");
}

/** A URL with any generated secret in it masked (the LGM webhook carries its token in the path). */
export function maskUrlSecrets(url: string, secrets: Record<string, string>): string {
  let masked = url;
  for (const value of Object.values(secrets)) {
    if (value.length >= 8) masked = masked.replaceAll(value, `${value.slice(0, 2)}…${"*".repeat(6)}`);
  }
  return masked;
}
