import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DescribeStateMachineCommand, SFNClient } from "@aws-sdk/client-sfn";
import { createS3Client } from "@leadrelay/functions";
import { FLOWS } from "../../flows/registry";
import { createConsole } from "./console-routes";
import { resolveStageTarget, StageTargetError } from "./stage-target";
import { holdsOfDefinition } from "./state-machine-holds";

const USAGE = `pnpm console --stage <stage> [options]

The console against a deployed stage, every flow, with your AWS credentials (the SDK's default
chain: AWS_PROFILE / SSO / environment / instance role). Serves on 127.0.0.1 only.

  --stage <name>               read every StateMachineArn<Flow> and BucketName from .sst/outputs.json
  --state-machine-arn <arn>    instead of the stage outputs; repeat it per flow as <flow>=<arn>
                               (a bare ARN whose name ends with a flow id is that flow's)
  --bucket <name>              instead of (or over) the stage outputs
  --region <region>            default: the state machine ARN's region
  --profile <name>             AWS profile (same as AWS_PROFILE)
  --port <port>                default 3001 (0: any free port)
  --outputs <file>             default .sst/outputs.json
  --app <name>                 SST app name, default leadrelay
`;

function fail(message: string): never {
  process.stderr.write(`leadrelay console: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  stage: { type: "string" },
  "state-machine-arn": { type: "string", multiple: true },
  bucket: { type: "string" },
  region: { type: "string" },
  profile: { type: "string" },
  port: { type: "string", default: "3001" },
  outputs: { type: "string", default: join(process.cwd(), ".sst", "outputs.json") },
  app: { type: "string", default: "leadrelay" },
  help: { type: "boolean", short: "h" },
} as const;

function parseFlags() {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
}

async function main() {
  const values = parseFlags();
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a port number, not ${values.port}`);
  let target: ReturnType<typeof resolveStageTarget>;
  try {
    target = resolveStageTarget({
      stage: values.stage,
      stateMachineArn: values["state-machine-arn"],
      bucket: values.bucket,
      region: values.region,
      outputsFile: values.outputs ?? ".sst/outputs.json",
      app: values.app ?? "leadrelay",
    });
  } catch (error) {
    if (error instanceof StageTargetError) fail(`${error.message}\n\n${USAGE}`);
    throw error;
  }
  // The SDK's default chain reads AWS_PROFILE; the console never sees or prints the keys.
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const sfn = new SFNClient({ region: target.region });
  const s3 = createS3Client({ region: target.region });
  const label = `AWS${values.stage ? ` stage ${values.stage}` : ""} (${target.region})`;
  const titles = new Map(FLOWS.map((flow) => [flow.id, flow.title]));
  const sources = new Map(FLOWS.map((flow) => [flow.id, flow.source.id]));
  const flows = target.flows.map((flow) => ({
    ...flow,
    title: titles.get(flow.id) ?? flow.id,
    source: sources.get(flow.id),
  }));
  const handler = createConsole({
    sfn,
    s3,
    flows,
    stateMachineArn: target.stateMachineArn,
    bucket: target.bucket,
    region: target.region,
    mode: "aws",
    label,
  });

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/") {
      res.writeHead(302, { location: "/console" }).end();
      return;
    }
    handler(req, res)
      .then((handled) => {
        if (!handled) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      })
      .catch((error: unknown) => {
        process.stderr.write(
          `leadrelay console: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("internal error\n");
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the page acts with the operator's AWS credentials.
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/console`;

  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`leadrelay console — ${label}`);
  out(`  bucket         ${target.bucket}`);
  if (target.source) out(`  (${target.source})`);
  for (const flow of flows) {
    out(`  flow           ${flow.id.padEnd(17)} ${flow.stateMachineArn}`);
    try {
      const machine = await sfn.send(
        new DescribeStateMachineCommand({ stateMachineArn: flow.stateMachineArn }),
      );
      const holds = [...holdsOfDefinition(machine.definition)].map(
        ([state, ms]) => `${state} ${ms / 1000} s`,
      );
      out(
        `    reachable    ${machine.name} (${machine.type ?? "?"}${holds.length ? `, ${holds.join(", ")}` : ""})`,
      );
    } catch (error) {
      // Keep serving: the page shows the same error on every call until the credentials are fixed.
      out(`    NOT reachable ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  out(`console ${url}`);

  const stop = () => {
    server.close();
    server.closeAllConnections();
    sfn.destroy();
    s3.destroy();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `leadrelay console: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
