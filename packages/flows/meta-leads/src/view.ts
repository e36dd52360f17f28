import { valueAt } from "@leadrelay/functions/flow-outcome";
import type { FlowView } from "@leadrelay/functions/flow-spec";

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/** meta-leads as a person reads it: who filled in the form, and the category the lead was published as. */
export const metaLeadsView: FlowView = {
  keyNoun: "Meta lead",
  title: ({ state }) =>
    text(valueAt(state, "$.fetched.lead.fullName")) ?? text(valueAt(state, "$.fetched.lead.email")),
  outcome: ({ state }, actions) => {
    const category = text(valueAt(state, "$.categorized.category"));
    if (!category) return undefined;
    const published = actions.find((action) => action.id === "publish")?.status === "done";
    return `${category.replaceAll("_", " ")}${published ? ` → published as meta-lead.${category}` : ""}`;
  },
};
