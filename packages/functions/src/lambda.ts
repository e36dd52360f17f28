import middy from "@middy/core";
import { createLogger, type Logger } from "./log";

/** SST binds `Config.Secret`s as `SST_Secret_value_*` placeholders that `sst/node/config` resolves from SSM. */
const SST_SECRET_PREFIX = "SST_Secret_value_";

/** process.env with SST secrets resolved; `sst/node/config` is only loaded where SST deployed the function. */
export async function runtimeEnv(): Promise<Record<string, string | undefined>> {
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
export function lambdaHandler<E, R>(
  service: string,
  build: (env: Record<string, string | undefined>, log: Logger) => (event: E) => Promise<R>,
) {
  const log = createLogger(service);
  let built: Promise<(event: E) => Promise<R>> | undefined;
  const resolve = () => {
    built ??= runtimeEnv()
      .then((env) => build(env, log))
      .catch((error: unknown) => {
        built = undefined;
        throw error;
      });
    return built;
  };
  return middy<E, R>(async (event: E) => (await resolve())(event)).use(invocationLog(log));
}
