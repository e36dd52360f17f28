import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { hubspotPropertiesOf } from "../../../flows/registry";
import { brevoStandIn } from "./brevo";
import { closeStandIn } from "./close";
import { eventsStandIn } from "./events";
import { hubspotStandIn } from "./hubspot";
import { lgmStandIn } from "./lgm";
import { llmStandIn } from "./llm";
import { membersStandIn } from "./members";
import { metaStandIn } from "./meta";
import { ownersStandIn } from "./owners";
import { sesStandIn } from "./ses";
import type { StandInSpec } from "./stand-in";
import { twilioStandIn } from "./twilio";
import { zendeskStandIn } from "./zendesk";

/**
 * The stand-ins of the flows' vendors, besides Slack (which the runtime makes with its printer).
 * A vendor added for a flow is one line here; each is made with the runtime's settings (a stand-in
 * may read its data folder from them) and its chosen flows (the HubSpot stand-in holds the
 * properties they write).
 */
export const VENDOR_STAND_INS: ReadonlyArray<
  (settings: Record<string, string | undefined>, flows?: readonly FlowSpec[]) => StandInSpec
> = [
  (settings) => ownersStandIn(settings.LEADRELAY_OWNERS_DIR),
  closeStandIn,
  twilioStandIn,
  brevoStandIn,
  sesStandIn,
  zendeskStandIn,
  llmStandIn,
  metaStandIn,
  (settings, flows = []) => hubspotStandIn({ properties: hubspotPropertiesOf(flows, settings) }),
  () => lgmStandIn(),
  (settings) => membersStandIn(settings.LEADRELAY_MEMBERS_DIR),
  eventsStandIn,
];
