import { mkdirSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { FlowSpec, TaskKit } from "@leadrelay/functions";
import { selectFlows } from "../../../flows/registry";
import type { ExecutionStorage } from "../execution-store";
import { hostFlow } from "../flow-host";
import type { LocalStepFunctions } from "../local-step-functions";
import { TaskSlots } from "../task-slots";
import { startVendorGates } from "../vendor-gate";
import { LOCAL_REGION } from "./local-aws";
import { numberSetting } from "./settings";
import type { Env, LocalFlowInfo, Print } from "./types";

/**
 * Every flow's Tasks share these slots: a burst at LEAD_WAIT_SECONDS=0 cannot crowd out the
 * webhooks however many flows a lead starts.
 */
const TASK_SLOTS = 4;

export interface HostedFlows {
  /** Flow id → its engine, in the flows' order. */
  engines: Record<string, LocalStepFunctions>;
  info: LocalFlowInfo[];
  /** Resumes what was running when the runtime last stopped; how many executions. */
  resumeAll(): number;
  /** Running executions of every flow. */
  runningCount(): number;
  /** Engines first: RUNNING executions stay RUNNING on disk instead of failing on a closed socket. */
  close(): Promise<void>;
}

/** The flows LEADRELAY_FLOWS chooses (all when unset); none chosen (e.g. " , ") stops start-up. */
export function chooseFlows(settings: Env): FlowSpec[] {
  const flows = selectFlows(settings.LEADRELAY_FLOWS, "all");
  if (flows.length === 0) throw new Error("LEADRELAY_FLOWS chose no flow");
  return flows;
}

/** Executions written before there were flows lived in `executions/`: they are the first flow's, announce's. */
export function moveUnflowedExecutions(dataDir: string, into = "announce") {
  const dir = join(dataDir, "executions");
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith(".json"));
  } catch {
    return;
  }
  if (files.length === 0) return;
  mkdirSync(join(dir, into), { recursive: true });
  for (const file of files) renameSync(join(dir, file), join(dir, into, file));
}

/**
 * One local engine per flow (its ASL with the settings applied, its Tasks played by the handlers
 * the Lambdas run), into `engines`. Every flow shares the Task slots and one budget per vendor
 * (a Task waits for its budget before it takes a slot); a used-up quota is posted to `alertWebhookUrl`.
 */
export async function hostFlows(
  flows: readonly FlowSpec[],
  options: {
    engines: Record<string, LocalStepFunctions>;
    settings: Env;
    kit: TaskKit;
    /** Where each flow's execution records are kept (the data folder's journal). */
    executions: (flow: string) => ExecutionStorage;
    retryIntervalMs?: number;
    alertWebhookUrl: string;
    /** The runtime's URL: a skipped action's alert links to its console (no such alerts without it). */
    url?: string;
    print: Print;
  },
): Promise<HostedFlows> {
  const { engines, settings } = options;
  const slots = new TaskSlots(TASK_SLOTS);
  const vendorGates = startVendorGates(settings, {
    print: options.print,
    alertWebhookUrl: options.alertWebhookUrl,
  });
  for (const flow of flows) {
    engines[flow.id] = await hostFlow(flow, {
      settings,
      kit: options.kit,
      region: LOCAL_REGION,
      executions: options.executions(flow.id),
      retryIntervalMs: options.retryIntervalMs ?? numberSetting(settings.LEADRELAY_RETRY_INTERVAL_MS),
      slots,
      gates: vendorGates.gates,
      // LEADRELAY_ALERT_ON_SKIPPED=true: a skipping Task alerts where failures are alerted.
      ...(options.url
        ? { skippedAlerts: { slackWebhookUrl: options.alertWebhookUrl, consoleUrl: options.url } }
        : {}),
    });
  }
  const list = () => Object.values(engines);
  return {
    engines,
    info: flows.map((flow) => ({
      id: flow.id,
      title: flow.title,
      stateMachineArn: (engines[flow.id] as LocalStepFunctions).stateMachineArn,
      source: flow.source.id,
    })),
    resumeAll: () => list().reduce((sum, engine) => sum + engine.resumeAll().resumed, 0),
    runningCount: () => list().reduce((sum, engine) => sum + engine.runningCount(), 0),
    async close() {
      await Promise.all(list().map((engine) => engine.close()));
      vendorGates.stop();
    },
  };
}
