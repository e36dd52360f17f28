import type { HubSpotProperties } from "@leadrelay/core";
import { LAST_REPLY_PROPERTY, LINKEDIN_URL_PROPERTY } from "./hubspot-properties";
import type { ReplySummary } from "./reply";

/**
 * What a reply writes on its contact: the names and profile it knows (never blanking what HubSpot
 * has with an empty value) and the time of the reply. Email only when asked: it is the match key.
 */
export function contactProperties(reply: ReplySummary, options: { withEmail: boolean }): HubSpotProperties {
  const properties: HubSpotProperties = { [LAST_REPLY_PROPERTY]: reply.sentAt };
  if (options.withEmail && reply.email) properties.email = reply.email;
  if (reply.firstname) properties.firstname = reply.firstname;
  if (reply.lastname) properties.lastname = reply.lastname;
  if (reply.linkedinUrl) properties[LINKEDIN_URL_PROPERTY] = reply.linkedinUrl;
  return properties;
}
