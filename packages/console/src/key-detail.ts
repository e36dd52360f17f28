import type { DescribeExecutionCommandOutput } from "@aws-sdk/client-sfn";
import { businessKeyOfExecutionName, isValidLeadId, type ObjectStore } from "@leadrelay/core";
import type { ReceivedSlackMessage } from "./console-deps";
import { ANNOUNCE, type FlowTarget } from "./console-flows";
import type { ExecutionDetail, ExecutionDetails } from "./execution-detail";
import { executionKeysOf, pageKeyOf } from "./execution-story";
import { type LeadExtras, loadLeadExtras } from "./lead-detail";
import { findExecution } from "./lead-operations";
import type { ReplayFinder } from "./replay-finder";

export interface FlowExecutions {
  id: string;
  title: string;
  /** The original first, then its replays in the order they started. */
  executions: ExecutionDetail[];
  /** False when the search for replays stopped at its limit (older replays may exist). */
  replaysComplete: boolean;
}

/** A business key's page: every flow's executions of that key, side by side. */
export interface KeyDetail {
  key: string;
  /** The name the page was opened with (the key, or one execution's name). */
  requested: string;
  /** The execution the page was opened for. */
  primary?: { flow: string; name: string };
  /** Flows that have at least one execution of the key. */
  flows: FlowExecutions[];
  /** Flows that have none. */
  without: Array<{ id: string; title: string }>;
  /** For a Close lead id: the lead's facts, stored records and Slack message (announce's). */
  lead?: LeadExtras;
}

export interface KeyDetailDeps {
  flows: readonly FlowTarget[];
  /** The stage's bucket, for a lead's records (the CLI reads none). */
  store?: ObjectStore;
  details: ExecutionDetails;
  replays: ReplayFinder;
  slackMessages?: () => ReceivedSlackMessage[];
}

/**
 * The execution keys a page may hold in one flow: the key asked for, the keys the flow files under
 * it (a deal's stages), and its siblings when the key is itself one execution's (a deal's other stage).
 */
function candidateKeys(flowId: string, key: string): string[] {
  return [
    ...new Set([key, ...executionKeysOf(flowId, key), ...executionKeysOf(flowId, pageKeyOf(flowId, key))]),
  ];
}

async function flowExecutions(
  deps: KeyDetailDeps,
  flow: FlowTarget,
  key: string,
  requested: string,
): Promise<FlowExecutions> {
  const perKey = await Promise.all(
    candidateKeys(flow.id, key).map(async (executionKey) => {
      const original = await findExecution(flow, executionKey);
      const found = original
        ? await deps.replays.find(flow, executionKey, original.startDate?.getTime() ?? 0)
        : { names: [], complete: true };
      return { original, found };
    }),
  );
  const names = [
    ...new Set([...perKey.flatMap(({ found }) => found.names), ...(requested !== key ? [requested] : [])]),
  ];
  const replays = await Promise.all(names.map((name) => findExecution(flow, name)));
  const described = [...perKey.map(({ original }) => original), ...replays].filter(
    (item): item is DescribeExecutionCommandOutput => item !== undefined,
  );
  described.sort((a, b) => (a.startDate?.getTime() ?? 0) - (b.startDate?.getTime() ?? 0));
  return {
    id: flow.id,
    title: flow.title,
    executions: await Promise.all(described.map((execution) => deps.details.load(flow, execution))),
    replaysComplete: perKey.every(({ found }) => found.complete),
  };
}

/**
 * Every flow's executions of the key of `name` (a key or an execution name): the original (named
 * after the key) and its replays, each with its whole timeline; for a lead id, the lead's records.
 * Undefined when no flow has any.
 */
export async function loadKeyDetail(
  deps: KeyDetailDeps,
  name: string,
  preferredFlow?: string,
): Promise<KeyDetail | undefined> {
  const key = businessKeyOfExecutionName(name);
  const all = await Promise.all(deps.flows.map((flow) => flowExecutions(deps, flow, key, name)));
  const flows = all.filter((flow) => flow.executions.length > 0);
  if (flows.length === 0) return undefined;
  const has = (flow: FlowExecutions) => flow.executions.some((execution) => execution.name === name);
  const primaryFlow =
    flows.find((flow) => flow.id === preferredFlow && has(flow)) ??
    flows.find((flow) => flow.id === ANNOUNCE && has(flow)) ??
    flows.find(has) ??
    flows[0];
  const primaryExecution =
    primaryFlow?.executions.find((execution) => execution.name === name) ?? primaryFlow?.executions[0];
  const first = primaryExecution ?? flows[0]?.executions[0];
  return {
    // The business key: a deal's page is `deal-{dealId}`, whichever stage it was opened from.
    key: first ? first.pageKey : key,
    requested: name,
    primary:
      primaryFlow && primaryExecution ? { flow: primaryFlow.id, name: primaryExecution.name } : undefined,
    flows,
    without: all.filter((flow) => flow.executions.length === 0).map(({ id, title }) => ({ id, title })),
    lead:
      deps.store && isValidLeadId(key)
        ? await loadLeadExtras(deps.store, key, deps.slackMessages)
        : undefined,
  };
}
