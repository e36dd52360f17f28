import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_BUCKET, LOCAL_REGION } from "./local-aws";
import type { LocalFlowInfo, RuntimeInfo } from "./types";

/**
 * Where this runtime can be reached, as `<data dir>/runtime.json` tells the CLI. The single
 * `stateMachineArn` and `webhookUrl` predate flows: the first flow's machine, and Close's webhook
 * (what `leadrelay send` signs for) when a flow listens to Close, else the first source's.
 */
export function runtimeInfo(options: {
  url: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  webhooks: Record<string, string>;
  flows: LocalFlowInfo[];
}): RuntimeInfo {
  const { url, webhooks, flows } = options;
  return {
    pid: process.pid,
    url,
    webhookUrl: webhooks.close ?? Object.values(webhooks)[0] ?? `${url}/webhook/close`,
    webhooks,
    consoleUrl: `${url}/console`,
    s3Endpoint: options.s3Endpoint,
    sfnEndpoint: options.sfnEndpoint,
    bucket: LOCAL_BUCKET,
    stateMachineArn: flows[0]?.stateMachineArn ?? "",
    flows,
    region: LOCAL_REGION,
  };
}

export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo) {
  writeFileSync(join(dataDir, "runtime.json"), `${JSON.stringify(info, null, 2)}\n`);
}
