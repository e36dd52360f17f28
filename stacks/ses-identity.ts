import { aws_iam as iam, Stack } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DeploySettingsError } from "../packages/functions/src/flow-spec";

/**
 * The SES identities that may authorize a send from `from` (EMAIL_FROM): the address itself and its
 * domain. SES checks the policy against the identity it sends under, the address when it is verified
 * on its own, else its domain ("Identity and access management in Amazon SES", sending authorization),
 * and which of the two is verified can change after the deploy, so both are granted, nothing else.
 */
export function sesIdentities(from: string): { address: string; domain: string } {
  const at = from.lastIndexOf("@");
  const domain = from.slice(at + 1).toLowerCase();
  if (at < 1 || !domain.includes(".")) {
    throw new DeploySettingsError(`EMAIL_FROM must be one email address, got ${JSON.stringify(from)}`);
  }
  return { address: from, domain };
}

/** `ses:SendEmail` on the sender's address and domain identities, in the stage's region and account. */
export function sesSendGrant(scope: Construct, from: string): iam.PolicyStatement {
  const stack = Stack.of(scope);
  const { address, domain } = sesIdentities(from);
  return new iam.PolicyStatement({
    actions: ["ses:SendEmail"],
    resources: [address, domain].map((identity) =>
      stack.formatArn({ service: "ses", resource: "identity", resourceName: identity }),
    ),
  });
}
