import { aws_iam as iam, type aws_s3 as s3 } from "aws-cdk-lib";
import { enrichedKey, notifiedKey, rawEventKey } from "../packages/core/src/lead-id";

/** The key layout of ARCHITECTURE.md, built by the same functions the handlers use, with `*` for the lead id. */
export const KEY_PATTERNS = {
  raw: rawEventKey("*"),
  enriched: enrichedKey("*"),
  /** `notified/*.json` also covers the `.unassigned.json` marker (a test checks it). */
  notified: notifiedKey("*"),
} as const;

export type ObjectAction = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject";

/** Object actions on one key pattern of the bucket, nothing else. */
export function objectAccess(
  bucket: s3.IBucket,
  actions: ObjectAction[],
  keyPattern: string,
): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects(keyPattern)] });
}

/**
 * Without s3:ListBucket on the bucket, S3 answers 403 AccessDenied instead of 404 NoSuchKey for a
 * key that does not exist (GetObject API reference, "Permissions"). The handlers rely on the 404:
 * RawEventMissing for FetchRaw/MergeAndStore, "no marker yet" for NotifySlack, which otherwise
 * could never post. It reveals key names (lead ids) of this bucket, never contents.
 */
export function existenceChecks(bucket: s3.IBucket): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [bucket.bucketArn] });
}
