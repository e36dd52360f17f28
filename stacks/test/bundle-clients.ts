import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The AWS SDK clients a handler can construct, by the class name the bundle keeps (esbuild keepNames). */
export const AWS_CLIENTS = [
  "S3Client",
  "SFNClient",
  "EventBridgeClient",
  "SESv2Client",
  "SSMClient",
] as const;
export type AwsClientName = (typeof AWS_CLIENTS)[number];

/**
 * The AWS SDK clients in one function's bundle (SST's artefact directory): those its entry module
 * loads at cold start (static imports, followed through the split chunks) and those anywhere in it
 * (a dynamic `import("./chunk")` loads only when it runs). Works whether the SDK is bundled or
 * external: either way the class name is in the code.
 */
export function bundledClients(
  bundleDir: string,
  handler: string,
): { coldStart: AwsClientName[]; bundled: AwsClientName[] } {
  const entry = `${handler.replace(/\.[^./]+$/, "")}.mjs`;
  const read = (file: string) => readFileSync(path.join(bundleDir, file), "utf8");
  const clientsIn = (code: string) => AWS_CLIENTS.filter((name) => new RegExp(`\\b${name}\\b`).test(code));
  const coldStart = new Set<string>();
  const visit = (file: string) => {
    if (coldStart.has(file)) return;
    coldStart.add(file);
    for (const match of read(file).matchAll(/\bfrom\s*"\.\/([^"]+)"|\bimport\s*"\.\/([^"]+)"/g)) {
      visit(path.join(path.dirname(file), match[1] ?? match[2] ?? ""));
    }
  };
  visit(entry);
  const everything = (readdirSync(bundleDir, { recursive: true, encoding: "utf8" }) as string[]).filter(
    (file) => file.endsWith(".mjs") && !file.includes("node_modules"),
  );
  return {
    coldStart: clientsIn([...coldStart].map(read).join("\n")),
    bundled: clientsIn(everything.map(read).join("\n")),
  };
}
