import type { OwnerRecord } from "./owner-record";
import type { SlackMessage } from "./slack-message";

/** Object storage as the pipeline uses it (S3 in AWS, the embedded S3 locally). */
export interface ObjectStore {
  /** Conditional create (If-None-Match: *): "exists" when the key is already there. */
  putIfAbsent(key: string, body: string | Uint8Array, contentType?: string): Promise<"created" | "exists">;
  put(key: string, body: string | Uint8Array, contentType?: string): Promise<void>;
  /** `undefined` when the key does not exist. */
  get(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
}

export type StartResult =
  | { status: "started"; executionArn: string }
  | { status: "duplicate"; executionArn?: string };

/** Starts one execution per lead (Step Functions in AWS, the local facade otherwise). */
export interface ExecutionStarter {
  start(name: string, input: Record<string, unknown>): Promise<StartResult>;
}

/** Where owners are looked up. Throws OwnerNotAssigned / OwnerLookupUnavailable / OwnerRecordInvalid. */
export interface OwnerDirectory {
  lookup(leadId: string): Promise<OwnerRecord>;
}

/** An incoming webhook. Throws SlackRateLimited / SlackUnavailable / SlackRejected. */
export interface SlackPoster {
  post(message: SlackMessage): Promise<void>;
}

export type Clock = () => number;
