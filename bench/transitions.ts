import { startRuntime } from "../packages/local/src/runtime";
import { ownerServer, slackRecorder } from "../packages/local/test/harness";
import { leadBodies, median, ownerFileFor, removeDir, SECRET, signed, tempDir } from "./lib";

export type ScenarioName = "happy" | "ownerRetry" | "slackRetry";

interface Attempt {
  state: string;
  ms: number;
  outcome: "succeeded" | "failed";
  error?: string;
}

export interface ScenarioResult {
  leads: number;
  status: string;
  path: string[];
  statesEntered: number;
  retries: number;
  /** What the cost model bills: every state entered plus every retry, plus one for the execution start. */
  transitions: number;
  lambdaInvocations: number;
  /** One lead's Lambda invocations: state, measured ms (median over the leads), outcome. */
  attempts: Attempt[];
  s3Requests: Record<string, number>;
  ingestMs: number;
  sameForEveryLead: boolean;
}

export interface TransitionsResult {
  countingRule: string;
  scenarios: Record<ScenarioName, ScenarioResult>;
  /** Each Task's input from the happy path (the cold-start benchmark invokes the bundles with these). */
  taskInputs: Record<string, unknown>;
}

/**
 * #3: real executions through the local runtime (its ingest, its SFN engine, the real handlers,
 * loopback owner and Slack servers), counted from GetExecutionHistory-shaped histories.
 */
