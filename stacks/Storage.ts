import { Duration, aws_events as events, aws_s3 as s3 } from "aws-cdk-lib";
import type { StackContext } from "sst/constructs";
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
    ],
    removalPolicy: removalPolicyFor(app.stage),
    // A DESTROY bucket that still holds objects would make `sst remove` fail.
    autoDeleteObjects: !retain,
  });

  // The stage's own bus: flows publish business events (e.g. meta-lead.pending) for their subscribers.
  const eventBus = new events.EventBus(stack, "Events", { eventBusName: app.logicalPrefixedName("events") });

  return { bucket, eventBus };
}
