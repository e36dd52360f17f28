/**
 * `pnpm exec tsx bench/sdk-path.ts [calls]`: how fast the handlers' AWS SDK path alone goes — what an
 * ingest does after its HMAC check (S3 PutObject with If-None-Match: * + StartExecution), with the
 * real SDK clients, against the embedded runtime in this same process — over each transport:
 * `in-process` (the request handler the runtime gives the handlers) and `loopback` (HTTP on
 * 127.0.0.1, what the CLI and console use). ABBA order, 16 calls in flight; CPU ms per call from
 * process.cpuUsage() (client and server are both in this process, so it is the whole cost).
 */
import { loadavg } from "node:os";
import {
  createS3Client,
  createS3Store,
  createSfnClient,
  createSfnStarter,
} from "../packages/functions/src/index";
import { type AwsTransport, startRuntime } from "../packages/local/src/runtime";
import { removeDir, tempDir } from "./lib";

export interface SdkPathResult {
  transport: AwsTransport;
  calls: number;
  perSecond: number;
  cpuMsPerCall: number;
}

export async function benchSdkPath(calls: number): Promise<SdkPathResult[]> {
  const dataDir = tempDir("sdk-path");
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    flows: "announce",
    waitSeconds: 3600,
    print: () => {},
  });
  try {
    const clients = (transport: AwsTransport) => {
      const s3 = createS3Client(runtime.aws("s3", transport));
      const sfn = createSfnClient(runtime.aws("sfn", transport));
      return {
        s3,
        sfn,
        store: createS3Store(s3, runtime.bucket),
        starter: createSfnStarter(sfn, runtime.stateMachineArn),
      };
    };
    const sides = { "in-process": clients("in-process"), loopback: clients("loopback") };
    let serial = 0;
    const segment = async (transport: AwsTransport, count: number) => {
      const { store, starter } = sides[transport];
      let next = 0;
      const worker = async () => {
        while (next++ < count) {
          const name = `lead_SdkPath${transport === "loopback" ? "L" : "P"}${String(serial++).padStart(7, "0")}`;
          await store.putIfAbsent(
            `raw/${name}.json`,
            Buffer.from(JSON.stringify({ lead_id: name, data: "x".repeat(1500) })),
          );
          await starter.start(name, { leadId: name });
        }
      };
      const cpu = process.cpuUsage();
      const started = performance.now();
      await Promise.all(Array.from({ length: 16 }, worker));
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { elapsed, cpuMs: (used.user + used.system) / 1000 };
    };
    // Warm-up (JIT, sockets), not recorded.
    await segment("loopback", 200);
    await segment("in-process", 200);
    const totals = {
      "in-process": { elapsed: 0, cpuMs: 0, calls: 0 },
      loopback: { elapsed: 0, cpuMs: 0, calls: 0 },
    };
    const order: AwsTransport[] = ["in-process", "loopback", "loopback", "in-process"];
    const per = Math.ceil(calls / 2);
    for (const transport of order) {
      const { elapsed, cpuMs } = await segment(transport, per);
      totals[transport].elapsed += elapsed;
      totals[transport].cpuMs += cpuMs;
      totals[transport].calls += per;
    }
    for (const side of Object.values(sides)) {
      side.s3.destroy();
      side.sfn.destroy();
    }
    return (Object.keys(totals) as AwsTransport[]).map((transport) => {
      const total = totals[transport];
      return {
        transport,
        calls: total.calls,
        perSecond: Math.round((total.calls / total.elapsed) * 1000),
        cpuMsPerCall: Math.round((total.cpuMs / total.calls) * 100) / 100,
      };
    });
  } finally {
    await runtime.stop();
    removeDir(dataDir);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchSdkPath(Number(process.argv[2] ?? 2000));
  process.stdout.write(
    `load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(" ")}\n`,
  );
  for (const result of results) {
    process.stdout.write(
      `${result.transport.padEnd(10)} ${result.calls} PutObject + StartExecution: ${result.perSecond}/s, ${result.cpuMsPerCall} CPU ms each\n`,
    );
  }
}
