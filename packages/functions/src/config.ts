import { isHexKey } from "@leadrelay/core";
import * as z from "zod/mini";

const url = (message: string) => z.url({ error: message });
const integer = (min: number, max: number, fallback: number) =>
  z._default(
    z.coerce.number({ error: "must be a whole number" }).check(z.int(), z.gte(min), z.lte(max)),
    fallback,
  );
const required = z.string({ error: "must be set" }).check(z.minLength(1, "must be set"));
/** A base URL without its trailing slash; the vendor's own host on AWS when unset. */
const trimmedUrl = () =>
  z.pipe(
    url("must be an http(s) URL"),
    z.transform((value) => value.replace(/\/+$/, "")),
  );
const baseUrl = (fallback: string) => z._default(trimmedUrl(), fallback);
/** A base URL with no public default (a customer's own host, e.g. Zendesk's subdomain). */
const ownBaseUrl = () => z.optional(trimmedUrl());
const optionalText = z.optional(z.string());
const flag = (fallback: "true" | "false") =>
  z.pipe(
    z._default(z.enum(["true", "false", "1", "0"], { error: "must be true or false" }), fallback),
    z.transform((value) => value === "true" || value === "1"),
  );

/**
 * The environment every handler reads, validated once; each handler picks what it needs. Vendor
 * base URLs default to the vendor's host (on AWS); the local runtime points unset ones at its
 * stand-ins. Credentials are optional here: an action whose credentials are missing is skipped,
 * and the history says which variable is missing.
 */
export const EnvSchema = {
  BUCKET_NAME: required,
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
  NOTIFY_UNASSIGNED: flag("true"),
  HTTP_TIMEOUT_MS: integer(100, 60_000, 8_000),

  CLOSE_API_BASE_URL: baseUrl("https://api.close.com/api/v1"),
  CLOSE_API_KEY: optionalText,
  TWILIO_BASE_URL: baseUrl("https://api.twilio.com"),
  TWILIO_ACCOUNT_SID: optionalText,
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_FROM: optionalText,
  ON_CALL_PHONE: optionalText,
  EMAIL_PROVIDER: z.optional(z.enum(["brevo", "ses"], { error: "must be brevo or ses" })),
  EMAIL_FROM: optionalText,
  /** Where announce also emails each new lead (the same seven fields as Slack); unset: Slack only. */
  ANNOUNCE_EMAIL_TO: z.optional(z.email({ error: "must be one email address" })),
  /** Where failure alerts are also emailed (besides Slack); unset: Slack only. */
  ALERT_EMAIL_TO: z.optional(z.email({ error: "must be one email address" })),
  BREVO_BASE_URL: baseUrl("https://api.brevo.com"),
  BREVO_API_KEY: optionalText,
  BREVO_PROPERTY_TEMPLATE_ID: z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,9}$/, "must be a Brevo template id (digits)")),
      z.transform(Number),
    ),
  ),
  ZENDESK_BASE_URL: ownBaseUrl(),
  ZENDESK_EMAIL: optionalText,
  ZENDESK_API_TOKEN: optionalText,
  LLM_BASE_URL: ownBaseUrl(),
  LLM_API_KEY: optionalText,
  LLM_MODEL: optionalText,
  META_GRAPH_BASE_URL: baseUrl("https://graph.facebook.com"),
  META_API_VERSION: z._default(z.string().check(z.regex(/^v\d+\.\d+$/, "must look like v21.0")), "v21.0"),
  META_PIXEL_ID: optionalText,
  META_ACCESS_TOKEN: optionalText,
  META_TEST_EVENT_CODE: optionalText,
  META_PAGE_ACCESS_TOKEN: optionalText,
  META_APP_SECRET: optionalText,
  META_VERIFY_TOKEN: optionalText,
  DEFAULT_PHONE_COUNTRY_CODE: z.optional(
    z.string().check(z.regex(/^\d{1,4}$/, "must be digits, e.g. 1 or 44")),
  ),
  MEMBERS_BASE_URL: ownBaseUrl(),
  EVENT_BUS_NAME: optionalText,
  HUBSPOT_BASE_URL: baseUrl("https://api.hubapi.com"),
  HUBSPOT_TOKEN: optionalText,
  HUBSPOT_PIPELINE: z._default(z.string(), "default"),
  HUBSPOT_DEAL_STAGE: z._default(z.string(), "appointmentscheduled"),
  LGM_BASE_URL: baseUrl("https://apiv2.lagrowthmachine.com/flow"),
  LGM_API_KEY: optionalText,
  LGM_WEBHOOK_TOKEN: optionalText,
  CRM_WEBHOOK_API_KEY: optionalText,
};
export type EnvName = keyof typeof EnvSchema;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Shape = Record<string, z.ZodMiniType>;
type Parsed<S extends Shape> = { [P in keyof S]: z.output<S[P]> };

/** Parses `env` against a shape of schemas (empty counts as unset); one error names every bad variable. */
export function readEnv<S extends Shape>(shape: S, env: Record<string, string | undefined>): Parsed<S> {
  const values = Object.fromEntries(
    Object.keys(shape).map((name) => [name, env[name] === "" ? undefined : env[name]]),
  );
  const parsed = z.object(shape).safeParse(values);
  if (parsed.success) return parsed.data as Parsed<S>;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
  throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
}

/** The named variables of the shared schema. */
export function readConfig<K extends EnvName>(
  names: readonly K[],
  env: Record<string, string | undefined>,
): Parsed<Pick<typeof EnvSchema, K>> {
  return readEnv(pickEnv(names), env);
}

export function pickEnv<K extends EnvName>(names: readonly K[]): Pick<typeof EnvSchema, K> {
  return Object.fromEntries(names.map((name) => [name, EnvSchema[name]])) as Pick<typeof EnvSchema, K>;
}

/** The names among `names` that are unset or empty: why an action is skipped. */
export function missingVariables(
  env: Record<string, string | undefined>,
  names: readonly string[],
): string[] {
  return names.filter((name) => (env[name] ?? "").trim() === "");
}
