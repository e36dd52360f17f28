import { DeploySettingsError } from "../packages/functions/src/flow-spec";

/** What a deploy bakes into the stage's alerting, read from the environment of `sst deploy`. */
export interface OperationsSettings {
  /** Failure alerts and alarms are also emailed here (ALERT_EMAIL_TO); absent: Slack only. */
  alertEmailTo?: string;
  /** The failure alert's sender (EMAIL_FROM); without it the Lambda skips the email and says so. */
  emailFrom?: string;
  emailProvider?: "brevo" | "ses";
  brevoBaseUrl?: string;
}

/** A plain address check: the email vendor has the last word, a typo should stop the deploy. */
const EMAIL_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

function address(name: string, value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (!EMAIL_ADDRESS.test(trimmed)) {
    throw new DeploySettingsError(`${name} must be one email address, got ${JSON.stringify(trimmed)}`);
  }
  return trimmed;
}

export function operationsSettings(env: Record<string, string | undefined>): OperationsSettings {
  const alertEmailTo = address("ALERT_EMAIL_TO", env.ALERT_EMAIL_TO);
  if (!alertEmailTo) return {};
  const provider = env.EMAIL_PROVIDER?.trim();
  if (provider && provider !== "brevo" && provider !== "ses") {
    throw new DeploySettingsError(`EMAIL_PROVIDER must be brevo or ses, got ${JSON.stringify(provider)}`);
  }
  const brevoBaseUrl = env.BREVO_BASE_URL?.trim();
  if (brevoBaseUrl && !/^https:\/\//.test(brevoBaseUrl)) {
    throw new DeploySettingsError(`BREVO_BASE_URL must be an https URL, got ${JSON.stringify(brevoBaseUrl)}`);
  }
  const emailFrom = address("EMAIL_FROM", env.EMAIL_FROM);
  return {
    alertEmailTo,
    ...(emailFrom ? { emailFrom } : {}),
    ...(provider ? { emailProvider: provider as "brevo" | "ses" } : {}),
    ...(brevoBaseUrl ? { brevoBaseUrl } : {}),
  };
}

/**
 * The vendor the alert Lambda sends with, as `emailProviderOf` decides at run time: EMAIL_PROVIDER,
 * else Brevo when its key is set for the stage, else SES. Decided at deploy so the function gets
 * the one grant (ses:SendEmail) or the one secret (BREVO_API_KEY) it uses, not both.
 */
export function alertEmailProvider(settings: OperationsSettings, brevoKeySet: boolean): "brevo" | "ses" {
  return settings.emailProvider ?? (brevoKeySet ? "brevo" : "ses");
}
