import { isHexKey } from "@leadrelay/core";
import * as z from "zod/mini";

const url = (message: string) => z.url({ error: message });
const integer = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce.number({ error: "must be a whole number" }).check(z.int(), z.gte(min), z.lte(max)),
    fallback,
  );

/** The environment every handler reads, validated once; each handler picks what it needs. */
export const EnvSchema = {
  BUCKET_NAME: z.string({ error: "must be set" }).check(z.minLength(1, "must be set")),
  STATE_MACHINE_ARN: z
    .string({ error: "must be set" })
    .check(z.startsWith("arn:", "must be a Step Functions ARN")),
  CLOSE_WEBHOOK_SECRET: z
    .string({ error: "must be set" })
    .check(z.refine(isHexKey, "must be the hex signature key from Close")),
  SLACK_WEBHOOK_URL: url("must be a URL"),
  OWNER_BASE_URL: z.pipe(
    url("must be a URL"),
    z.transform((value) => value.replace(/\/+$/, "")),
  ),
  LEAD_WAIT_SECONDS: integer(0, 31_536_000, 600),
  NOTIFY_UNASSIGNED: z.pipe(
    z._default(z.enum(["true", "false", "1", "0"], { error: "must be true or false" }), "true"),
    z.transform((value) => value === "true" || value === "1"),
  ),
  HTTP_TIMEOUT_MS: integer(100, 60_000, 8_000),
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
