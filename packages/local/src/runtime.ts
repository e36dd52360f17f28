import { mkdirSync } from "node:fs";
import { expiringPrefixes, retentionDays } from "@leadrelay/functions/retention";
import { FLOWS } from "../../flows/registry";
import type { LocalStepFunctions } from "./local-step-functions";
import { openLocalStorage } from "./local-storage";
import { startRetention } from "./retention";
import { watchFlows } from "./runtime/flow-watch";
import { chooseFlows, hostFlows, moveUnflowedExecutions } from "./runtime/flows";
import { runtimeInfo, writeRuntimeInfo } from "./runtime/info";
import { LOCAL_BUCKET, startLocalAws } from "./runtime/local-aws";
import { runtimeRoutes } from "./runtime/routes";
import { fillSourceSecrets } from "./runtime/secrets";
import { startServer } from "./runtime/server";
import { runtimeSettings } from "./runtime/settings";
import { mountSources } from "./runtime/sources";
import { startStandIns } from "./runtime/stand-ins";
import type { Runtime, RuntimeOptions } from "./runtime/types";
import { runtimeSettingsView } from "./runtime-settings";

export { LOCAL_BUCKET, LOCAL_CREDENTIALS, LOCAL_REGION } from "./runtime/local-aws";
export { DEMO_STAND_IN_DIR } from "./runtime/stand-ins";
export type {
  AwsTransport,
  ConsoleDeps,
  LocalFlowInfo,
  Runtime,
  RuntimeInfo,
  RuntimeOptions,
} from "./runtime/types";

/**
 * The embedded runtime: one loopback server; the local AWS (S3, Step Functions), every vendor's
 * stand-in, the sources' secrets, one engine per flow and what watches them, the sources' webhooks,
 * then the routes over all of it. Each part is a file of ./runtime/.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { dataDir, retryIntervalMs } = options;
  mkdirSync(dataDir, { recursive: true });
  moveUnflowedExecutions(dataDir);
  const settings = runtimeSettings(options);
  const flows = chooseFlows(settings);
  const keepDays = retentionDays(settings);
  const server = await startServer(options.port, print);
  const { url } = server;

  const storage = await openLocalStorage(dataDir, { env: settings, print }); // one journal: objects, executions
  const engines: Record<string, LocalStepFunctions> = {}; // filled by the flows, served by the local AWS
  const objects = storage.objects;
  const aws = await startLocalAws({ objects, url, engines, transport: settings.LEADRELAY_AWS_TRANSPORT });
  const { kit, store } = aws;
  const standIns = startStandIns({ settings, dataDir, url, store, print, flows });
  const generatedSecrets = fillSourceSecrets(flows, settings, dataDir);
  settings.BUCKET_NAME = LOCAL_BUCKET;
  // Failure and quota alerts go to the Slack stand-in unless told, never to the flows' own channel.
  const alertWebhookUrl = settings.ALERT_SLACK_WEBHOOK_URL ?? `${url}/_local/slack`;
  const flowOptions = { engines, settings, kit, dataDir, url, alertWebhookUrl, print };
  const hosted = await hostFlows(flows, { ...flowOptions, retryIntervalMs, executions: storage.executions });
  const { metrics, alerts, ...watch } = watchFlows(flows, flowOptions);
  const sources = await mountSources(flows, { ...flowOptions, onAnswer: metrics.webhook });

  const info = runtimeInfo({ ...aws, url, webhooks: sources.webhooks, flows: hosted.info });
  const deps = { sfn: aws.sfnClient, s3: aws.s3Client, store, flows: info.flows, bucket: LOCAL_BUCKET };
  const local = { mode: "local" as const, slackMessages: standIns.slackMessages, standIns: standIns.records };
  server.serve(
    runtimeRoutes({
      mounts: [sources.route, aws.route, standIns.route],
      metrics: metrics.handle,
      settingsView: () => runtimeSettingsView(settings, standIns.filled, flows),
      runningCount: hosted.runningCount,
      console: options.console?.({ ...deps, ...local }),
    }),
  );
  const resumed = hosted.resumeAll();
  const retention = startRetention(
    {
      objects,
      bucket: LOCAL_BUCKET,
      expiring: expiringPrefixes(FLOWS),
      engines: () => Object.values(engines),
      standIns: () => Object.values(standIns.bySlug),
    },
    { days: keepDays, print },
  );
  watch.alertMissedEnds();
  writeRuntimeInfo(dataDir, info);

  return {
    ...info,
    ...aws.handles,
    secretHex: settings.CLOSE_WEBHOOK_SECRET ?? "",
    engine: engines[info.flows[0]?.id ?? ""] as LocalStepFunctions,
    engines,
    get slackMessages() {
      return standIns.slackMessages();
    },
    standIns: standIns.bySlug,
    settings,
    generatedSecrets,
    metrics,
    alerts,
    resumed,
    async stop() {
      // Engines first: RUNNING executions stay RUNNING on disk instead of failing on a closed socket.
      for (const part of [retention, hosted, watch, server, standIns, aws, storage]) await part.close();
    },
  };
}
