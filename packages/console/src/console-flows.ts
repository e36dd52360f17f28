import type { SFNClient } from "@aws-sdk/client-sfn";

/** The flow whose executions are leads with an owner, a funnel and a Slack message (the first flow). */
export const ANNOUNCE = "announce";

/** A flow as the console knows it: one state machine. */
export interface ConsoleFlow {
  id: string;
  title: string;
  stateMachineArn: string;
  /** The source (webhook) that starts it, when known: where its rejected deliveries are kept. */
  source?: string;
}

/** A flow and the client that reaches its state machine: what every Step Functions call needs. */
export interface FlowTarget extends ConsoleFlow {
  sfn: SFNClient;
}

export class NoFlows extends Error {
  override readonly name = "NoFlows";
}

export class UnknownFlow extends Error {
  override readonly name = "UnknownFlow";
}

/**
 * The flows of a console: `flows` when given, else the one `stateMachineArn` (announce), as the
 * console was configured before there were flows.
 */
export function consoleFlows(deps: {
  flows?: readonly ConsoleFlow[];
  stateMachineArn?: string;
}): ConsoleFlow[] {
  const flows: ConsoleFlow[] = (deps.flows ?? []).map(({ id, title, stateMachineArn, source }) => ({
    id,
    title,
    stateMachineArn,
    ...(source ? { source } : {}),
  }));
  if (flows.length === 0 && deps.stateMachineArn) {
    flows.push({ id: ANNOUNCE, title: "Announce new leads in Slack", stateMachineArn: deps.stateMachineArn });
  }
  if (flows.length === 0) throw new NoFlows("the console needs at least one flow's state machine ARN");
  return flows;
}

/** The flows one id chooses (all when undefined); an id that is not a flow of this console throws. */
export function chooseFlows<T extends { id: string }>(flows: readonly T[], id: string | undefined): T[] {
  if (id === undefined || id === "") return [...flows];
  const flow = flows.find((candidate) => candidate.id === id);
  if (!flow) {
    throw new UnknownFlow(`no flow ${id} here; the flows are ${flows.map((item) => item.id).join(", ")}`);
  }
  return [flow];
}
