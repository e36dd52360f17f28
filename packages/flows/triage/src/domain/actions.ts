/** The automatic actions a team can turn on one by one (TRIAGE_ACTIONS). */
export const TRIAGE_ACTIONS = ["sms", "slack", "email", "ticket", "crm"] as const;
export type TriageAction = (typeof TRIAGE_ACTIONS)[number];

/** What an action Task reports (the history shows it, RecordOutcome lists it in the note). */
export type ActionResult =
  | {
      action: TriageAction;
      status: "sent" | "already-sent";
      at: string;
      /** The vendor's id of what was done: SMS sid, email message id, ticket id. */
      id?: string;
      detail?: string;
    }
  /** An earlier attempt started and never confirmed: not repeated, a person should check. */
  | { action: TriageAction; status: "uncertain"; since: string; detail?: string }
  | { action: TriageAction; status: "skipped"; reason: string };

/** A Task's Catch puts the error here instead of a result. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

export function isCaughtError(value: unknown): value is CaughtError {
  return typeof value === "object" && value !== null && typeof (value as CaughtError).Error === "string";
}

export const skipped = (action: TriageAction, reason: string): ActionResult => ({
  action,
  status: "skipped",
  reason,
});
