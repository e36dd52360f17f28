/**
 * HubSpot CRM as the flows use it (CRM v3 objects, v4 association listing, v3 properties). The
 * adapter speaks the wire format; failures are the outbound errors (ServiceRateLimited on a
 * TEN_SECONDLY_ROLLING 429, ServiceQuotaExhausted on DAILY, ServiceRejected…). Answers that are
 * outcomes, not failures (409 "Existing ID", 404 on an update), come back as values.
 */

export type HubSpotObjectType = "contacts" | "deals" | "notes";

/** Property values as HubSpot takes them: strings (dates as ISO 8601 UTC). */
export type HubSpotProperties = Record<string, string>;

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string | null>;
}

/** HUBSPOT_DEFINED association type ids (integrations.md §5). */
export const HubSpotAssociation = {
  dealToContact: 3,
  noteToContact: 202,
  noteToDeal: 214,
} as const;

export interface HubSpotAssociationTarget {
  toId: string;
  typeId: number;
}

export type ContactCreateResult =
  | { status: "created"; id: string }
  /** 409: the email belongs to contact `existingId` (HubSpot's unique key for contacts). */
  | { status: "exists"; existingId: string };

export type ContactUpdateResult =
  | { status: "updated"; id: string }
  /** 404: deleted or merged away. */
  | { status: "missing" }
  /** 409: the new email belongs to contact `existingId`. */
  | { status: "conflict"; existingId: string };

/** `POST /crm/v3/properties/{objectType}`: what `hubspot setup` creates. */
export interface HubSpotPropertyDefinition {
  name: string;
  label: string;
  type: "string" | "datetime" | "number" | "enumeration" | "date" | "bool";
  fieldType: "text" | "textarea" | "date" | "number" | "select" | "booleancheckbox";
  groupName: string;
  description?: string;
  /** An enumeration's choices (`type: "enumeration"`, `fieldType: "select"`). */
  options?: ReadonlyArray<{ label: string; value: string; displayOrder?: number }>;
}

export interface HubSpotCrm {
  /** Batch upsert of one contact keyed by email (`idProperty: "email"`): one call, no search. */
  upsertContactByEmail(
    email: string,
    properties: HubSpotProperties,
  ): Promise<{ id: string; created: boolean }>;
  createContact(properties: HubSpotProperties): Promise<ContactCreateResult>;
  updateContact(id: string, properties: HubSpotProperties): Promise<ContactUpdateResult>;
  /** Search (eventually consistent: a record written seconds ago may be missing). */
  searchContacts(
    propertyName: string,
    value: string,
    properties: readonly string[],
  ): Promise<HubSpotRecord[]>;
  /** Ids associated to an object (consistent with writes, unlike search). */
  associatedIds(fromType: HubSpotObjectType, fromId: string, toType: HubSpotObjectType): Promise<string[]>;
  readBatch(
    type: HubSpotObjectType,
    ids: readonly string[],
    properties: readonly string[],
  ): Promise<HubSpotRecord[]>;
  createObject(
    type: "deals" | "notes",
    properties: HubSpotProperties,
    associations: readonly HubSpotAssociationTarget[],
  ): Promise<{ id: string }>;
  /** "exists" on HubSpot's 409 for a property name already defined. */
  createProperty(
    type: HubSpotObjectType,
    definition: HubSpotPropertyDefinition,
  ): Promise<"created" | "exists">;
}
