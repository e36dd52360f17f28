import type { Env, RuntimeOptions } from "./types";

/**
 * The settings a runtime starts from: `options.env` with empty values dropped, then the shorthand
 * options as the variables they stand for (they win; an empty one counts as unset). The parts fill
 * in the rest (stand-in URLs, generated secrets, the bucket).
 */
export function runtimeSettings(options: RuntimeOptions): Env {
  const given: Env = {
    CLOSE_WEBHOOK_SECRET: options.secretHex,
    SLACK_WEBHOOK_URL: options.slackWebhookUrl,
    OWNER_BASE_URL: options.ownerBaseUrl,
    LEAD_WAIT_SECONDS: options.waitSeconds === undefined ? undefined : String(options.waitSeconds),
    NOTIFY_UNASSIGNED: options.notifyUnassigned === undefined ? undefined : String(options.notifyUnassigned),
    LEADRELAY_OWNERS_DIR: options.ownersDir,
    LEADRELAY_FLOWS: options.flows,
  };
  const settings: Env = {};
  for (const [name, value] of Object.entries({ ...options.env })) if (value) settings[name] = value;
  for (const [name, value] of Object.entries(given))
    if (value !== undefined && value !== "") settings[name] = value;
  return settings;
}

/** A numeric setting; undefined when unset or empty. */
export function numberSetting(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : Number(value);
}
