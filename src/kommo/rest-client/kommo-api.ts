/**
 * The Kommo endpoints the 23 tools use, one method per REST call, with the request shapes the
 * real server sends. Methods return the response body (`data`) as Kommo sent it, except the
 * Salesbot calls (`{accepted: status === 202}`) and the list walkers (every page's items).
 */
import type { KommoResponse, KommoRestClient, Query } from "./rest-client.js";

export type EntityType = "leads" | "contacts" | "companies";

/** The lead fields the reports read (Unix seconds; 142 = won, 143 = lost). */
export interface LeadFacts {
  readonly id?: number;
  readonly name?: string;
  readonly price?: number;
  readonly status_id?: number;
  readonly pipeline_id?: number;
  readonly responsible_user_id?: number;
  readonly created_at?: number;
  readonly closed_at?: number | null;
}

export interface TaskFacts {
  readonly is_completed?: boolean;
  readonly updated_at?: number;
  readonly complete_till?: number;
}

export interface Named {
  readonly id: number;
  readonly name?: string;
}

export const PAGE_LIMIT = 250;
/** A bound on page walks, so a misbehaving API cannot keep a tool busy forever. */
const MAX_PAGES = 1_000;

export class KommoApi {
  constructor(private readonly rest: KommoRestClient) {}

  async getAccount(): Promise<unknown> {
    return (await this.rest.get("/api/v4/account")).data;
  }

  async getLeads(query: Query): Promise<unknown> {
    return (await this.rest.get("/api/v4/leads", query)).data;
  }

  async getLead(id: number): Promise<unknown> {
    return (await this.rest.get(`/api/v4/leads/${id}`)).data;
  }

  async createLead(lead: Record<string, unknown>): Promise<unknown> {
    return firstEmbedded(await this.rest.post("/api/v4/leads", [lead]), "leads");
  }

  async updateLead(id: number, patch: Record<string, unknown>): Promise<unknown> {
    return (await this.rest.patch(`/api/v4/leads/${id}`, patch)).data;
  }

  async getAllLeads(): Promise<LeadFacts[]> {
    return this.walkPages<LeadFacts>("/api/v4/leads", "leads");
  }

  async getAllTasks(): Promise<TaskFacts[]> {
    return this.walkPages<TaskFacts>("/api/v4/tasks", "tasks");
  }

  async getPipelines(): Promise<unknown> {
    return (await this.rest.get("/api/v4/leads/pipelines")).data;
  }

  async getPipeline(id: number): Promise<unknown> {
    return (await this.rest.get(`/api/v4/leads/pipelines/${id}`)).data;
  }

  async getPipelineStatuses(id: number): Promise<unknown> {
    return (await this.rest.get(`/api/v4/leads/pipelines/${id}/statuses`)).data;
  }

  async getContacts(query: Query): Promise<unknown> {
    return (await this.rest.get("/api/v4/contacts", query)).data;
  }

  async getCompanies(query: Query): Promise<unknown> {
    return (await this.rest.get("/api/v4/companies", query)).data;
  }

  async getTasks(query: Query): Promise<unknown> {
    return (await this.rest.get("/api/v4/tasks", query)).data;
  }

  async createTask(task: Record<string, unknown>): Promise<unknown> {
    return firstEmbedded(await this.rest.post("/api/v4/tasks", [task]), "tasks");
  }

  async getUsers(): Promise<unknown> {
    return (await this.rest.get("/api/v4/users")).data;
  }

  async getLossReasons(): Promise<unknown> {
    return (await this.rest.get("/api/v4/leads/loss_reasons")).data;
  }

  async getLossReason(id: number): Promise<unknown> {
    return (await this.rest.get(`/api/v4/leads/loss_reasons/${id}`)).data;
  }

  async getNotes(entityType: EntityType, entityId: number, query: Query): Promise<unknown> {
    return (await this.rest.get(`/api/v4/${entityType}/${entityId}/notes`, query)).data;
  }

  async createNote(entityType: EntityType, entityId: number, note: Record<string, unknown>): Promise<unknown> {
    return firstEmbedded(await this.rest.post(`/api/v4/${entityType}/${entityId}/notes`, [note]), "notes");
  }

  async pinNote(entityType: EntityType, noteId: number, pin: boolean): Promise<unknown> {
    return (await this.rest.post(`/api/v4/${entityType}/notes/${noteId}/${pin ? "pin" : "unpin"}`)).data;
  }

  async runSalesbot(botId: number, entityId: number, entityType: "leads"): Promise<{ accepted: boolean }> {
    const response = await this.rest.post("/api/v4/bots/run", [{ bot_id: botId, entity_id: entityId, entity_type: entityType }]);
    return { accepted: response.status === 202 };
  }

  async stopSalesbot(botId: number, entityId: number, entityType: "leads"): Promise<{ accepted: boolean }> {
    const response = await this.rest.post(`/api/v4/bots/${botId}/stop`, { entity_id: entityId, entity_type: entityType });
    return { accepted: response.status === 202 };
  }

  /** The v2 (2026-03) shape: `POST /api/v4/bots/{id}/stop` with no body, the raw body returned. */
  async stopSalesbotV2(botId: number): Promise<unknown> {
    return (await this.rest.post(`/api/v4/bots/${botId}/stop`)).data;
  }

  private async walkPages<T>(path: string, entity: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const data = (await this.rest.get(path, { limit: PAGE_LIMIT, page })).data;
      items.push(...embeddedList<T>(data, entity));
      if (!hasNextLink(data)) break;
    }
    return items;
  }
}

/** `_embedded.<entity>` as a list, empty when missing (a 204 body is `""`). */
export function embeddedList<T>(data: unknown, entity: string): T[] {
  const embedded = isRecord(data) ? data._embedded : undefined;
  const list = isRecord(embedded) ? embedded[entity] : undefined;
  return Array.isArray(list) ? (list as T[]) : [];
}

function hasNextLink(data: unknown): boolean {
  const links = isRecord(data) ? data._links : undefined;
  return isRecord(links) && Boolean(links.next);
}

/** `_embedded.<entity>[0]` of a create response; a missing one is an internal error, as in the real server. */
function firstEmbedded(response: KommoResponse, entity: string): unknown {
  const embedded = isRecord(response.data) ? response.data._embedded : undefined;
  const list = isRecord(embedded) ? embedded[entity] : undefined;
  if (!Array.isArray(list)) throw new TypeError(`create response has no _embedded.${entity}`);
  return list[0];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
