import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ExecutionStatus, SFNClient } from "@aws-sdk/client-sfn";
import {
  describeExecution,
  executionArnOf,
  executionHistory,
  listExecutions,
  redriveLead,
  replayLead,
} from "@leadrelay/console/lead-operations";
import { buildTimeline, formatDuration, formatTimeline, leadIdOfExecutionName } from "@leadrelay/core";
import { LOCAL_CREDENTIALS, type RuntimeInfo } from "./runtime";
import { closeHeaders, SAMPLE_LEAD_FIXTURE, sampleBody } from "./sample-request";

const USAGE = `leadrelay — inspect and operate lead executions (local runtime by default, AWS with --aws)

  leadrelay leads [--status RUNNING|SUCCEEDED|FAILED|ABORTED] [--limit N]
  leadrelay lead <lead id or execution name>      timeline: states, retries, errors, durations
  leadrelay redrive <lead id>                     continue a failed execution from the step that failed
  leadrelay replay <lead id>                      new execution from the stored raw event
  leadrelay send [file.json]                      sign a Close webhook and post it to the local runtime

Local: reads <LEADRELAY_DATA_DIR or .leadrelay>/runtime.json written by 'pnpm start'.
AWS:   --aws --state-machine-arn ARN [--region R] (your usual AWS credentials; nothing else changes).`;

function options(argv: string[]) {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags.set(arg.slice(2), next);
      i++;
    } else flags.set(arg.slice(2), true);
  }
  return { positional, flag: (name: string) => flags.get(name) };
}

function localInfo(): RuntimeInfo {
  const file = join(process.env.LEADRELAY_DATA_DIR || ".leadrelay", "runtime.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RuntimeInfo;
  } catch {
    throw new Error(
      `No local runtime found (${file} is missing): start one with 'pnpm start', or use --aws.`,
    );
  }
}

function target(flag: (name: string) => string | true | undefined) {
  if (flag("aws")) {
    const stateMachineArn = flag("state-machine-arn");
    if (typeof stateMachineArn !== "string") throw new Error("--aws needs --state-machine-arn ARN");
    const region =
      typeof flag("region") === "string" ? (flag("region") as string) : stateMachineArn.split(":")[3];
    return { sfn: new SFNClient({ region }), stateMachineArn };
  }
  const info = localInfo();
  return {
    sfn: new SFNClient({ endpoint: info.sfnEndpoint, region: info.region, credentials: LOCAL_CREDENTIALS }),
    stateMachineArn: info.stateMachineArn,
  };
}

const when = (date: Date | undefined) => (date ? date.toISOString().replace("T", " ").slice(0, 19) : "—");

async function run(argv: string[]): Promise<number> {
  const { positional, flag } = options(argv);
  const [command, subject] = positional;
  const out = (line = "") => process.stdout.write(`${line}\n`);
  switch (command) {
    case "leads": {
      const t = target(flag);
      const limit = Number(flag("limit") ?? 50);
      const status =
        typeof flag("status") === "string"
          ? (String(flag("status")).toUpperCase() as ExecutionStatus)
          : undefined;
      let nextToken: string | undefined;
      let shown = 0;
      out(`${"LEAD / EXECUTION".padEnd(72)} ${"STATUS".padEnd(10)} ${"STARTED (UTC)".padEnd(19)}  DURATION`);
      do {
        const page = await listExecutions(t, { status, maxResults: Math.min(100, limit - shown), nextToken });
        for (const item of page.executions) {
          const ms = item.startDate
            ? (item.stopDate ?? new Date()).getTime() - item.startDate.getTime()
            : undefined;
          out(
            `${(item.name ?? "").padEnd(72)} ${(item.status ?? "").padEnd(10)} ${when(item.startDate).padEnd(19)}  ${formatDuration(ms)}`,
          );
          shown++;
        }
        nextToken = page.nextToken;
      } while (nextToken && shown < limit);
      if (shown === 0) out("(no executions)");
      return 0;
    }
    case "lead": {
      if (!subject) break;
      const t = target(flag);
      const described = await describeExecution(t, subject);
      const timeline = buildTimeline(await executionHistory(t, executionArnOf(t.stateMachineArn, subject)));
      out(
        `${leadIdOfExecutionName(subject)}  execution ${described.name}  started ${when(described.startDate)} UTC`,
      );
      for (const line of formatTimeline(timeline)) out(line);
      return 0;
    }
    case "redrive": {
      if (!subject) break;
      const at = await redriveLead(target(flag), subject);
      out(`redriven ${subject} at ${when(at)} UTC; follow it with: leadrelay lead ${subject}`);
      return 0;
    }
    case "replay": {
      if (!subject) break;
      const replay = await replayLead(target(flag), subject);
      out(`replaying ${subject} as ${replay.name}; follow it with: leadrelay lead ${replay.name}`);
      return 0;
    }
    case "send": {
      const info = localInfo();
      const secret =
        process.env.CLOSE_WEBHOOK_SECRET ||
        readFileSync(join(process.env.LEADRELAY_DATA_DIR || ".leadrelay", "webhook-secret"), "utf8").trim();
      const body = sampleBody(subject ?? SAMPLE_LEAD_FIXTURE);
      const response = await fetch(info.webhookUrl, {
        method: "POST",
        headers: closeHeaders(secret, body),
        body,
      });
      out(`${response.status} ${await response.text()}`);
      return response.status < 300 ? 0 : 1;
    }
    default:
      break;
  }
  out(USAGE);
  return command === undefined || command === "help" || flag("help") ? 0 : 2;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const name = error instanceof Error ? error.name : "Error";
    process.stderr.write(
      `leadrelay: ${name === "Error" ? "" : `${name}: `}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
