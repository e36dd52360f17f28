import type { Clock, ExecutionStarter, ObjectStore } from "@leadrelay/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createS3Client, createS3Store } from "./adapters/s3-store";
import { createSfnClient, createSfnStarter } from "./adapters/sfn-starter";
import { readConfig } from "./config";
import { type SourceAnswer, type SourceSpec, stateMachineArnVariable } from "./flow-spec";
import { json } from "./http-response";
import { type Env, lambdaHandler, type SecretStoreFactory, type TaskKit } from "./lambda";
import { createLogger, type Logger } from "./log";

/** The API Gateway v2 fields ingest reads (the local runtime builds the same shape). */
export type IngestEvent = Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded" | "headers"> & {
  rawPath?: string;
  rawQueryString?: string;
  pathParameters?: Record<string, string | undefined>;
  requestContext: { http: { method: string } };
};

export interface FlowStarter {
  flow: string;
  executions: ExecutionStarter;
}

export interface IngestDeps {
  source: SourceSpec;
  store: ObjectStore;
  /** One per flow subscribed to the source (and enabled on this stage). */
  flows: readonly FlowStarter[];
  secrets: Record<string, string | undefined>;
  /** The values of the source's `settings`. */
  settings?: Record<string, string | undefined>;
  clock?: Clock;
  log?: Logger;
  /** The stage (SST_STAGE on AWS), named in the command that sets a missing secret. */
  stage?: string;
}

/**
 * A source's secret made at registration (`setAfterDeploy`) that is not set yet: 503, so the sender
 * delivers again later (Close retries for 72 h), with the secret and the command that sets it in the
 * body and the log. Nothing is stored or started.
 */
function secretNotSet(deps: IngestDeps, log: Logger): APIGatewayProxyStructuredResultV2 | undefined {
  const pending = Object.entries(deps.source.setAfterDeploy ?? {}).filter(
    ([name]) => !deps.secrets[name]?.trim(),
  );
  if (pending.length === 0) return undefined;
  const stage = deps.stage ? ` --stage ${deps.stage}` : "";
  const fix = pending.map(([name, command]) => `${name}: run '${command}${stage}'`).join("; ");
  const error = `${pending.map(([name]) => name).join(", ")} not set for this stage (${fix}); deliveries are refused with 503 until then, and the sender retries`;
  log.error("webhook secret not set", {
    source: deps.source.id,
    missing: pending.map(([name]) => name),
    fix,
  });
  const answer = json(503, { error });
  return { ...answer, headers: { ...answer.headers, "retry-after": "300" } };
}

function answer(result: SourceAnswer): APIGatewayProxyStructuredResultV2 {
  if (typeof result.body === "string") {
    return {
      statusCode: result.status,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: result.body,
    };
  }
  return json(result.status, result.body);
}

const methodsOf = (source: SourceSpec) => new Set(source.routes.map((route) => route.split(" ")[0] ?? ""));

/**
 * A webhook endpoint: the source verifies and parses (pure), this stores the raw body once
 * (conditional create) and starts one execution per event in every subscribed flow. Every
 * failure of storage or Step Functions answers 503 so the sender delivers again; a redelivery
 * finds the object and the executions already there (200 duplicate).
 */
