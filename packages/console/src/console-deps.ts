import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ObjectStore } from "@leadrelay/core";

/** A message the local Slack sink received (the local runtime's `SinkMessage`, structurally). */
export interface ReceivedSlackMessage {
  at: string;
  message: { text?: string; blocks?: unknown[] };
}

/**
 * What the console needs, structurally: the local runtime passes its own clients and store,
 * `pnpm console` passes AWS clients built from the operator's credentials. The console never
 * imports @leadrelay/local (that package depends on this one).
 */
export interface ConsoleDeps {
  sfn: SFNClient;
  s3: S3Client;
  /** Reads of the pipeline's bucket; built from `s3` and `bucket` when absent. */
  store?: ObjectStore;
  stateMachineArn: string;
  bucket: string;
  /** Local only: what the built-in Slack sink received. */
  slackMessages?: () => ReceivedSlackMessage[];
  mode: "local" | "aws";
  /** AWS region of the state machine (for console links); read from the ARN when absent. */
  region?: string;
  /** Shown in the page header: where the console looks ("local runtime", "AWS stage prod (us-east-1)"). */
  label?: string;
  /** Seconds between the page's refreshes; 3 locally, 10 against AWS by default. */
  pollSeconds?: number;
  clock?: () => number;
}
