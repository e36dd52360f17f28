import type { StandInSpec } from "./stand-in";

/**
 * The stand-ins of the flows' vendors, besides Slack and the owner files (which the runtime makes
 * with its own options). A vendor added for a flow is one line here.
 */
export const VENDOR_STAND_INS: ReadonlyArray<() => StandInSpec> = [];
