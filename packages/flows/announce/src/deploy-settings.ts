import { DeploySettingsError } from "@leadrelay/functions/flow-spec";
import { DEFAULT_WAIT_SECONDS } from "./definition";

export { DeploySettingsError };

/** The stage the offline infra tests synthesize; it needs no deploy-time settings. */
const TEST_STAGE = "test";

/** Read from the environment of `sst deploy`, baked into the template. */
export interface DeploySettings {
  ownerBaseUrl: string;
  waitSeconds: number;
  /** Post "lead X still has no owner after N minutes" when the owner never appears. */
  notifyUnassigned: boolean;
  /** Also announce each lead by email (ANNOUNCE_EMAIL_TO); absent: Slack only. */
  announceEmail?: AnnounceEmailSettings;
}

/** The email announcement's settings, baked into the EmailAnnouncement function. */
export interface AnnounceEmailSettings {
  to: string;
  from: string;
  provider?: "brevo" | "ses";
  brevoBaseUrl?: string;
}

/** A Standard execution lives at most a year. */
const MAX_WAIT_SECONDS = 31_536_000;
/** For the offline test stage and `sst remove`, which never call FetchOwner. */
export const PLACEHOLDER_OWNER_BASE_URL = "https://owner-files.invalid";

function ownerBaseUrl(stage: string, mode: AppMode, value: string | undefined): string {
  if (value === undefined || value.trim() === "") {
    if (stage === TEST_STAGE || mode === "remove") return PLACEHOLDER_OWNER_BASE_URL;
    return fail(
      `OWNER_BASE_URL must be set when deploying stage "${stage}": the https base URL of the owner files ` +
        "(FetchOwner reads {OWNER_BASE_URL}/{lead_id}.json), e.g. OWNER_BASE_URL=https://owners.example.com/leads pnpm exec sst deploy --stage " +
        stage,
    );
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return fail(`OWNER_BASE_URL is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "https:") return fail(`OWNER_BASE_URL must use https, got ${url.protocol}//`);
  return url.href.replace(/\/+$/, "");
}

function waitSeconds(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_WAIT_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
    return fail(
      `LEAD_WAIT_SECONDS must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}, got ${value}`,
    );
  }
  return seconds;
}

function notifyUnassigned(value: string | undefined): boolean {
  if (value === undefined || value.trim() === "") return true;
  const normalized = value.trim().toLowerCase();
  if (normalized === "true" || normalized === "1") return true;
  if (normalized === "false" || normalized === "0") return false;
  return fail(`NOTIFY_UNASSIGNED must be true or false, got ${value}`);
}

/** A plain address check: the email vendor has the last word, a typo should stop the deploy. */
const EMAIL_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

function announceEmail(
  stage: string,
  mode: AppMode,
  env: Record<string, string | undefined>,
): AnnounceEmailSettings | undefined {
  const to = env.ANNOUNCE_EMAIL_TO?.trim();
  if (!to) return undefined;
  if (!EMAIL_ADDRESS.test(to))
    return fail(`ANNOUNCE_EMAIL_TO must be one email address, got ${JSON.stringify(to)}`);
  let from = env.EMAIL_FROM?.trim();
  if (!from) {
    if (stage !== TEST_STAGE && mode !== "remove") {
      return fail(
        "ANNOUNCE_EMAIL_TO is set but EMAIL_FROM is not: the announcement email needs a sender address " +
          "verified with the email provider (Amazon SES or Brevo), e.g. EMAIL_FROM=leads@example.com",
      );
    }
    from = "leadrelay@example.invalid";
  }
  if (!EMAIL_ADDRESS.test(from))
    return fail(`EMAIL_FROM must be one email address, got ${JSON.stringify(from)}`);
  const provider = env.EMAIL_PROVIDER?.trim();
  if (provider && provider !== "brevo" && provider !== "ses") {
    return fail(`EMAIL_PROVIDER must be brevo or ses, got ${JSON.stringify(provider)}`);
  }
  const brevoBaseUrl = env.BREVO_BASE_URL?.trim();
  if (brevoBaseUrl && !/^https:\/\//.test(brevoBaseUrl)) {
    return fail(`BREVO_BASE_URL must be an https URL, got ${JSON.stringify(brevoBaseUrl)}`);
  }
  return {
    to,
    from,
    ...(provider ? { provider: provider as "brevo" | "ses" } : {}),
    ...(brevoBaseUrl ? { brevoBaseUrl } : {}),
  };
}

function fail(message: string): never {
  throw new DeploySettingsError(message);
}

/** SST's App.mode: `sst deploy`/`build`/`diff` are "deploy", `sst dev` is "dev". */
export type AppMode = "deploy" | "dev" | "remove";

export function readDeploySettings(
  stage: string,
  mode: AppMode,
  env: Record<string, string | undefined>,
): DeploySettings {
  return {
    ownerBaseUrl: ownerBaseUrl(stage, mode, env.OWNER_BASE_URL),
    waitSeconds: waitSeconds(env.LEAD_WAIT_SECONDS),
    notifyUnassigned: notifyUnassigned(env.NOTIFY_UNASSIGNED),
    announceEmail: announceEmail(stage, mode, env),
  };
}
