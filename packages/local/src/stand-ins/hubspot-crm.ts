import { randomUUID } from "node:crypto";

/**
 * The HubSpot stand-in's CRM: contacts, deals and notes with HubSpot's rules, kept in the
 * stand-in's persisted state. What it enforces is what a flow must survive on a real portal:
 * - email is unique among contacts (case-insensitive): 409 "Contact already exists. Existing ID: N";
 * - a property that is neither built in nor created (`POST /crm/v3/properties/{type}`) is refused
 *   (400 PROPERTY_DOESNT_EXIST), and so are read-only ones;
 * - a deal's stage belongs to its pipeline, a note has `hs_timestamp`, association types fit the pair;
 * - associations are listable from either side, at once;
 * - search lags behind writes (`searchLagMs`): it sees each record as it was that long ago.
 */

export type ObjectType = "contacts" | "deals" | "notes";
export const OBJECT_TYPES: readonly ObjectType[] = ["contacts", "deals", "notes"];

export interface CrmRecord {
  id: string;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** What search sees: the record's past versions, each from the time it was written (epoch ms). */
  versions: Array<{ at: number; properties: Record<string, string> }>;
}

export interface Association {
  fromType: ObjectType;
  fromId: string;
  toType: ObjectType;
  toId: string;
  typeId: number;
}

export interface PropertyDefinition {
  name: string;
  label: string;
  type: string;
  fieldType: string;
  groupName: string;
  description?: string;
  /** An enumeration's choices, as given. */
  options?: unknown[];
}

export interface CrmState {
  nextId: number;
  objects: Record<ObjectType, Record<string, CrmRecord>>;
  associations: Association[];
  customProperties: Record<ObjectType, PropertyDefinition[]>;
  searchLagMs?: number;
}

export class CrmError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const errorBody = (message: string, category: string, extra: Record<string, unknown> = {}) => ({
  status: "error",
  message,
  correlationId: randomUUID(),
  category,
  ...extra,
});

interface InvalidProperty {
  name: string;
  error: string;
  message: string;
}

/** HubSpot's 400 for bad property values: the details are JSON inside `message`. */
function invalidProperties(problems: InvalidProperty[]): CrmError {
  const details = problems.map(({ name, error, message }) => ({ isValid: false, message, error, name }));
  return new CrmError(
    400,
    errorBody(`Property values were not valid: ${JSON.stringify(details)}`, "VALIDATION_ERROR"),
  );
}

export const notFound = (message = "resource not found") =>
  new CrmError(404, errorBody(message, "OBJECT_NOT_FOUND"));
export const badRequest = (message: string) => new CrmError(400, errorBody(message, "VALIDATION_ERROR"));

const BUILT_IN: Record<ObjectType, readonly string[]> = {
  contacts: [
    "email",
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "company",
    "website",
    "jobtitle",
    "city",
    "state",
    "country",
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    // A default contact property (forms write the visitor's message into it).
    "message",
  ],
  deals: [
    "dealname",
    "pipeline",
    "dealstage",
    "amount",
    "closedate",
    "description",
    "dealtype",
    "hubspot_owner_id",
  ],
  notes: ["hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"],
};
/** Set by HubSpot itself: readable, never writable. */
const READ_ONLY: Record<ObjectType, readonly string[]> = {
  contacts: ["hs_object_id", "createdate", "lastmodifieddate"],
  deals: ["hs_object_id", "createdate", "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won"],
  notes: ["hs_object_id", "hs_createdate", "hs_lastmodifieddate"],
};

/** The portal's one pipeline, as a new portal has it. */
export const PIPELINES: Record<string, readonly string[]> = {
  default: [
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
  ],
};

/** HUBSPOT_DEFINED association types between the objects the stand-in keeps, and their inverses. */
const ASSOCIATION_TYPES: Array<{ from: ObjectType; to: ObjectType; typeId: number; inverse: number }> = [
  { from: "deals", to: "contacts", typeId: 3, inverse: 4 },
  { from: "notes", to: "contacts", typeId: 202, inverse: 201 },
  { from: "notes", to: "deals", typeId: 214, inverse: 213 },
];

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function emptyState(): CrmState {
  return {
    nextId: 1001,
    objects: { contacts: {}, deals: {}, notes: {} },
    associations: [],
    customProperties: { contacts: [], deals: [], notes: [] },
  };
}

