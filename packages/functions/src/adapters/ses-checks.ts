import { GetAccountCommand, GetEmailIdentityCommand, type SESv2Client } from "@aws-sdk/client-sesv2";
import { createSesClient } from "./ses-email";

/**
 * Whether Amazon SES in one region can send from one address, read-only (SES v2 `GetAccount` and
 * `GetEmailIdentity`, integrations.md §12). Used by the deploy as a warning and by `doctor`: it
 * never throws, every answer is a status and a sentence.
 *
 * - `ok`: the address or its domain is verified for sending, the account is out of the sandbox.
 * - `sandbox`: verified, but the account is in the SES sandbox: only verified recipients, 200 a day.
 * - `unverified`: neither the address nor its domain is a verified identity in this region.
 * - `paused`: the account's sending is disabled or shut down.
 * - `unknown`: SES could not be asked (no credentials, AccessDenied, network): nothing is known.
 */
export type SesSenderStatus = "ok" | "sandbox" | "unverified" | "paused" | "unknown";

export interface SesSenderCheck {
  status: SesSenderStatus;
  /** One sentence for a person: what SES answered and what to do. */
  reason: string;
  /** The verified identity the sends go out under (the address, else its domain), when there is one. */
  identity?: string;
}

export interface SesSenderCheckInput {
  region: string;
  /** The sender (EMAIL_FROM), `name@domain`. */
  from: string;
  /** An SES v2 client (tests pass one pointed at a loopback server); one for `region` otherwise. */
  client?: Pick<SESv2Client, "send">;
}

interface SdkError {
  name?: string;
  message?: string;
}

const describe = (error: unknown) => {
  const sdk = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  return `${sdk.name ?? "Error"}: ${(sdk.message ?? String(error)).replace(/\s+/g, " ").slice(0, 200)}`;
};

type IdentityState = { verified: true } | { verified: false; detail: string };

async function identityState(client: Pick<SESv2Client, "send">, identity: string): Promise<IdentityState> {
  try {
    const out = await client.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
    if (out.VerifiedForSendingStatus) return { verified: true };
    return { verified: false, detail: `${identity} is ${out.VerificationStatus ?? "not verified"}` };
  } catch (error) {
    if ((error as SdkError).name === "NotFoundException") {
      return { verified: false, detail: `${identity} is not an SES identity` };
    }
    throw error;
  }
}

export async function checkSesSender(input: SesSenderCheckInput): Promise<SesSenderCheck> {
  const at = input.from.lastIndexOf("@");
  const domain = input.from.slice(at + 1).toLowerCase();
  if (at < 1 || !domain) {
    return { status: "unverified", reason: `${JSON.stringify(input.from)} is not an email address` };
  }
  const where = `in ${input.region}`;
  try {
    const client = input.client ?? createSesClient({ region: input.region });
    const account = await client.send(new GetAccountCommand({}));
    if (account.SendingEnabled === false || account.EnforcementStatus === "SHUTDOWN") {
      return {
        status: "paused",
        reason: `SES sending is ${account.SendingEnabled === false ? "disabled" : "shut down"} for this account ${where} (enforcement status ${account.EnforcementStatus ?? "unknown"})`,
      };
    }
    const states: string[] = [];
    let identity: string | undefined;
    for (const candidate of [input.from, domain]) {
      const state = await identityState(client, candidate);
      if (state.verified) {
        identity = candidate;
        break;
      }
      states.push(state.detail);
    }
    if (!identity) {
      return {
        status: "unverified",
        reason: `SES ${where} cannot send from ${input.from}: ${states.join("; ")}. Verify the address or its domain in SES ${where}`,
      };
    }
    if (account.ProductionAccessEnabled === false) {
      return {
        status: "sandbox",
        identity,
        reason: `SES ${where} is in the sandbox: ${input.from} (identity ${identity}) can send only to verified recipients, 200 a day. Request production access`,
      };
    }
    return {
      status: "ok",
      identity,
      reason: `SES ${where} can send from ${input.from} (identity ${identity})`,
    };
  } catch (error) {
    return { status: "unknown", reason: `SES ${where} could not be checked: ${describe(error)}` };
  }
}