export function createSourceIngest(deps: IngestDeps) {
  const { source, store } = deps;
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createLogger(`ingest-${source.id}`);
  const methods = methodsOf(source);

  return async (event: IngestEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method;
    if (!methods.has(method)) {
      const refused = json(405, { error: `use ${[...methods].join(" or ")}` });
      return { ...refused, headers: { ...refused.headers, allow: [...methods].join(", ") } };
    }
    const raw = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    if (raw.length > source.maxBodyBytes) {
      return json(413, { error: `body larger than ${source.maxBodyBytes} bytes` });
    }
    const headers: Record<string, string | undefined> = {};
    // API Gateway v2 lower-cases names; a direct Lambda invocation may not.
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const unset = secretNotSet(deps, log);
    if (unset) return unset;
    const now = clock();
    const verdict = source.receive(
      {
        method,
        path: event.rawPath ?? "",
        pathParameters: Object.fromEntries(
          Object.entries(event.pathParameters ?? {}).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
        query: new URLSearchParams(event.rawQueryString ?? ""),
        headers,
        body: raw,
      },
      { secrets: deps.secrets, settings: deps.settings ?? {}, now },
    );

    if (verdict.kind === "answer") {
      const { status, logReason } = verdict.answer;
      if (status >= 400) log.warn("webhook refused", { source: source.id, status, reason: logReason });
      else log.info("webhook answered", { source: source.id, status, reason: logReason });
      return answer(verdict.answer);
    }

    if (verdict.kind === "reject") {
      try {
        await store.putIfAbsent(verdict.key, raw);
      } catch (error) {
        log.error("could not keep a rejected delivery, the sender will retry", { key: verdict.key, error });
        return json(503, { error: "temporarily unavailable, retry later" });
      }
      log.warn("delivery rejected and kept", { source: source.id, key: verdict.key, reason: verdict.reason });
      return json(source.rejectStatus ?? 202, { status: "rejected", reason: verdict.reason });
    }

    const receivedAt = new Date(now).toISOString();
    const executions: Array<{ flow: string; name: string; status: string; executionArn?: string }> = [];
    try {
      const stored = verdict.events.length === 0 ? "none" : await store.putIfAbsent(verdict.rawKey, raw);
      for (const item of verdict.events) {
        // Every subscribed flow at once; one that fails makes the answer a 503 (the rest are duplicates on the retry).
        const results = await Promise.allSettled(
          deps.flows.map(({ executions: starter }) =>
            starter.start(item.name, { ...item.input, receivedAt }),
          ),
        );
        results.forEach((result, i) => {
          if (result.status === "rejected") throw result.reason;
          executions.push({
            flow: deps.flows[i]?.flow ?? "",
            name: item.name,
            status: result.value.status,
            executionArn: result.value.executionArn,
          });
        });
      }
      // New or duplicate is decided by the first subscribed flow, whose start is atomic per name:
      // of N concurrent deliveries exactly one is "accepted", whichever of them started the others.
      const primary = deps.flows[0]?.flow;
      const fresh = executions.filter(
        (execution) => execution.flow === primary && execution.status === "started",
      );
      log.info(fresh.length > 0 ? "webhook accepted" : "duplicate delivery", {
        raw: stored,
        rawKey: verdict.rawKey,
        ...verdict.fields,
        executions,
      });
      if (executions.length > 0 && fresh.length === 0) {
        return json(200, { status: "duplicate", ...verdict.fields });
      }
      return json(source.acceptStatus ?? 202, {
        status: "accepted",
        ...verdict.fields,
        executionArn: fresh[0]?.executionArn,
        executions,
      });
    } catch (error) {
      log.error("ingest failed, the sender will retry", { rawKey: verdict.rawKey, ...verdict.fields, error });
      return json(503, { error: "temporarily unavailable, retry later" });
    }
  };
}

/** The flows a source's ingest Lambda starts: `SOURCE_FLOWS` lists them, each with its ARN variable. */
export function flowStartersFromEnv(env: Env, kit: TaskKit): FlowStarter[] {
  const flows = (env.SOURCE_FLOWS ?? "").split(",").filter(Boolean);
  if (flows.length === 0) throw new Error("SOURCE_FLOWS must name at least one flow");
  const sfn = createSfnClient(kit.aws("sfn"));
  return flows.map((flow) => {
    const variable = stateMachineArnVariable(flow);
    const arn = env[variable];
    if (!arn?.startsWith("arn:"))
      throw new Error(`${variable} must be the state machine ARN of flow ${flow}`);
    return { flow, executions: createSfnStarter(sfn, arn) };
  });
}

/** A source's Lambda entry: everything from the environment and the kit. */
export function sourceHandlerBuild(source: SourceSpec) {
  return (env: Env, kit: TaskKit) =>
    createSourceIngest({
      source,
      store: createS3Store(createS3Client(kit.aws("s3")), readConfig(["BUCKET_NAME"], env).BUCKET_NAME),
      flows: flowStartersFromEnv(env, kit),
      secrets: Object.fromEntries(source.secrets.map((name) => [name, env[name]])),
      settings: Object.fromEntries((source.settings ?? []).map((name) => [name, env[name]])),
      log: kit.log,
      stage: env.SST_STAGE,
    });
}

export function sourceHandler(source: SourceSpec, secrets?: SecretStoreFactory) {
  return lambdaHandler(`ingest-${source.id}`, sourceHandlerBuild(source), secrets, {
    mayBeUnset: Object.keys(source.setAfterDeploy ?? {}),
  });
}
