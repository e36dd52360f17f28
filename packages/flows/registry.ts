import type { HubSpotObjectType, HubSpotPropertyDefinition } from "../core/src/ports/hubspot";
import { type FlowSpec, flowSources, type SourceSpec } from "../functions/src/flow-spec";
import { announceFlow } from "./announce/src/flow";
import { dealStageFlow } from "./deal-stage/src/flow";
import { linkedinRepliesFlow } from "./linkedin-replies/src/flow";
import { metaLeadsFlow } from "./meta-leads/src/flow";
import { triageFlow } from "./triage/src/flow";

/**
 * Every flow of the product, in order. The stacks deploy the ones LEADRELAY_FLOWS names (AWS:
 * `announce` by default) and the local runtime runs them (all by default). Adding a flow is a
 * folder under packages/flows/ and one line here.
 */
export const FLOWS: readonly FlowSpec[] = [
  announceFlow,
  triageFlow,
  dealStageFlow,
  metaLeadsFlow,
  linkedinRepliesFlow,
];

export const FLOW_IDS = FLOWS.map((flow) => flow.id);

export class UnknownFlow extends Error {
  override readonly name = "UnknownFlow";
}

/** The flows `LEADRELAY_FLOWS` (a comma list of flow ids) chooses; `fallback` when it is unset. */
export function selectFlows(value: string | undefined, fallback: "all" | readonly string[]): FlowSpec[] {
  const wanted =
    value === undefined || value.trim() === ""
      ? fallback === "all"
        ? FLOW_IDS
        : fallback
      : value
          .split(",")
          .map((id) => id.trim())
          .filter(Boolean);
  const unknown = wanted.filter((id) => !FLOW_IDS.includes(id));
  if (unknown.length > 0) {
    throw new UnknownFlow(
      `LEADRELAY_FLOWS names unknown flow(s) ${unknown.join(", ")}; the flows are ${FLOW_IDS.join(", ")}`,
    );
  }
  return FLOWS.filter((flow) => wanted.includes(flow.id));
}

/**
 * The sources the chosen flows listen to, each with its subscribed flows, in registry order. A flow
 * whose sources are a setting (`sourceChoice`, e.g. TRIAGE_SOURCES) subscribes to the ones
 * `settings` names; without settings, to its default.
 */
export function sourcesOf(
  flows: readonly FlowSpec[],
  settings: Record<string, string | undefined> = {},
): Array<{ source: SourceSpec; flows: FlowSpec[] }> {
  const bySource = new Map<string, { source: SourceSpec; flows: FlowSpec[] }>();
  for (const flow of flows) {
    for (const source of flowSources(flow, settings)) {
      const entry = bySource.get(source.id) ?? { source, flows: [] };
      entry.flows.push(flow);
      bySource.set(source.id, entry);
    }
  }
  return [...bySource.values()];
}

/** The HubSpot properties the chosen flows write with these settings, each once (by object type and name). */
export function hubspotPropertiesOf(
  flows: readonly FlowSpec[],
  settings: Record<string, string | undefined>,
): Array<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }> {
  const seen = new Map<string, { type: HubSpotObjectType; definition: HubSpotPropertyDefinition }>();
  for (const flow of flows) {
    for (const property of flow.hubspotProperties?.(settings) ?? []) {
      seen.set(`${property.type}/${property.definition.name}`, property);
    }
  }
  return [...seen.values()];
}
