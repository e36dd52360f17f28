import middy from "@middy/core";
import { type AwsClientConfig, type AwsService, lambdaAwsConfig } from "./aws-clients";
import { isSqsEvent } from "./budget-consumer";
import { createLogger, type Logger } from "./log";
import { boundSecrets, type ParameterStore, resolveSecrets } from "./sst-secrets";

export type Env = Record<string, string | undefined>;

/** What a handler's dependencies are built from besides the environment. */
export interface TaskKit {
  log: Logger;
  aws(service: AwsService): AwsClientConfig;
}

/** A Task's (or a source's) factory: the same on Lambda and in the local runtime, which passes its own kit. */
export type HandlerBuild<E = unknown, R = unknown> = (env: Env, kit: TaskKit) => (event: E) => Promise<R>;

/** Where a Lambda reads its bound SST secrets (SSM on AWS; tests pass their own). */
export type SecretStoreFactory = () => Promise<ParameterStore>;

const ssmFromEnvironment: SecretStoreFactory = async () =>
  (await import("./ssm-parameter-store")).ssmParameterStore(process.env.SST_REGION ?? process.env.AWS_REGION);

/**
 * process.env with the SST secrets bound to this function resolved (see sst-secrets.ts): read
 * again on every cold start attempt, so a throttled or failed read is retried by the Task's Retry
 * (as `SecretsUnavailable`) instead of failing every later invocation of the container.
 */
export async function runtimeEnv(store: SecretStoreFactory = ssmFromEnvironment): Promise<Env> {
  if (boundSecrets(process.env).length === 0) return process.env;
  return { ...process.env, ...(await resolveSecrets(process.env, await store())) };
}

/** One invocation log line with duration, the error name on failure (what ASL matches), never the payload. */
const invocationLog = (log: Logger): middy.MiddlewareObj => {
  const started = new WeakMap<object, number>();
  return {
    before: (request) => {
      started.set(request, Date.now());
    },
    after: (request) => {
      log.info("invocation done", { ms: Date.now() - (started.get(request) ?? Date.now()) });
    },
    onError: (request) => {
      const error = request.error;
      log.warn("invocation failed", {
        ms: Date.now() - (started.get(request) ?? Date.now()),
        errorType: error?.name,
        errorMessage: error?.message,
      });
    },
  };
};

/**
 * A Lambda entry: the dependencies are built once per container from the environment
 * (a bad variable fails the invocation with a message naming it) and the handler stays thin.
 */
export function lambdaHandler<E, R>(
  service: string,
  build: HandlerBuild<E, R>,
  secrets: SecretStoreFactory = ssmFromEnvironment,
) {
  const log = createLogger(service);
  let built: Promise<(event: E) => Promise<R>> | undefined;
  const resolve = () => {
    built ??= runtimeEnv(secrets)
      .then((env) => build(env, { log, aws: lambdaAwsConfig }))
      .catch((error: unknown) => {
        built = undefined;
        throw error;
      });
    return built;
  };
  return middy<E, R>(async (event: E) => {
    const handler = await resolve();
    // A Task that waits for its vendor budget is fed by its queue (stacks/vendor-budgets.ts).
    if (isSqsEvent(event)) {
      const { runBudgetConsumer } = await import("./budget-runner");
      return (await runBudgetConsumer(event, handler as (input: unknown) => Promise<unknown>, log)) as R;
    }
    return handler(event);
  }).use(invocationLog(log));
}