/** The stand-in's persisted state, completed where a older state file lacks a part. */
export function crmStateOf(state: Record<string, unknown>): CrmState {
  const fresh = emptyState();
  state.nextId ??= fresh.nextId;
  state.objects ??= fresh.objects;
  state.associations ??= fresh.associations;
  state.customProperties ??= fresh.customProperties;
  return state as unknown as CrmState;
}

export const isObjectType = (value: string | undefined): value is ObjectType =>
  OBJECT_TYPES.includes(value as ObjectType);

function knownProperties(crm: CrmState, type: ObjectType): Set<string> {
  return new Set([...BUILT_IN[type], ...crm.customProperties[type].map((property) => property.name)]);
}

function isTimestamp(value: string): boolean {
  return /^\d{10,13}$/.test(value) || !Number.isNaN(Date.parse(value));
}

/** Values as HubSpot keeps them (strings); `null` clears a property. */
function propertyValues(input: unknown): Record<string, string | null> {
  if (input === undefined) return {};
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw badRequest("properties must be an object");
  const values: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(input)) {
    values[name] = value === null ? null : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return values;
}

function datetimeProperties(crm: CrmState, type: ObjectType): Set<string> {
  const custom = crm.customProperties[type].filter((p) => p.type === "datetime" || p.type === "date");
  return new Set([...custom.map((p) => p.name), ...(type === "notes" ? ["hs_timestamp"] : []), "closedate"]);
}

/** Every rule a write's values must pass, as HubSpot reports them: all problems at once. */
function validate(
  crm: CrmState,
  type: ObjectType,
  values: Record<string, string | null>,
  merged: Record<string, string>,
) {
  const known = knownProperties(crm, type);
  const dates = datetimeProperties(crm, type);
  const problems: InvalidProperty[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (READ_ONLY[type].includes(name)) {
      problems.push({
        name,
        error: "READ_ONLY_VALUE",
        message: `${name} is a read only property; its value cannot be set.`,
      });
    } else if (!known.has(name)) {
      problems.push({ name, error: "PROPERTY_DOESNT_EXIST", message: `Property "${name}" does not exist` });
    } else if (value !== null && dates.has(name) && !isTimestamp(value)) {
      problems.push({ name, error: "INVALID_DATE", message: `${value} is not a valid date or datetime` });
    } else if (name === "email" && value !== null && !EMAIL.test(value)) {
      problems.push({ name, error: "INVALID_EMAIL", message: `Email address ${value} is invalid` });
    } else if (name === "hs_note_body" && value !== null && value.length > 65_536) {
      problems.push({
        name,
        error: "INVALID_STRING",
        message: "hs_note_body is longer than 65536 characters",
      });
    }
  }
  if (type === "notes" && !merged.hs_timestamp) {
    problems.push({ name: "hs_timestamp", error: "REQUIRED_FIELD", message: "hs_timestamp is required" });
  }
  if (type === "deals" && (values.pipeline !== undefined || values.dealstage !== undefined)) {
    const pipeline = merged.pipeline ?? "default";
    const stages = PIPELINES[pipeline];
    if (!stages) {
      problems.push({
        name: "pipeline",
        error: "INVALID_OPTION",
        message: `${pipeline} is not a valid pipeline`,
      });
    } else if (merged.dealstage !== undefined && !stages.includes(merged.dealstage)) {
      problems.push({
        name: "dealstage",
        error: "INVALID_OPTION",
        message: `${merged.dealstage} is not a valid stage of pipeline ${pipeline}`,
      });
    }
  }
  if (problems.length > 0) throw invalidProperties(problems);
}

export function contactByEmail(crm: CrmState, email: string): CrmRecord | undefined {
  const wanted = email.trim().toLowerCase();
  return Object.values(crm.objects.contacts).find(
    (contact) => contact.properties.email?.toLowerCase() === wanted,
  );
}

const contactExists = (id: string) =>
  new CrmError(409, errorBody(`Contact already exists. Existing ID: ${id}`, "CONFLICT"));

/** Deals carry `hs_is_closed` (and `_won`), computed from the stage as HubSpot does. */
function withComputed(type: ObjectType, properties: Record<string, string>): Record<string, string> {
  if (type !== "deals") return properties;
  const stage = properties.dealstage ?? "";
  return {
    ...properties,
    hs_is_closed: String(stage === "closedwon" || stage === "closedlost"),
    hs_is_closed_won: String(stage === "closedwon"),
  };
}

const MAX_VERSIONS = 8;

