import {
  businessKeyOfExecutionName,
  enrichedKey,
  leadNameOfStoredRecord,
  rawEventKey,
} from "@leadrelay/core";
import { valueAt } from "@leadrelay/functions/flow-outcome";
import type { FlowView } from "@leadrelay/functions/flow-spec";

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/**
 * announce as a person reads it: the lead's name (from the merged record, or the webhook while it
 * waits), and "posted" with the owner and funnel it was announced with.
 */
export const announceView: FlowView = {
  keyNoun: "Close lead",
  title: ({ state }) => text(valueAt(state, "$.merged.name")) ?? text(valueAt(state, "$.lead.name")),
  titleObjects: ({ name }) => {
    const leadId = businessKeyOfExecutionName(name);
    return [enrichedKey(leadId), rawEventKey(leadId)];
  },
  titleFromObject: leadNameOfStoredRecord,
  outcome: ({ state }, actions) => {
    const slack = actions.find((action) => action.id === "slack");
    const owner = actions.find((action) => action.id === "owner");
    if (slack?.status === "done") {
      const who = [text(valueAt(state, "$.merged.owner")), text(valueAt(state, "$.merged.funnel"))];
      return ["posted", ...who.filter(Boolean)].join(" · ");
    }
    if (owner?.status === "failed") return "no owner assigned";
    return undefined;
  },
};
