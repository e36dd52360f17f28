import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ObjectStore } from "@leadrelay/core";

export const STATE_MACHINE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:leadrelay-test";
export const TRIAGE_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:leadrelay-test-triage";
export const HOLD_SECONDS = 600;

export interface FakeExecution {
  /** Announce's (STATE_MACHINE_ARN) when absent. */
  stateMachineArn?: string;
  name: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";
  startDate: number;
  stopDate?: number;
  error?: string;
  cause?: string;
  redriveCount?: number;
  input?: string;
  events: Array<{ type: string; timestamp: number; [details: string]: unknown }>;
}

export const executionArn = (name: string, stateMachineArn = STATE_MACHINE_ARN) =>
  `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;

const arnOf = (execution: FakeExecution) => executionArn(execution.name, execution.stateMachineArn);

/**
 * Step Functions as the console calls it (the command's class name and input), with paging by
 * offset tokens; counts every call so tests can assert what was (not) asked again.
 */
export class FakeStepFunctions {
  readonly executions: FakeExecution[] = [];
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];

  count(operation: string): number {
    return this.calls.filter((call) => call.operation === operation).length;
  }

  private byArn(arn: unknown): FakeExecution {
    const found = this.executions.find((execution) => arnOf(execution) === arn);
    if (!found)
      throw Object.assign(new Error(`Execution does not exist: ${String(arn)}`), {
        name: "ExecutionDoesNotExist",
      });
    return found;
  }

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const operation = command.constructor.name.replace(/Command$/, "");
    const input = command.input;
    this.calls.push({ operation, input });
    const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
    switch (operation) {
      case "ListExecutions": {
        const all = this.executions
          .filter((execution) => (execution.stateMachineArn ?? STATE_MACHINE_ARN) === input.stateMachineArn)
          .filter((execution) => !input.statusFilter || execution.status === input.statusFilter)
          .sort((a, b) => b.startDate - a.startDate);
        const from = input.nextToken ? Number(input.nextToken) : 0;
        const max = Number(input.maxResults ?? 100);
        const page = all.slice(from, from + max);
        return {
          executions: page.map((execution) => ({
            name: execution.name,
            executionArn: arnOf(execution),
            status: execution.status,
            startDate: date(execution.startDate),
            stopDate: date(execution.stopDate),
            redriveCount: execution.redriveCount ?? 0,
          })),
          nextToken: from + max < all.length ? String(from + max) : undefined,
        };
      }
      case "DescribeExecution": {
        const execution = this.byArn(input.executionArn);
        return {
          executionArn: arnOf(execution),
          name: execution.name,
          status: execution.status,
          startDate: date(execution.startDate),
          stopDate: date(execution.stopDate),
          error: execution.error,
          cause: execution.cause,
          input: execution.input ?? "{}",
          redriveCount: execution.redriveCount ?? 0,
          redriveStatus: execution.status === "FAILED" ? "REDRIVABLE" : "NOT_REDRIVABLE",
        };
      }
      case "GetExecutionHistory": {
        const execution = this.byArn(input.executionArn);
        const events = execution.events.map((event, index) => ({
          ...event,
          id: index + 1,
          timestamp: date(event.timestamp),
        }));
        if (input.reverseOrder) events.reverse();
        return { events: events.slice(0, Number(input.maxResults ?? 1000)) };
      }
      case "DescribeStateMachine":
        return {
          stateMachineArn: input.stateMachineArn,
          definition: JSON.stringify({
            StartAt: "HoldForOwner",
            States: { HoldForOwner: { Type: "Wait", Seconds: HOLD_SECONDS, Next: "FetchRaw" } },
          }),
        };
      case "RedriveExecution": {
        const execution = this.byArn(input.executionArn);
        execution.status = "RUNNING";
        execution.redriveCount = (execution.redriveCount ?? 0) + 1;
        return { redriveDate: new Date() };
      }
      case "StartExecution": {
        const stateMachineArn = String(input.stateMachineArn);
        const name = String(input.name);
        if (this.executions.some((execution) => arnOf(execution) === executionArn(name, stateMachineArn)))
          throw Object.assign(new Error(`Execution Already Exists: ${name}`), {
            name: "ExecutionAlreadyExists",
          });
        this.executions.push({
          stateMachineArn,
          name,
          status: "RUNNING",
          startDate: Date.now(),
          input: String(input.input),
          events: [],
        });
        return { executionArn: executionArn(name, stateMachineArn), startDate: new Date() };
      }
      default:
        throw new Error(`fake Step Functions has no ${operation}`);
    }
  }

  asClient(): SFNClient {
    return this as unknown as SFNClient;
  }
}

export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  gets = 0;
  async putIfAbsent(key: string, body: string | Uint8Array): Promise<"created" | "exists"> {
    if (this.objects.has(key)) return "exists";
    this.objects.set(key, String(body));
    return "created";
  }
  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.objects.set(key, String(body));
  }
  async get(key: string): Promise<string | undefined> {
    this.gets++;
    return this.objects.get(key);
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

/** A raw webhook body for `leadId` named `name`. */
export function rawWebhook(leadId: string, name: string): string {
  return JSON.stringify({
    subscription_id: "whsub_test",
    event: {
      id: `ev_${leadId}`,
      object_type: "lead",
      action: "created",
      lead_id: leadId,
      data: {
        id: leadId,
        display_name: name,
        status_label: "Potential",
        date_created: "2026-11-20T14:03:11.198000+00:00",
      },
    },
  });
}
