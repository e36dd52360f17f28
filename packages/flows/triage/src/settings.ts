import * as z from "zod/mini";
import { TRIAGE_ACTIONS, type TriageAction } from "./domain/actions";

/** The triage flow's own settings (names are a contract); vendors' variables are in functions/config.ts. */
export const TriageSettings = {
  /** Where the lead's message is: `description` (default), another field, or a custom field `custom.cf_…`. */
  TRIAGE_MESSAGE_FIELD: z._default(
    z
      .string()
      .check(z.regex(/^(?:[a-z_]+|(?:custom\.)?cf_[A-Za-z0-9]+)$/, "must be a Close field or custom.cf_…")),
    "description",
  ),
  TRIAGE_ACTIONS: z.pipe(
    z._default(z.string(), TRIAGE_ACTIONS.join(",")),
    z.transform((value, context) => {
      const names = value
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean);
      const unknown = names.filter((name) => !(TRIAGE_ACTIONS as readonly string[]).includes(name));
      if (unknown.length > 0) {
        context.issues.push({
          code: "custom",
          input: value,
          message: `names unknown action(s) ${unknown.join(", ")}; the actions are ${TRIAGE_ACTIONS.join(", ")}`,
        });
        return z.NEVER;
      }
      return new Set(names as TriageAction[]);
    }),
  ),
  TRIAGE_CALENDAR_URL: z.optional(z.url({ error: "must be a URL" })),
  TRIAGE_CASE_STUDY_URLS: z.pipe(
    z._default(z.string(), ""),
    z.transform((value) =>
      value
        .split(",")
        .map((url) => url.trim())
        .filter((url) => /^https?:\/\/\S+$/.test(url)),
    ),
  ),
  /** The Close custom field that receives the label (`cf_…`, also accepted as `custom.cf_…`). */
  CLOSE_TRIAGE_FIELD_ID: z.optional(
    z.string().check(z.regex(/^(?:custom\.)?cf_[A-Za-z0-9]+$/, "must be a Close custom field id (cf_…)")),
  ),
  /** The HubSpot contact property that holds the lead's message (a form field's internal name). */
  HUBSPOT_TRIAGE_MESSAGE_PROPERTY: z._default(
    z.string().check(z.regex(/^[a-z][a-z0-9_]{0,99}$/, "must be a HubSpot property's internal name")),
    "message",
  ),
  /** The HubSpot contact property (an enumeration of the four labels) that receives the label. */
  HUBSPOT_TRIAGE_PROPERTY: z._default(
    z.string().check(z.regex(/^[a-z][a-z0-9_]{0,99}$/, "must be a HubSpot property's internal name")),
    "leadrelay_triage_label",
  ),
};
