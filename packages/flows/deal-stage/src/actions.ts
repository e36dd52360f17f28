import type { FlowAction } from "@leadrelay/functions/flow-spec";

const META = ["META_PIXEL_ID", "META_ACCESS_TOKEN"] as const;
const SES = { setting: "EMAIL_PROVIDER", value: "ses", vendor: "ses", requires: ["EMAIL_FROM"] } as const;

/** What deal-stage does: a Conversions API `Lead` (Qualified), a `Purchase` and the property email (Committed). */
export const DEAL_STAGE_ACTIONS: readonly FlowAction[] = [
  {
    id: "lead-event",
    title: "Report a Lead to Meta",
    vendor: "meta",
    requires: META,
    states: ["ReportLead"],
    result: "$.leadEvent",
  },
  {
    id: "purchase-event",
    title: "Report a Purchase to Meta",
    vendor: "meta",
    requires: META,
    states: ["SendPurchase"],
    result: "$.actions[0]",
  },
  {
    id: "property-email",
    title: "Email the buyer the property",
    vendor: "brevo",
    requires: ["EMAIL_FROM", "BREVO_API_KEY"],
    alternative: SES,
    states: ["SendPropertyEmail"],
    result: "$.actions[1]",
  },
];
