import {
  GetAccountCommand,
  type GetAccountCommandOutput,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  SESv2Client,
} from "@aws-sdk/client-sesv2";
import { type CheckResult, result } from "./vendor-check";

interface SdkError {
  name?: string;
  message?: string;
}

const nameOf = (error: unknown) => (error as SdkError)?.name ?? "Error";
const messageOf = (error: unknown) => ((error as SdkError)?.message ?? String(error)).slice(0, 200);

/**
 * Amazon SES in the stage's region, read-only: `GetAccount` (sandbox or production access, sending
 * enabled, enforcement) and `GetEmailIdentity` of the sender (EMAIL_FROM), then of its domain when
 * the address itself is not an identity. A sandboxed account sends to verified addresses only (a
 * warning); an unverified sender sends nothing.
 */
export async function checkSesSender(
  ses: SESv2Client,
  config: { from: string; region: string },
): Promise<CheckResult> {
  const variables = ["EMAIL_FROM", "LEADRELAY_REGION"];
  let account: GetAccountCommandOutput;
  try {
    account = await ses.send(new GetAccountCommand({}));
  } catch (error) {
    return result(
      "ses",
      "broken",
      `GetAccount in ${config.region} failed: ${nameOf(error)}: ${messageOf(error)}`,
      variables,
      nameOf(error) === "AccessDeniedException"
        ? "the credentials need ses:GetAccount and ses:GetEmailIdentity"
        : undefined,
    );
  }
  if (account.SendingEnabled === false || account.EnforcementStatus === "SHUTDOWN") {
    return result(
      "ses",
      "broken",
      `SES sending is off in ${config.region} (enforcement ${String(account.EnforcementStatus ?? "unknown")})`,
      variables,
      "see the SES console's account dashboard for why sending was paused",
    );
  }
  const address = config.from.replace(/^.*<([^>]+)>.*$/, "$1").trim();
  const domain = address.split("@")[1] ?? "";
  let identity: GetEmailIdentityCommandOutput | undefined;
  let checked = address;
  for (const name of [address, domain].filter(Boolean)) {
    try {
      identity = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: name }));
      checked = name;
      break;
    } catch (error) {
      if (nameOf(error) !== "NotFoundException") {
        return result(
          "ses",
          "broken",
          `GetEmailIdentity(${name}) in ${config.region} failed: ${nameOf(error)}: ${messageOf(error)}`,
          variables,
        );
      }
    }
  }
  if (!identity) {
    return result(
      "ses",
      "broken",
      `neither ${address} nor ${domain || "its domain"} is an SES identity in ${config.region}`,
      ["EMAIL_FROM"],
      `verify ${domain || address} in the SES console of ${config.region} (Identities → Create identity)`,
    );
  }
  if (identity.VerifiedForSendingStatus !== true) {
    return result(
      "ses",
      "broken",
      `${checked} is not verified for sending in ${config.region} (${String(identity.VerificationStatus ?? "unknown")})`,
      ["EMAIL_FROM"],
      `finish the verification of ${checked} (the email link, or the domain's DKIM records)`,
    );
  }
  if (account.ProductionAccessEnabled !== true) {
    return result(
      "ses",
      "warning",
      `${checked} verified; the account is in the SES sandbox in ${config.region}: it sends to verified addresses only`,
      variables,
      "request production access in the SES console (Account dashboard), a review of about a day",
    );
  }
  return result("ses", "ok", `${checked} verified, production access in ${config.region}`, variables);
}

/** One sender a deploy asks about (stacks/ses-warning.ts): the stage's region and EMAIL_FROM. */
export interface SesSenderCheckInput {
  region: string;
  from: string;
  client?: SESv2Client;
}

/** The deploy's reading of a sender: `ok`, or why the first email would fail (never thrown). */
export interface SesSenderCheck {
  status: string;
  reason: string;
}

/** `checkSesSender` with a client of the stage's region, as the deploy's warning reads it. */
export async function checkSesSenderIn(input: SesSenderCheckInput): Promise<SesSenderCheck> {
  const ses = input.client ?? new SESv2Client({ region: input.region });
  const checked = await checkSesSender(ses, { from: input.from, region: input.region });
  return {
    status: checked.status,
    reason: checked.fix ? `${checked.detail}; ${checked.fix}` : checked.detail,
  };
}
