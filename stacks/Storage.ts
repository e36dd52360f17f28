import { Duration, aws_events as events, aws_s3 as s3 } from "aws-cdk-lib";
import type { StackContext } from "sst/constructs";
import { FLOWS } from "../packages/flows/registry";
import { DEFAULT_RETENTION_DAYS, expiringPrefixes } from "../packages/functions/src/retention";
import { acceptBucketFindings } from "./nag";
import { removalPolicyFor, retainsData } from "./stage-policy";

/** One bucket per stage: raw webhooks, enriched records and Slack markers (see ARCHITECTURE.md). */
export function Storage({ app, stack }: StackContext) {
  const retain = retainsData(app.stage);
  const bucket = new s3.Bucket(stack, "Leads", {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    versioned: true,
    lifecycleRules: [
      // Markers are rewritten and deleted; old versions are only for recovering from mistakes.
      {
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      },
      // What one event left behind expires with Step Functions' history of it (90 days, longer than
      // any source's redelivery window); what a flow declares retained (retainedKeys) never does.
      // The local runtime applies the same (LEADRELAY_RETENTION_DAYS, packages/local retention.ts).
      ...expiringPrefixes(FLOWS).map((prefix) => ({
        id: `expire-${prefix.replace(/[^A-Za-z0-9]+/g, "-").replace(/-$/, "")}`,
        prefix,
        expiration: Duration.days(DEFAULT_RETENTION_DAYS),
      })),
    ],
    removalPolicy: removalPolicyFor(app.stage),
    // A DESTROY bucket that still holds objects would make `sst remove` fail.
    autoDeleteObjects: !retain,
  });

  acceptBucketFindings(bucket);

  // The stage's own bus: flows publish business events (e.g. meta-lead.pending) for their subscribers.
  const eventBus = new events.EventBus(stack, "Events", { eventBusName: app.logicalPrefixedName("events") });
  // Every event the bus receives, kept for replay (`aws events start-replay`): a subscriber added
  // later, or one that was down, can still get what was published before (#22 finding 8).
  const archive = eventBus.archive("EventsArchive", {
    description: `Every event of ${app.logicalPrefixedName("events")}, for replay`,
    eventPattern: { account: [stack.account] },
    retention: Duration.days(retain ? 365 : 30),
  });

  return { bucket, eventBus, archive };
}
