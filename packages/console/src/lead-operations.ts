import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { businessKeyOfExecutionName, replayExecutionName } from "@leadrelay/core";

/**
 * The operations an operator runs on executions of any flow, as Step Functions API calls: the CLI
 * and the console use them unchanged against the local runtime and against AWS.
 */
export interface LeadTarget {
  sfn: SFNClient;
  stateMachineArn: string;
}

/** Execution ARN of a name: `arn:…:stateMachine:X` → `arn:…:execution:X:name`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
}

export async function listExecutions(
  target: LeadTarget,
  options: { status?: ExecutionStatus; maxResults?: number; nextToken?: string } = {},
): Promise<{ executions: ExecutionListItem[]; nextToken?: string }> {
  const out = await target.sfn.send(
    new ListExecutionsCommand({
      stateMachineArn: target.stateMachineArn,
      statusFilter: options.status,
      maxResults: options.maxResults ?? 50,
      nextToken: options.nextToken,
    }),
  );
  return { executions: out.executions ?? [], nextToken: out.nextToken };
}

/** The whole history, following nextToken. */
export async function executionHistory(target: LeadTarget, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export async function describeExecution(
  target: LeadTarget,
  name: string,
): Promise<DescribeExecutionCommandOutput> {
  return target.sfn.send(
    new DescribeExecutionCommand({ executionArn: executionArnOf(target.stateMachineArn, name) }),
  );
}

/** DescribeExecution, or undefined when the state machine has no execution of that name. */
export async function findExecution(
  target: LeadTarget,
  name: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await describeExecution(target, name);
  } catch (error) {
    if (error instanceof Error && error.name === "ExecutionDoesNotExist") return undefined;
    throw error;
  }
}

/** RedriveExecution: continue a failed execution from the step that failed. */
export async function redriveExecution(target: LeadTarget, name: string): Promise<Date | undefined> {
  const out = await target.sfn.send(
    new RedriveExecutionCommand({ executionArn: executionArnOf(target.stateMachineArn, name) }),
  );
  return out.redriveDate;
}

export class ReplayInputUnreadable extends Error {
  override readonly name = "ReplayInputUnreadable";
}

/** The execution's input as the object it started with; replays add to it. */
export function inputObjectOf(input: string | undefined): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(input ?? "") as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface Replay {
  name: string;
  executionArn?: string;
  replayOf: string;
}

/**
 * A new execution of the same business event, any flow: named `<key>-replay-<at>` and started with
 * the replayed execution's own input plus `replayOf` (the first run keeps its history). The flows'
 * markers keep side effects at most once, so a replay redoes only what did not happen.
 * `at` is the time in the name: now for one replay, the batch's time for a bulk replay, so that a
 * batch run twice asks for the same names and Step Functions refuses the second.
 */
export async function replayExecution(
  target: LeadTarget,
  name: string,
  options: { now?: number; at?: number; input?: string } = {},
): Promise<Replay> {
  const input = options.input ?? (await describeExecution(target, name)).input;
  const original = inputObjectOf(input);
  if (!original) throw new ReplayInputUnreadable(`the input of ${name} is not a JSON object`);
  const replayName = replayExecutionName(
    businessKeyOfExecutionName(name),
    options.at ?? options.now ?? Date.now(),
  );
  const out = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      name: replayName,
      input: JSON.stringify({ ...original, replayOf: name }),
    }),
  );
  return { name: replayName, executionArn: out.executionArn, replayOf: name };
}