export async function benchTransitions(options: { leadsPerScenario: number }): Promise<TransitionsResult> {
  const slack = await slackRecorder();
  const owners = await ownerServer();
  const dataDir = tempDir("transitions");
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    secretHex: SECRET,
    waitSeconds: 0,
    // Retry intervals shortened so the run is quick; each retry still is a new Lambda invocation in the history.
    retryIntervalMs: 1,
    flows: "announce",
    slackWebhookUrl: slack.url,
    ownerBaseUrl: owners.url,
    print: () => {},
  });
  // Every S3 request the embedded S3 serves (ingest and each Task build their own clients from the kit).
  const s3Log: Array<{ command: string; key: string }> = [];
  const commands: Record<string, string> = {
    PUT: "PutObjectCommand",
    GET: "GetObjectCommand",
    HEAD: "HeadObjectCommand",
    DELETE: "DeleteObjectCommand",
  };
  const serve = runtime.s3.handle.bind(runtime.s3);
  runtime.s3.handle = (req, res) => {
    const [, , ...key] = new URL(req.url ?? "/", "http://s3.local").pathname.split("/");
    s3Log.push({
      command: commands[req.method ?? ""] ?? "unknown",
      key: key.map(decodeURIComponent).join("/"),
    });
    return serve(req, res);
  };

  const setups: Record<ScenarioName, (leadId: string) => void> = {
    happy: () => {},
    // The owner file answers 403 once (rep not assigned yet), then 200.
    ownerRetry: (leadId) => owners.script.set(leadId, [403]),
    // Slack answers 429 once, then 200.
    slackRetry: () => slack.script.push({ status: 429, headers: { "retry-after": "0" } }),
  };
  const scenarios = {} as Record<ScenarioName, ScenarioResult>;
  const taskInputs: Record<string, unknown> = {};
  try {
    for (const [name, setup] of Object.entries(setups) as Array<[ScenarioName, (leadId: string) => void]>) {
      const perLead: Array<Omit<ScenarioResult, "leads" | "sameForEveryLead">> = [];
      const code = { happy: "H", ownerRetry: "O", slackRetry: "S" }[name];
      for (const { leadId, body } of leadBodies(`Transitions${code}`, options.leadsPerScenario)) {
        owners.files.set(leadId, ownerFileFor(leadId));
        setup(leadId);
        const before = s3Log.length;
        const t0 = performance.now();
        const response = await fetch(runtime.webhookUrl, { method: "POST", headers: signed(body), body });
        await response.text();
        const ingestMs = performance.now() - t0;
        if (response.status !== 202) throw new Error(`ingest answered ${response.status} for ${leadId}`);
        const record = await runtime.engine.settled(leadId);
        if (record?.status !== "SUCCEEDED") {
          throw new Error(
            `${name}: execution ${leadId} ended ${record?.status} (${record?.error ?? ""}: ${record?.cause?.slice(0, 300) ?? ""}); every scenario must succeed`,
          );
        }
        const { events } = runtime.engine.getExecutionHistory({ executionArn: runtime.engine.arnOf(leadId) });
        const entered = events.filter((event) => event.type.endsWith("StateEntered"));
        const path = entered.map((event) => (event.stateEnteredEventDetails as { name: string }).name);
        const attempts: Attempt[] = [];
        let current: { state: string; at: number } | undefined;
        let state = "";
        for (const event of events) {
          if (event.type === "TaskStateEntered")
            state = (event.stateEnteredEventDetails as { name: string }).name;
          if (event.type === "LambdaFunctionScheduled" && name === "happy" && !(state in taskInputs)) {
            taskInputs[state] = JSON.parse(
              (event.lambdaFunctionScheduledEventDetails as { input: string }).input,
            );
          }
          if (event.type === "LambdaFunctionStarted") current = { state, at: event.timestamp };
          if (
            current &&
            (event.type === "LambdaFunctionSucceeded" || event.type === "LambdaFunctionFailed")
          ) {
            const failed = event.type === "LambdaFunctionFailed";
            attempts.push({
              state: current.state,
              ms: event.timestamp - current.at,
              outcome: failed ? "failed" : "succeeded",
              ...(failed
                ? { error: (event.lambdaFunctionFailedEventDetails as { error: string }).error }
                : {}),
            });
            current = undefined;
          }
        }
        const taskEntered = entered.filter((event) => event.type === "TaskStateEntered").length;
        const scheduled = events.filter((event) => event.type === "LambdaFunctionScheduled").length;
        const s3Requests: Record<string, number> = {};
        for (const { command, key } of s3Log.slice(before)) {
          const kind = `${command} ${key.startsWith("crm_event_") ? "raw" : key.split("/")[0]}`;
          s3Requests[kind] = (s3Requests[kind] ?? 0) + 1;
        }
        perLead.push({
          status: record?.status ?? "UNKNOWN",
          path,
          statesEntered: entered.length,
          retries: scheduled - taskEntered,
          transitions: entered.length + (scheduled - taskEntered) + 1,
          lambdaInvocations: scheduled,
          attempts,
          s3Requests,
          ingestMs,
        });
      }
      const first = perLead[0];
      if (!first) throw new Error("no leads");
      const shape = (lead: (typeof perLead)[number]) =>
        JSON.stringify([
          lead.status,
          lead.path,
          lead.retries,
          lead.attempts.map((a) => [a.state, a.outcome]),
          lead.s3Requests,
        ]);
      scenarios[name] = {
        ...first,
        leads: perLead.length,
        attempts: first.attempts.map((attempt, i) => ({
          ...attempt,
          ms: median(perLead.map((lead) => lead.attempts[i]?.ms ?? Number.NaN)),
        })),
        ingestMs: Math.round(median(perLead.map((lead) => lead.ingestMs)) * 100) / 100,
        sameForEveryLead: perLead.every((lead) => shape(lead) === shape(first)),
      };
    }
  } finally {
    await runtime.stop();
    await slack.close();
    await owners.close();
    removeDir(dataDir);
  }
  return {
    countingRule:
      "AWS bills a Standard state transition each time a step of the workflow is executed, retries included " +
      "(aws.amazon.com/step-functions/pricing). Counted here: every *StateEntered event in the history " +
      "(Wait, Tasks, Succeed/Fail) + every Lambda retry (LambdaFunctionScheduled beyond the first per Task) " +
      "+ 1 for the execution start (conservative: AWS may not bill it separately).",
    scenarios,
    taskInputs,
  };
}
