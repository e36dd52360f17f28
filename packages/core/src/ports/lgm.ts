/**
 * La Growth Machine's API (`https://apiv2.lagrowthmachine.com/flow`, integrations.md §6), read
 * only. The bodies are handed on as parsed JSON: their field names are not documented, and the
 * flow that reads them keeps its assumptions about them in one place.
 */
export interface LgmApi {
  /**
   * `GET /conversations/{id}/messages`: one page of the conversation, the body as LGM answers it.
   * `page` counts from 1 (the first page); LGM's own `page` parameter counts from 0.
   */
  conversationMessages(conversationId: string, page: number): Promise<unknown>;
  /** `GET /leads/search?…`: the body, or `undefined` when LGM knows no such lead (404). */
  searchLead(query: { leadId?: string; email?: string; linkedinUrl?: string }): Promise<unknown>;
}
