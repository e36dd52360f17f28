import { DescribeStateMachineCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { HoldOf } from "./row-status";

/** Wait state name → hold in ms, for the Waits with a fixed `Seconds`. */
export function holdsOfDefinition(definitionText: string | undefined): Map<string, number> {
  const holds = new Map<string, number>();
  if (!definitionText) return holds;
  try {
    const definition = JSON.parse(definitionText) as {
      States?: Record<string, { Type?: string; Seconds?: unknown }>;
    };
    for (const [name, state] of Object.entries(definition.States ?? {})) {
      if (state.Type === "Wait" && typeof state.Seconds === "number") holds.set(name, state.Seconds * 1000);
    }
  } catch {
    // An unreadable definition only costs the countdown.
  }
  return holds;
}

/**
 * The hold of each Wait state, read once from DescribeStateMachine (AWS and the local facade
 * both return the definition). A failed read is retried on the next call instead of cached.
 */
export function createHoldReader(sfn: SFNClient, stateMachineArn: string): () => Promise<HoldOf> {
  let pending: Promise<Map<string, number>> | undefined;
  return async () => {
    pending ??= sfn
      .send(new DescribeStateMachineCommand({ stateMachineArn }))
      .then((out) => holdsOfDefinition(out.definition))
      .catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
    const holds = await pending.catch(() => new Map<string, number>());
    return (state) => holds.get(state);
  };
}
