import { valueAt } from "@leadrelay/functions/flow-outcome";
import type { FlowView } from "@leadrelay/functions/flow-spec";

const text = (value: unknown) =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;

/** What each action reports, as a person says it. */
const REPORTED: Record<string, string> = {
  "lead-event": "Lead reported to Meta",
  "purchase-event": "Purchase reported to Meta",
  "property-email": "property emailed",
};

/**
 * deal-stage as a person reads it: one page per deal (`deal-{dealId}`: its Qualified and Committed
 * executions side by side), titled by the customer and the deal, its outcome the stage and what was
 * reported.
 */
export const dealStageView: FlowView = {
  keyNoun: "deal",
  // deal-{dealId}-{status}: the status is the last part (lower case, no dash).
  pageKeyOf: (executionKey) => executionKey.replace(/-[^-]+$/, ""),
  executionKeysOf: (pageKey) => [`${pageKey}-qualified`, `${pageKey}-committed`],
  title: () => undefined,
  titleObjects: ({ input }) => {
    const rawKey = text(valueAt(input, "$.rawKey"));
    return rawKey ? [rawKey] : [];
  },
  titleFromObject: (body) => {
    let data: unknown;
    try {
      data = (JSON.parse(body) as { data?: unknown }).data;
    } catch {
      return undefined;
    }
    const person = [text(valueAt(data, "$.customer.firstName")), text(valueAt(data, "$.customer.lastName"))]
      .filter(Boolean)
      .join(" ");
    const deal = text(valueAt(data, "$.dealDetails.dealName"));
    return [person, deal].filter(Boolean).join(" — ") || undefined;
  },
  outcome: ({ input }, actions) => {
    const status = text(valueAt(input, "$.status"));
    if (!status) return undefined;
    const stage = `${status.charAt(0).toUpperCase()}${status.slice(1)}`;
    if (actions.length === 0) return `${stage}: no action for this stage`;
    const done = actions.filter((action) => action.status === "done").map((action) => REPORTED[action.id]);
    return `${stage} → ${done.length > 0 ? done.join(" + ") : "nothing reported"}`;
  },
};
