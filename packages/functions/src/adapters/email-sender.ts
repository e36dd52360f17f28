import type { EmailProvider, EmailSender } from "@leadrelay/core";
import type { AwsClientConfig } from "../aws-clients";
import { ConfigError, readConfig } from "../config";
import type { HttpClientOptions } from "../http-client";
import { createBrevoEmailSender } from "./brevo-email";
import { createSesEmailSender } from "./ses-email";

/** The settings that choose and configure the email vendor (a Task's `env`; BREVO_API_KEY is a secret). */
export const EMAIL_SENDER_ENV = ["EMAIL_PROVIDER", "BREVO_BASE_URL", "HTTP_TIMEOUT_MS"] as const;
export const EMAIL_SENDER_SECRETS = ["BREVO_API_KEY"] as const;

/** As `readConfig` gives them (it has checked EMAIL_PROVIDER is brevo or ses and BREVO_BASE_URL a URL). */
export interface EmailSenderSettings {
  EMAIL_PROVIDER?: string;
  BREVO_BASE_URL?: string;
  BREVO_API_KEY?: string;
  HTTP_TIMEOUT_MS?: number;
}

type Env = Record<string, string | undefined>;
const BREVO_DEFAULT_BASE_URL = "https://api.brevo.com";

/** `EMAIL_PROVIDER` when set; otherwise Brevo when its key is there (locally: the stand-in's), else SES. */
export function emailProviderOf(
  settings: Pick<EmailSenderSettings, "EMAIL_PROVIDER" | "BREVO_API_KEY">,
): EmailProvider {
  if (settings.EMAIL_PROVIDER === "brevo" || settings.EMAIL_PROVIDER === "ses")
    return settings.EMAIL_PROVIDER;
  return (settings.BREVO_API_KEY ?? "").trim() === "" ? "ses" : "brevo";
}

/** The credentials the chosen provider lacks (SES needs none: the Lambda role sends): why sending is skipped. */
export function missingEmailCredentials(env: Env): string[] {
  return emailProviderOf(env) === "brevo" && (env.BREVO_API_KEY ?? "").trim() === "" ? ["BREVO_API_KEY"] : [];
}

/** Brevo over HTTP or Amazon SES through the kit's SES client configuration. */
export function createEmailSender(
  settings: EmailSenderSettings,
  kit: { aws(service: "sesv2"): AwsClientConfig },
  options: Pick<HttpClientOptions, "fetch"> = {},
): EmailSender {
  const provider = emailProviderOf(settings);
  if (provider === "ses") return createSesEmailSender(kit.aws("sesv2"));
  const apiKey = settings.BREVO_API_KEY ?? "";
  if (apiKey.trim() === "")
    throw new ConfigError("Invalid configuration: BREVO_API_KEY must be set to send with Brevo");
  return createBrevoEmailSender(
    { baseUrl: settings.BREVO_BASE_URL ?? BREVO_DEFAULT_BASE_URL, apiKey },
    { timeoutMs: settings.HTTP_TIMEOUT_MS, ...options },
  );
}

/** The email sender a handler's environment describes (variables checked with `readConfig`). */
export function emailSenderFromEnv(env: Env, kit: { aws(service: "sesv2"): AwsClientConfig }): EmailSender {
  return createEmailSender(readConfig([...EMAIL_SENDER_ENV, ...EMAIL_SENDER_SECRETS], env), kit);
}