function apply(record: CrmRecord, type: ObjectType, values: Record<string, string | null>, now: number) {
  const properties = { ...record.properties };
  for (const [name, value] of Object.entries(values)) {
    if (value === null || value === "") delete properties[name];
    else properties[name] = value;
  }
  record.properties = withComputed(type, properties);
  record.updatedAt = new Date(now).toISOString();
  record.properties[type === "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate"] = record.updatedAt;
  record.versions = [...record.versions, { at: now, properties: { ...record.properties } }].slice(
    -MAX_VERSIONS,
  );
}

export interface AssociationInput {
  toId: string;
  typeId: number;
}

/** `associations` of a create body: `[{to: {id}, types: [{associationCategory, associationTypeId}]}]`. */
export function associationInputs(input: unknown): AssociationInput[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw badRequest("associations must be an array");
  return input.flatMap((item) => {
    const to = (item as { to?: { id?: unknown } })?.to?.id;
    const types = (item as { types?: unknown })?.types;
    if ((typeof to !== "string" && typeof to !== "number") || !Array.isArray(types) || types.length === 0) {
      throw badRequest("each association needs to.id and types");
    }
    return types.map((type: { associationCategory?: unknown; associationTypeId?: unknown }) => {
      if (type?.associationCategory !== "HUBSPOT_DEFINED" || typeof type.associationTypeId !== "number") {
        throw badRequest("association types must be HUBSPOT_DEFINED with a numeric associationTypeId");
      }
      return { toId: String(to), typeId: type.associationTypeId };
    });
  });
}

function checkAssociations(crm: CrmState, fromType: ObjectType, inputs: readonly AssociationInput[]) {
  for (const { toId, typeId } of inputs) {
    const kind = ASSOCIATION_TYPES.find(
      (candidate) => candidate.from === fromType && candidate.typeId === typeId,
    );
    if (!kind) throw badRequest(`${typeId} is not a valid association type from ${fromType}`);
    if (!crm.objects[kind.to][toId]) {
      throw badRequest(`One or more associated objects do not exist: ${kind.to} ${toId}`);
    }
  }
}

export function createRecord(
  crm: CrmState,
  type: ObjectType,
  input: { properties?: unknown; associations?: unknown },
  now: number,
): CrmRecord {
  const values = propertyValues(input.properties);
  const associations = associationInputs(input.associations);
  const merged = Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => e[1] !== null),
  );
  validate(crm, type, values, merged);
  checkAssociations(crm, type, associations);
  if (type === "contacts" && merged.email) {
    const existing = contactByEmail(crm, merged.email);
    if (existing) throw contactExists(existing.id);
  }
  const id = String(crm.nextId++);
  const at = new Date(now).toISOString();
  const record: CrmRecord = {
    id,
    properties: { hs_object_id: id, [type === "notes" ? "hs_createdate" : "createdate"]: at },
    createdAt: at,
    updatedAt: at,
    versions: [],
  };
  apply(record, type, values, now);
  crm.objects[type][id] = record;
  for (const { toId, typeId } of associations) {
    const kind = ASSOCIATION_TYPES.find(
      (candidate) => candidate.from === type && candidate.typeId === typeId,
    );
    if (kind) crm.associations.push({ fromType: type, fromId: id, toType: kind.to, toId, typeId });
  }
  return record;
}

