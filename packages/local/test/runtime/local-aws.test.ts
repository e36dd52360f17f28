import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { ListStateMachinesCommand, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { createS3Client, createSfnClient } from "@leadrelay/functions";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalStepFunctions } from "../../src/local-step-functions";
import { type LocalStorage, openLocalStorage } from "../../src/local-storage";
import { LOCAL_BUCKET, type LocalAws, startLocalAws } from "../../src/runtime/local-aws";
import { type RuntimeServer, startServer } from "../../src/runtime/server";
import { tempDir } from "../harness";

let server: RuntimeServer;
let aws: LocalAws;
let storage: LocalStorage;
afterEach(async () => {
  await server.close();
  await aws.close();
  await storage.close();
});

async function start(transport?: string) {
  const engines: Record<string, LocalStepFunctions> = {};
  server = await startServer(0, () => {});
  storage = await openLocalStorage(tempDir(), { print: () => {} });
  aws = await startLocalAws({ objects: storage.objects, url: server.url, engines, transport });
  server.serve(async (req, res) => {
    const handler = aws.route((req.url ?? "/").split("?")[0] ?? "/");
    if (handler) return handler(req, res);
    res.writeHead(404).end();
  });
  return engines;
}

describe("the local AWS: the embedded S3 and Step Functions", () => {
  it("gives the handlers in-process clients and the CLI loopback ones, over the same bucket", async () => {
    await start();
    await aws.s3Client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: "raw/a.json", Body: "{}" }));
    const loopback = createS3Client(aws.aws("s3", "loopback"));
    const read = await loopback.send(new GetObjectCommand({ Bucket: LOCAL_BUCKET, Key: "raw/a.json" }));
    expect(await read.Body?.transformToString()).toBe("{}");
    expect(await aws.store.get("raw/a.json")).toBe("{}");
    loopback.destroy();
    // In process, the request never reaches the server's routes: a handler object, not HTTP timeouts.
    expect(typeof (aws.aws("s3", "in-process").requestHandler as { handle?: unknown }).handle).toBe(
      "function",
    );
    expect(aws.s3Endpoint).toBe(`${server.url}/_aws/s3`);
  });

  it("uses the loopback for the handlers too when LEADRELAY_AWS_TRANSPORT=loopback", async () => {
    await start("loopback");
    expect(aws.aws("sfn", "in-process").requestHandler).toEqual(aws.aws("sfn", "loopback").requestHandler);
    await aws.s3Client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: "raw/b.json", Body: "[]" }));
    expect(await aws.store.get("raw/b.json")).toBe("[]");
  });

  it("answers for the engines the flows register after it started", async () => {
    const engines = await start();
    const sfn = createSfnClient(aws.aws("sfn", "loopback"));
    expect((await sfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    const arn = "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-local-x";
    engines.x = { stateMachineArn: arn } as LocalStepFunctions;
    const listed = await sfn.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((machine) => machine.stateMachineArn)).toEqual([arn]);
    await expect(
      aws.sfnClient.send(new StartExecutionCommand({ stateMachineArn: `${arn}-gone`, name: "n" })),
    ).rejects.toMatchObject({ name: "StateMachineDoesNotExist" });
    sfn.destroy();
  });

  it("fails both services' calls while a fault is on", async () => {
    await start();
    aws.faults.s3.down = true;
    await expect(
      aws.s3Client.send(new PutObjectCommand({ Bucket: LOCAL_BUCKET, Key: "k", Body: "x" })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 503 } });
    aws.faults.s3.down = false;
    aws.faults.sfn.down = true;
    await expect(aws.sfnClient.send(new ListStateMachinesCommand({}))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
  });

  it("routes only its own loopback paths", async () => {
    await start();
    expect(aws.route("/_aws/s3/leadrelay-local/k")).toBeDefined();
    expect(aws.route("/_aws/sfn")).toBeDefined();
    expect(aws.route("/_aws/sfn/")).toBeDefined();
    expect(aws.route("/_aws/sfnx")).toBeUndefined();
    expect(aws.route("/_aws/s3")).toBeUndefined();
    expect(aws.route("/webhook/close")).toBeUndefined();
  });
});
