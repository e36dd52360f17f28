import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { buildTimeline, businessKeyOfExecutionName, type ObjectStore, type Timeline } from "@leadrelay/core";
import {
  describeExecution,
  type ExecutionFacts,
  type ExecutionStory,
} from "@leadrelay/functions/flow-outcome";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { FLOWS } from "../../flows/registry";

export type { ActionOutcome, ExecutionStory } from "@leadrelay/functions/flow-outcome";

/**
 * The one place the console and the CLI turn an execution into what a person reads: they pass what
 * Step Functions said, the flow's own declaration (packages/flows/<id>/src/view.ts and actions.ts)
 * does the reading. Nothing here knows a flow's fields.
 */

const byId = new Map(FLOWS.map((flow) => [flow.id, flow]));

export function flowSpecOf(flowId: string): FlowSpec | undefined {
  return byId.get(flowId);
}

/** The business key (one page) of an execution name in a flow: deal-stage's `deal-42-committed` → `deal-42`. */
export function pageKeyOf(flowId: string, name: string): string {
  const key = businessKeyOfExecutionName(name);
  return flowSpecOf(flowId)?.view.pageKeyOf?.(key) ?? key;
}

/** The execution keys of a business key in a flow (the key itself, or e.g. a deal's stages). */
export function executionKeysOf(flowId: string, pageKey: string): string[] {
  return flowSpecOf(flowId)?.view.executionKeysOf?.(pageKey) ?? [pageKey];
}

/** What a key of the flow is, for a person ("Close lead", "HubSpot contact", "deal"…), from an execution name. */
export function keyNounOf(flowId: string, name: string): string {
  const noun = flowSpecOf(flowId)?.view.keyNoun ?? "key";
  return typeof noun === "string" ? noun : noun(businessKeyOfExecutionName(name));
}

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * The execution's state document: its output when it succeeded, else the newest state input or
 * output in the history (a Fail state's input holds the caught error and everything before it).
 */
export function stateDocument(events: readonly HistoryEvent[], output?: string): unknown {
  if (output !== undefined) return parse(output);
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    const text = event?.stateEnteredEventDetails?.input ?? event?.stateExitedEventDetails?.output;
    if (text !== undefined) return parse(text);
  }
  return undefined;
}

export function executionFacts(
  execution: { name: string; status: string; input?: string; output?: string },
  events: readonly HistoryEvent[],
  timeline: Timeline = buildTimeline(events),
): ExecutionFacts {
  return {
    name: execution.name,
    status: execution.status,
    input: parse(execution.input),
    state: stateDocument(events, execution.status === "SUCCEEDED" ? execution.output : undefined),
    steps: timeline.steps.map((step) => {
      const last = step.attempts.at(-1);
      return {
        state: step.state,
        status: step.status,
        ...(last?.error ? { error: last.error } : {}),
        ...(last?.cause ? { cause: last.cause } : {}),
      };
    }),
  };
}

/** The story of one execution; the title read from a stored object when the execution does not name the person. */
export async function executionStory(
  flowId: string,
  facts: ExecutionFacts,
  store?: ObjectStore,
): Promise<ExecutionStory> {
  const flow = flowSpecOf(flowId);
  if (!flow) return { actions: [], skipped: 0, needsHuman: [] };
  const story = describeExecution(flow, facts);
  if (story.title || !store || !flow.view.titleObjects || !flow.view.titleFromObject) return story;
  for (const key of flow.view.titleObjects(facts)) {
    const body = await store.get(key).catch(() => undefined);
    const title = body === undefined ? undefined : flow.view.titleFromObject(body);
    if (title) return { ...story, title };
  }
  return story;
}
