import middy from "@middy/core";
import { type AwsClientConfig, type AwsService, lambdaAwsConfig } from "./aws-clients";
import { createLogger, type Logger } from "./log";

export type Env = Record<string, string | undefined>;

/** What a handler's dependencies are built from besides the environment. */
export interface TaskKit {
  log: Logger;
  aws(service: AwsService): AwsClientConfig;
}

/** A Task's (or a source's) factory: the same on Lambda and in the local runtime, which passes its own kit. */
export type HandlerBuild<E = unknown, R = unknown> = (env: Env, kit: TaskKit) => (event: E) => Promise<R>;

/** SST binds `Config.Secret`s as `SST_Secret_value_*` placeholders that `sst/node/config` resolves from SSM. */
const SST_SECRET_PREFIX = "SST_Secret_value_";

/** process.env with SST secrets resolved; `sst/node/config` is only loaded where SST deployed the function. */
export async function runtimeEnv(): Promise<Env> {
  const names = Object.keys(process.env)
    .filter((key) => key.startsWith(SST_SECRET_PREFIX))
    .map((key) => key.slice(SST_SECRET_PREFIX.length));
  if (names.length === 0) return process.env;
  const { Config } = (await import("sst/node/config")) as unknown as { Config: Record<string, string> };
  return { ...process.env, ...Object.fromEntries(names.map((name) => [name, Config[name]])) };
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
export function lambdaHandler<E, R>(service: string, build: HandlerBuild<E, R>) {
  const log = createLogger(service);
  let built: Promise<(event: E) => Promise<R>> | undefined;
  const resolve = () => {
    built ??= runtimeEnv()
      .then((env) => build(env, { log, aws: lambdaAwsConfig }))
      .catch((error: unknown) => {
        built = undefined;
        throw error;
      });
    return built;
  };
  return middy<E, R>(async (event: E) => (await resolve())(event)).use(invocationLog(log));
}
