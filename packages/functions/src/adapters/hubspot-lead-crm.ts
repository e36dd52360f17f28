import {
  crmLeadRef,
  escapeHtml,
  HubSpotAssociation,
  type HubSpotCrm,
  hubspotContactUrl,
  type LeadCrm,
  ServiceRejected,
} from "@leadrelay/core";

/** The contact properties triage reads besides the message property. */
const CONTACT_PROPERTIES = ["firstname", "lastname", "company", "email", "phone", "mobilephone"] as const;

const present = (value: string | null | undefined): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

function contactIdOf(leadId: string): { portalId: string; contactId: string } {
  const ref = crmLeadRef(leadId);
  if (ref.crm !== "hubspot") {
    throw new ServiceRejected({
      service: "hubspot",
      detail: `${leadId} is not a HubSpot lead id (hubspot-{portalId}-{contactId})`,
    });
  }
  return ref;
}

/** A note body as HubSpot shows it (`hs_note_body` is HTML, at most 65,536 characters). */
export function hubspotNoteBody(note: string): string {
  return escapeHtml(note).replace(/\r?\n/g, "<br>").slice(0, 65_536);
}

/**
 * HubSpot behind the CRM port: the contact's properties (`POST /crm/v3/objects/contacts/batch/read`
 * reads a contact at once after its creation, unlike search), the label into an enumeration
 * property (`PATCH /crm/v3/objects/contacts/{id}`), a note associated with the contact
 * (`POST /crm/v3/objects/notes`, association type 202). Lead ids are `hubspot-{portalId}-{contactId}`.
 */
export function createHubSpotLeadCrm(
  crm: HubSpotCrm,
  options: { messageProperty: string; labelProperty: string; now?: () => number },
): LeadCrm {
  const now = options.now ?? Date.now;
  return {
    kind: "hubspot",
    async readLead(leadId) {
      const { portalId, contactId } = contactIdOf(leadId);
      const [contact] = await crm.readBatch(
        "contacts",
        [contactId],
        [...CONTACT_PROPERTIES, options.messageProperty],
      );
      if (!contact) {
        throw new ServiceRejected({
          service: "hubspot",
          status: 404,
          detail: `contact ${contactId} is not in portal ${portalId} (deleted or merged)`,
        });
      }
      const p = contact.properties;
      const name = [present(p.firstname), present(p.lastname)].filter(Boolean).join(" ");
      return {
        name: name === "" ? present(p.company) : name,
        company: present(p.company),
        email: present(p.email),
        phone: present(p.phone) ?? present(p.mobilephone),
        message: p[options.messageProperty] ?? undefined,
        messageField: options.messageProperty,
        url: hubspotContactUrl(portalId, contactId),
      };
    },
    async writeLabel(leadId, label) {
      const { contactId } = contactIdOf(leadId);
      const result = await crm.updateContact(contactId, { [options.labelProperty]: label });
      if (result.status !== "updated") {
        throw new ServiceRejected({
          service: "hubspot",
          status: result.status === "missing" ? 404 : 409,
          detail: `PATCH contact ${contactId}: ${result.status === "missing" ? "deleted or merged" : `conflicts with contact ${result.existingId}`}`,
        });
      }
      return { key: options.labelProperty, value: label };
    },
    async addNote(leadId, note) {
      const { contactId } = contactIdOf(leadId);
      const created = await crm.createObject(
        "notes",
        { hs_timestamp: new Date(now()).toISOString(), hs_note_body: hubspotNoteBody(note) },
        [{ toId: contactId, typeId: HubSpotAssociation.noteToContact }],
      );
      return { noteId: created.id };
    },
  };
}
