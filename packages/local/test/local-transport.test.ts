import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AwsTransport, Runtime } from "../src/runtime";
import { startTestRuntime } from "./harness";

/** What an SDK call ended with, the way a handler sees it: the result's shape or the error's name and status. */
async function outcome(call: () => Promise<unknown>) {
  try {
    await call();
    return "ok";
  } catch (error) {
    if (error instanceof S3ServiceException || error instanceof SFNServiceException)
      return `${error.name} ${error.$metadata.httpStatusCode}`;
    return `unexpected ${String(error)}`;
  }
}

describe("the handlers' AWS clients in process answer exactly as over loopback", () => {
  let runtime: Runtime;
  const clients: Record<AwsTransport, { s3: S3Client; sfn: SFNClient }> = {} as never;

  beforeAll(async () => {
    runtime = await startTestRuntime({ waitSeconds: 3600, flows: "announce" });
    for (const transport of ["in-process", "loopback"] as const) {
      clients[transport] = {
        // The checksum default of the SDK: streaming uploads are aws-chunked with a trailer.
        s3: new S3Client(runtime.aws("s3", transport) as never),
        sfn: new SFNClient(runtime.aws("sfn", transport) as never),
      };
    }
  });
  afterAll(async () => {
    for (const { s3, sfn } of Object.values(clients)) {
      s3.destroy();
      sfn.destroy();
    }
    await runtime?.stop();
  });

  it("the handlers' kit is in process: no socket to the runtime's own S3 and Step Functions", () => {
    expect(typeof (runtime.aws("s3", "in-process").requestHandler as { handle?: unknown }).handle).toBe(
      "function",
    );
    expect(runtime.aws("s3", "loopback").requestHandler).not.toHaveProperty("handle");
  });

  for (const transport of ["in-process", "loopback"] as const) {
    it(`${transport}: objects, conditional create, errors, listing and streaming uploads`, async () => {
      const { s3 } = clients[transport];
      const Bucket = runtime.bucket;
      const key = `transport/${transport}/a b+ü.json`;
      expect(await outcome(() => s3.send(new PutObjectCommand({ Bucket, Key: key, Body: '{"a":1}' })))).toBe(
        "ok",
      );
      expect(
        await outcome(() =>
          s3.send(new PutObjectCommand({ Bucket, Key: key, Body: "{}", IfNoneMatch: "*" })),
        ),
      ).toBe("PreconditionFailed 412");
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
      expect(await got.Body?.transformToString()).toBe('{"a":1}');
      expect(got.ContentType).toBe("application/json");
      expect((await s3.send(new HeadObjectCommand({ Bucket, Key: key }))).ContentLength).toBe(7);
      expect(await outcome(() => s3.send(new GetObjectCommand({ Bucket, Key: `${key}.missing` })))).toBe(
        "NoSuchKey 404",
      );
      expect(await outcome(() => s3.send(new GetObjectCommand({ Bucket: "nope", Key: key })))).toBe(
        "NoSuchBucket 404",
      );
      // A stream of unknown length goes aws-chunked, with a checksum trailer.
      const streamed = `transport/${transport}/streamed.txt`;
      const parts = ["first part, ", "second part, ", "x".repeat(70_000)];
      await s3.send(
        new PutObjectCommand({
          Bucket,
          Key: streamed,
          Body: Readable.from(parts.map((part) => Buffer.from(part))),
          ContentLength: parts.join("").length,
        }),
      );
      const back = await s3.send(new GetObjectCommand({ Bucket, Key: streamed }));
      expect(await back.Body?.transformToString()).toBe(parts.join(""));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `transport/${transport}/` }));
      expect(listed.Contents?.map((object) => object.Key)).toEqual([key, streamed]);
      await s3.send(new DeleteObjectCommand({ Bucket, Key: streamed }));
      expect(await outcome(() => s3.send(new HeadObjectCommand({ Bucket, Key: streamed })))).toBe(
        "NotFound 404",
      );
    });

    it(`${transport}: executions, their errors, and fault injection`, async () => {
      const { s3, sfn } = clients[transport];
      const stateMachineArn = runtime.stateMachineArn;
      const name = `lead_Transport${transport === "loopback" ? "Loop" : "InProc"}`;
      const input = JSON.stringify({ leadId: name, rawKey: "raw/none.json", receivedAt: "2026-12-07" });
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      expect(started.startDate).toBeInstanceOf(Date);
      expect(
        await outcome(() => sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: "{}" }))),
      ).toBe("ExecutionAlreadyExists 400");
      expect(
        await outcome(() => sfn.send(new StartExecutionCommand({ stateMachineArn, name: "bad name!" }))),
      ).toBe("InvalidName 400");
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(described.status).toBe("RUNNING");
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "RUNNING" }));
      expect(listed.executions?.map((execution) => execution.name)).toContain(name);

      runtime.faults.sfn.down = true;
      runtime.faults.s3.down = true;
      try {
        expect(
          await outcome(() => sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }))),
        ).toBe("ServiceUnavailable 503");
        expect(
          await outcome(() =>
            s3.send(new GetObjectCommand({ Bucket: runtime.bucket, Key: "raw/none.json" })),
          ),
        ).toBe("ServiceUnavailable 503");
      } finally {
        runtime.faults.sfn.down = false;
        runtime.faults.s3.down = false;
      }
    });
  }
});
