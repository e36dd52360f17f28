import { isHexKey } from "@leadrelay/core";
import { z } from "zod";

/** The environment every handler reads, validated once; each handler picks what it needs. */
export const EnvSchema = {
  BUCKET_NAME: z.string().min(1, "must be set"),
  STATE_MACHINE_ARN: z.string().startsWith("arn:", "must be a Step Functions ARN"),
  CLOSE_WEBHOOK_SECRET: z.string().refine(isHexKey, "must be the hex signature key from Close"),
  SLACK_WEBHOOK_URL: z.url("must be a URL"),
  OWNER_BASE_URL: z.url("must be a URL").transform((url) => url.replace(/\/+$/, "")),
  LEAD_WAIT_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(600),
  NOTIFY_UNASSIGNED: z
    .enum(["true", "false", "1", "0"], "must be true or false")
    .default("true")
    .transform((value) => value === "true" || value === "1"),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
};
export type EnvName = keyof typeof EnvSchema;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Picked<K extends EnvName> = { [P in K]: z.output<(typeof EnvSchema)[P]> };

/** Parses the named variables; one error names every bad one. */
export function readConfig<K extends EnvName>(
  names: readonly K[],
  env: Record<string, string | undefined>,
): Picked<K> {
  const shape = Object.fromEntries(names.map((name) => [name, EnvSchema[name]]));
  const values = Object.fromEntries(names.map((name) => [name, env[name] === "" ? undefined : env[name]]));
  const parsed = z.object(shape).safeParse(values);
  if (parsed.success) return parsed.data as Picked<K>;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
}
