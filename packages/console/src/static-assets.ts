import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The page's scripts and styles: plain files, no build step. */
export const PUBLIC_DIR = fileURLToPath(new URL("../public/", import.meta.url));

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Read once at start; only these names are ever served (no path from the request touches the disk). */
export function loadAssets(directory = PUBLIC_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(directory)) {
    const type = TYPES[extname(file)];
    if (!type) continue;
    const body = readFileSync(join(directory, file));
    assets.set(file, {
      body,
      type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 16)}"`,
    });
  }
  return assets;
}
