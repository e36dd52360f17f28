import { isHexKey } from "@leadrelay/core";
import { z } from "zod";
import { FLOW_IDS } from "../../flows/registry";

const optionalUrl = z
  .url("must be a URL")
  .refine((url) => /^https?:/.test(url), "must be http(s)")
  .optional();

/** The environment contract of `pnpm start` (other tooling relies on these names exactly). */
export const LocalEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  CLOSE_WEBHOOK_SECRET: z.string().refine(isHexKey, "must be hex (Close's signature key)").optional(),
  SLACK_WEBHOOK_URL: optionalUrl,
  OWNER_BASE_URL: optionalUrl.transform((url) => url?.replace(/\/+$/, "")),
  LEAD_WAIT_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(600),
  LEADRELAY_DATA_DIR: z.string().min(1).default(".leadrelay"),
  LEADRELAY_OWNERS_DIR: z.string().min(1).optional(),
  LEADRELAY_RETRY_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).optional(),
  LEADRELAY_FLOWS: z
    .string()
    .superRefine((value, context) => {
      const unknown = value
        .split(",")
        .map((id) => id.trim())
        .filter((id) => id !== "" && !FLOW_IDS.includes(id));
      // Name what is wrong: "names unknown flow nope", not only the shape it should have.
      if (unknown.length > 0)
        context.addIssue({
          code: "custom",
          message: `names unknown flow${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}; the flows are ${FLOW_IDS.join(", ")}`,
        });
    })
    .optional(),
  LEADRELAY_STANDIN_DIR: z.string().min(1).optional(),
  /** How the handlers reach the embedded S3 and Step Functions: in the process (default) or over loopback HTTP. */
  LEADRELAY_AWS_TRANSPORT: z.enum(["in-process", "loopback"], "must be in-process or loopback").optional(),
  LEADRELAY_MEMBERS_DIR: z.string().min(1).optional(),
  /** Local only: where failure alerts go (default: the Slack stand-in, whatever SLACK_WEBHOOK_URL is). */
  ALERT_SLACK_WEBHOOK_URL: optionalUrl,
  /** Each Task that skips an action (a credential or setting missing) also alerts, as failures do. */
  LEADRELAY_ALERT_ON_SKIPPED: z
    .string()
    .refine((value) => /^(true|false)$/i.test(value.trim()), "must be true or false")
    .optional(),
  NOTIFY_UNASSIGNED: z
    .enum(["true", "false", "1", "0"], "must be true or false")
    .default("true")
    .transform((value) => value === "true" || value === "1"),
});
export type LocalEnv = z.output<typeof LocalEnv>;

/** Empty variables count as unset; a bad value stops start-up with a message naming the variable. */
export function parseLocalEnv(env: Record<string, string | undefined>): LocalEnv {
  const values = Object.fromEntries(
    Object.keys(LocalEnv.shape).map((name) => [name, env[name] || undefined]),
  );
  const parsed = LocalEnv.safeParse(values);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new Error(`leadrelay: invalid configuration\n${problems.join("\n")}`);
}
