import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ObjectStore } from "@leadrelay/core";
import type { ConsoleFlow } from "./console-flows";

/** A message the local Slack stand-in received (the local runtime's `SlackMessageEntry`, structurally). */
export interface ReceivedSlackMessage {
  at: string;
  message: { text?: string; blocks?: unknown[] };
}

/** One stand-in of the local runtime and what it recorded (its `RecordedRequest`s, read defensively). */
export interface StandInRecord {
  slug: string;
  title: string;
  requests: readonly unknown[];
}

/**
 * What the console needs, structurally: the local runtime passes its own clients and store,
 * `pnpm console` passes AWS clients built from the operator's credentials. The console never
 * imports @leadrelay/local (that package depends on this one).
 */
export interface ConsoleDeps {
  sfn: SFNClient;
  s3: S3Client;
  /** Reads of the stage's bucket; built from `s3` and `bucket` when absent. */
  store?: ObjectStore;
  /** Every flow's state machine, in the registry's order. */
  flows?: readonly ConsoleFlow[];
  /** The announce state machine: what the console was given before there were flows (used when `flows` is absent). */
  stateMachineArn?: string;
  bucket: string;
  /** Local only: what the Slack stand-in received. */
  slackMessages?: () => ReceivedSlackMessage[];
  /** Local only: every stand-in and what it received. */
  standIns?: () => readonly StandInRecord[];
  mode: "local" | "aws";
  /** AWS region of the state machines (for console links); read from an ARN when absent. */
  region?: string;
  /** Shown in the page header: where the console looks ("local runtime", "AWS stage prod (us-east-1)"). */
  label?: string;
  /** Seconds between the page's refreshes; 3 locally, 10 against AWS by default. */
  pollSeconds?: number;
  clock?: () => number;
}
