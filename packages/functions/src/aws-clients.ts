import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { SFNClient, type SFNClientConfig } from "@aws-sdk/client-sfn";

/** Checksums only where S3 requires them: the local S3 cannot read aws-chunked streaming bodies. */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED", ...config });
}

export function createSfnClient(config: SFNClientConfig = {}): SFNClient {
  return new SFNClient(config);
}
