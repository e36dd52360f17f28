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
import { leadIdOfExecutionName, rawEventKey, replayExecutionName } from "@leadrelay/core";

/**
 * The operations an operator runs on leads, as Step Functions API calls: the CLI and the console
 * use them unchanged against the local runtime and against AWS.
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

/** RedriveExecution: continue a failed execution from the step that failed. */
export async function redriveLead(target: LeadTarget, name: string): Promise<Date | undefined> {
  const out = await target.sfn.send(
    new RedriveExecutionCommand({ executionArn: executionArnOf(target.stateMachineArn, name) }),
  );
  return out.redriveDate;
}

/** A new execution of the lead from its stored raw event (the first one keeps its history). */
export async function replayLead(target: LeadTarget, nameOrLeadId: string, now = Date.now()) {
  const leadId = leadIdOfExecutionName(nameOrLeadId);
  const name = replayExecutionName(leadId, now);
  const out = await target.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      name,
      input: JSON.stringify({
        leadId,
        rawKey: rawEventKey(leadId),
        receivedAt: new Date(now).toISOString(),
        replayOf: nameOrLeadId,
      }),
    }),
  );
  return { name, executionArn: out.executionArn };
}