export function updateRecord(
  crm: CrmState,
  type: ObjectType,
  record: CrmRecord,
  input: unknown,
  now: number,
) {
  const values = propertyValues(input);
  const merged = { ...record.properties };
  for (const [name, value] of Object.entries(values)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  validate(crm, type, values, merged);
  if (type === "contacts" && values.email) {
    const existing = contactByEmail(crm, values.email);
    if (existing && existing.id !== record.id) throw contactExists(existing.id);
  }
  apply(record, type, values, now);
  return record;
}

/** `{id, properties, createdAt, updatedAt, archived}`: the properties asked for (null when unset), or all. */
export function view(record: CrmRecord, wanted?: readonly string[], properties = record.properties) {
  const names =
    wanted && wanted.length > 0
      ? [...new Set([...wanted, "hs_object_id", "createdate", "lastmodifieddate"])]
      : Object.keys(properties);
  const shown = Object.fromEntries(names.map((name) => [name, properties[name] ?? null]));
  return {
    id: record.id,
    properties: shown,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: false,
  };
}

interface Filter {
  propertyName?: unknown;
  operator?: unknown;
  value?: unknown;
  values?: unknown;
}

function matches(properties: Record<string, string>, filter: Filter): boolean {
  const name = String(filter.propertyName ?? "");
  const actual = properties[name];
  const same = (value: unknown) =>
    actual !== undefined && actual.toLowerCase() === String(value).toLowerCase();
  switch (filter.operator) {
    case "EQ":
      return same(filter.value);
    case "NEQ":
      return !same(filter.value);
    case "HAS_PROPERTY":
      return actual !== undefined;
    case "NOT_HAS_PROPERTY":
      return actual === undefined;
    case "IN":
      return Array.isArray(filter.values) && filter.values.some(same);
    default:
      throw badRequest(`operator ${String(filter.operator)} is not supported by the stand-in`);
  }
}

/** Search as of `lagMs` ago: a record newer than that is missing, an updated one shows its old values. */
export function search(crm: CrmState, type: ObjectType, body: unknown, now: number, lagMs: number) {
  const request = (body ?? {}) as { filterGroups?: unknown; properties?: unknown; limit?: unknown };
  const groups = Array.isArray(request.filterGroups)
    ? (request.filterGroups as Array<{ filters?: Filter[] }>)
    : [];
  if (groups.length > 5) throw badRequest("a search takes at most 5 filterGroups");
  if (groups.some((group) => (group.filters?.length ?? 0) > 10))
    throw badRequest("a filter group takes at most 10 filters");
  if (groups.reduce((sum, group) => sum + (group.filters?.length ?? 0), 0) > 25) {
    throw badRequest("a search takes at most 25 filters");
  }
  const wanted = Array.isArray(request.properties) ? request.properties.map(String) : undefined;
  const limit = Math.min(Math.max(Number(request.limit ?? 10) || 10, 1), 200);
  const visibleAt = now - lagMs;
  const results = [];
  for (const record of Object.values(crm.objects[type])) {
    const version = record.versions.filter((v) => v.at <= visibleAt).at(-1);
    if (!version) continue;
    const hit =
      groups.length === 0 ||
      groups.some((group) => (group.filters ?? []).every((filter) => matches(version.properties, filter)));
    if (hit) results.push(view(record, wanted, version.properties));
  }
  return { total: results.length, results: results.slice(0, limit) };
}

/** Ids associated to an object, from either side of each association, with the type as seen from it. */
export function associationsOf(crm: CrmState, fromType: ObjectType, fromId: string, toType: ObjectType) {
  const found = new Map<string, number[]>();
  const add = (id: string, typeId: number) => found.set(id, [...(found.get(id) ?? []), typeId]);
  for (const a of crm.associations) {
    if (a.fromType === fromType && a.fromId === fromId && a.toType === toType) add(a.toId, a.typeId);
    if (a.toType === fromType && a.toId === fromId && a.fromType === toType) {
      const kind = ASSOCIATION_TYPES.find((candidate) => candidate.typeId === a.typeId);
      add(a.fromId, kind?.inverse ?? a.typeId);
    }
  }
  return [...found.entries()].map(([id, typeIds]) => ({ id, typeIds }));
}

export function createProperty(crm: CrmState, type: ObjectType, body: unknown): PropertyDefinition {
  const input = (body ?? {}) as Record<string, unknown>;
  const name = typeof input.name === "string" ? input.name : "";
  if (!/^[a-z][a-z0-9_]{0,99}$/.test(name)) throw badRequest("name must be lower case letters, digits and _");
  for (const field of ["label", "type", "fieldType", "groupName"]) {
    if (typeof input[field] !== "string" || input[field] === "") throw badRequest(`${field} is required`);
  }
  if (knownProperties(crm, type).has(name) || READ_ONLY[type].includes(name)) {
    throw new CrmError(409, errorBody(`Property named '${name}' already exists.`, "OBJECT_ALREADY_EXISTS"));
  }
  const definition: PropertyDefinition = {
    name,
    label: String(input.label),
    type: String(input.type),
    fieldType: String(input.fieldType),
    groupName: String(input.groupName),
    ...(typeof input.description === "string" ? { description: input.description } : {}),
    ...(Array.isArray(input.options) ? { options: input.options } : {}),
  };
  crm.customProperties[type].push(definition);
  return definition;
}

/** What `GET /_local/hubspot/_state` shows: the CRM's records and associations, without search's history. */
export function stateView(crm: CrmState, searchLagMs: number) {
  const records = (type: ObjectType) =>
    Object.values(crm.objects[type]).map(({ id, properties, createdAt, updatedAt }) => ({
      id,
      properties,
      createdAt,
      updatedAt,
    }));
  return {
    contacts: records("contacts"),
    deals: records("deals"),
    notes: records("notes"),
    associations: crm.associations,
    customProperties: crm.customProperties,
    searchLagMs,
  };
}
