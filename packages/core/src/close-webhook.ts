import * as z from "zod/mini";
import { isValidLeadId } from "./lead-id";

const text = z.nullish(z.string());

export const CloseEmail = z.looseObject({ email: text, type: text });
export const CloseContact = z.looseObject({
  id: text,
  name: text,
  emails: z.nullish(z.array(CloseEmail)),
});

/** `event.data` of a lead event. Unknown fields (custom fields, addresses…) pass through untouched. */
export const CloseLeadData = z.looseObject({
  id: text,
  display_name: text,
  name: text,
  status_label: text,
  date_created: text,
  html_url: text,
  contacts: z.nullish(z.array(CloseContact)),
  contact_ids: z.nullish(z.array(z.string())),
});
export type CloseLeadData = z.infer<typeof CloseLeadData>;

export const CloseEvent = z.looseObject({
  id: z.string(),
  object_type: z.string(),
  action: z.string(),
  object_id: text,
  lead_id: text,
  date_created: text,
  data: z.nullish(z.looseObject({})),
});

/** The envelope every Close webhook shares. */
export const CloseWebhook = z.looseObject({
  subscription_id: z.nullish(z.string()),
  event: CloseEvent,
});
export type CloseWebhook = z.infer<typeof CloseWebhook>;

/** Lead id = `event.lead_id ?? event.data.id ?? event.object_id`. */
export function leadIdOf(webhook: CloseWebhook): string | undefined {
  const { event } = webhook;
  const dataId = event.data && typeof event.data.id === "string" ? event.data.id : undefined;
  return event.lead_id ?? dataId ?? event.object_id ?? undefined;
}

export function isLeadCreated(webhook: CloseWebhook): boolean {
  return webhook.event.object_type === "lead" && webhook.event.action === "created";
}

/** Why a body is not usable, as a short reason fit for a 400 answer. */
export type WebhookVerdict =
  | { kind: "lead-created"; leadId: string; eventId: string; webhook: CloseWebhook; data: CloseLeadData }
  | { kind: "ignored"; eventId: string; reason: string }
  | { kind: "invalid"; reason: string };

const MAX_DEPTH = 32;
/**
 * Most items any array of a Close body may hold (a lead's contacts, contact_ids, custom field
 * values): checked before a single element is validated, so 100,000 `contact_ids` cost a length
 * check, not 100,000 validation issues.
 */
export const MAX_ARRAY_ITEMS = 1_000;

/**
 * Why a parsed JSON value is too big a shape to validate: nested deeper than `maxDepth` or an array
 * longer than `maxItems`, found in one walk that never visits the elements of an array it refuses.
 */
export function jsonShapeProblem(
  value: unknown,
  limits: { maxDepth: number; maxItems: number },
): string | undefined {
  // Iterative so a hostile body cannot blow the stack; paths stay short since depth is bounded.
  const stack: Array<[unknown, number, string]> = [[value, 1, "body"]];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop() as [unknown, number, string];
    if (depth > limits.maxDepth) return "body is nested too deeply";
    if (Array.isArray(node)) {
      if (node.length > limits.maxItems) {
        return `${path.slice(0, 120)} holds ${node.length} items (at most ${limits.maxItems})`;
      }
      for (let i = 0; i < node.length; i++) stack.push([node[i], depth + 1, `${path}.${i}`]);
    } else if (node && typeof node === "object") {
      for (const [key, child] of Object.entries(node)) stack.push([child, depth + 1, `${path}.${key}`]);
    }
  }
  return undefined;
}

/** How deeply a parsed JSON value nests, counted up to just past `limit` (a body's size bound does not bound its depth). */
export function jsonDepth(value: unknown, limit: number): number {
  // Iterative so a hostile body cannot blow the stack.
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > max) max = depth;
    if (max > limit) return max;
    if (node && typeof node === "object") {
      for (const child of Object.values(node)) stack.push([child, depth + 1]);
    }
  }
  return max;
}

function describe(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "does not match the Close webhook shape";
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`.slice(0, 200);
}

/** Classifies a raw webhook body: a lead to relay, an event to acknowledge and ignore, or garbage. */
export function classifyWebhook(rawBody: string): WebhookVerdict {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { kind: "invalid", reason: "body is not valid JSON" };
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { kind: "invalid", reason: "body must be a JSON object" };
  }
  const shape = jsonShapeProblem(json, { maxDepth: MAX_DEPTH, maxItems: MAX_ARRAY_ITEMS });
  if (shape) return { kind: "invalid", reason: shape };
  const envelope = CloseWebhook.safeParse(json);
  if (!envelope.success) return { kind: "invalid", reason: describe(envelope.error) };
  const webhook = envelope.data;
  if (!isLeadCreated(webhook)) {
    return {
      kind: "ignored",
      eventId: webhook.event.id,
      reason: `${webhook.event.object_type}.${webhook.event.action} is not lead.created`,
    };
  }
  const leadId = leadIdOf(webhook);
  if (leadId === undefined)
    return { kind: "invalid", reason: "no lead id in event.lead_id, event.data.id or event.object_id" };
  if (!isValidLeadId(leadId))
    return { kind: "invalid", reason: "lead id must match ^lead_[A-Za-z0-9]+$ (at most 64 characters)" };
  const data = CloseLeadData.safeParse(webhook.event.data ?? {});
  if (!data.success) return { kind: "invalid", reason: `event.data.${describe(data.error)}` };
  return { kind: "lead-created", leadId, eventId: webhook.event.id, webhook, data: data.data };
}
