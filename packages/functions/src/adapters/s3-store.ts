import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { type ObjectStore, StorageUnavailable } from "@leadrelay/core";
import type { AwsClientConfig } from "../aws-clients";
import { readConfig } from "../config";

/** Checksums only where S3 requires them: the local S3 would otherwise get aws-chunked streaming bodies. */
export function createS3Client(config: S3ClientConfig | AwsClientConfig = {}): S3Client {
  return new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED", ...(config as S3ClientConfig) });
}

/** The stage's bucket (`BUCKET_NAME`) through the kit's S3 client configuration. */
export function storeFromEnv(
  env: Record<string, string | undefined>,
  kit: { aws(service: "s3"): AwsClientConfig },
): ObjectStore {
  return createS3Store(createS3Client(kit.aws("s3")), readConfig(["BUCKET_NAME"], env).BUCKET_NAME);
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

/** 5xx, throttling and network failures are worth retrying; access or request errors are not. */
function classify(error: unknown, action: string): unknown {
  const status = statusOf(error);
  if (status === undefined || status >= 500 || status === 429 || status === 408 || status === 409) {
    return new StorageUnavailable(
      `${action}: ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`,
    );
  }
  return error;
}

export function createS3Store(s3: S3Client, bucket: string): ObjectStore {
  return {
    async putIfAbsent(key, body, contentType = "application/json") {
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: contentType,
            IfNoneMatch: "*",
          }),
        );
        return "created";
      } catch (error) {
        // 412: the object exists. 409 (ConditionalRequestConflict) is a concurrent conditional write
        // still in flight, which may yet fail: AWS says retry, so it is StorageUnavailable, not "exists".
        if (statusOf(error) === 412) return "exists";
        throw classify(error, `PutObject ${key}`);
      }
    },
    async put(key, body, contentType = "application/json") {
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
        );
      } catch (error) {
        throw classify(error, `PutObject ${key}`);
      }
    },
    async get(key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await response.Body?.transformToString("utf8")) ?? "";
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw classify(error, `GetObject ${key}`);
      }
    },
    async delete(key) {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw classify(error, `DeleteObject ${key}`);
      }
    },
  };
}
