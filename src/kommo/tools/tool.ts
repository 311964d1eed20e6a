/**
 * What one simulated Kommo tool is: the metadata the real server lists (name, Portuguese title and
 * description, plain JSON Schema input) and a handler that calls the Kommo REST API. Handlers
 * throw on failure; `kommoErrorText` turns any failure into the Portuguese text the agent sees.
 */
import type { Clock } from "../../core/clock.js";
import { KommoRestError } from "../rest-client/rest-client.js";
import type { KommoApi } from "../rest-client/kommo-api.js";
import type { AskKommoCache } from "./ask-kommo-cache.js";

export type JsonSchema = Record<string, unknown>;

export interface ToolTextResult {
  [key: string]: unknown;
  content: Array<{ type: "text"; text: string }>;
  isError?: boolean;
}

export interface ToolContext {
  readonly api: KommoApi;
  readonly clock: Clock;
  /** IANA zone for the reports (`KOMMO_TIMEZONE`); unset → the account's, else UTC. */
  readonly timeZone: string | undefined;
  /** The process-wide `ask_kommo` leads cache. */
  readonly askCache: AskKommoCache;
}

export interface KommoToolDefinition {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  /** One of the 9 write tools: gets `confirm`, the confirm gate, and write annotations. */
  readonly write: boolean;
  readonly handler: (args: Record<string, unknown>, context: ToolContext) => Promise<ToolTextResult>;
}

export function textResult(data: unknown): ToolTextResult {
  return { content: [{ type: "text", text: JSON.stringify(data, null, 2) }] };
}

export function errorResult(text: string): ToolTextResult {
  return { content: [{ type: "text", text }], isError: true };
}

export const KOMMO_ERROR_TEXT = {
  unauthorized: "A autenticação com o Kommo falhou.",
  forbidden: "A credencial não possui permissão para esta operação.",
  notFound: "O recurso solicitado não foi encontrado no Kommo.",
  rateLimited: "O limite de requisições do Kommo foi atingido. Tente novamente mais tarde.",
  timeout: "A requisição ao Kommo excedeu o tempo limite.",
  failed: "A API do Kommo não conseguiu concluir a operação.",
  internal: "Erro interno ao executar a tool.",
} as const;

export const CONFIRM_REQUIRED_TEXT = "Esta operação exige confirm=true porque MCP_CONFIRM_WRITES está ativo.";

/** The agent-facing text for a failure; Kommo's own error body is never passed through. */
export function kommoErrorText(error: unknown): string {
  if (!(error instanceof KommoRestError)) return KOMMO_ERROR_TEXT.internal;
  switch (error.status) {
    case 401:
      return KOMMO_ERROR_TEXT.unauthorized;
    case 403:
      return KOMMO_ERROR_TEXT.forbidden;
    case 404:
      return KOMMO_ERROR_TEXT.notFound;
    case 429:
      return KOMMO_ERROR_TEXT.rateLimited;
  }
  return error.kind === "timeout" ? KOMMO_ERROR_TEXT.timeout : KOMMO_ERROR_TEXT.failed;
}

/** `x || fallback`, as the real handlers read `limit`/`page` (so 0 takes the default). */
export function orDefault(value: unknown, fallback: number): number {
  return typeof value === "number" && value ? value : fallback;
}

export const PAGINATION_PROPERTIES = {
  limit: { type: "number", description: "Número máximo de registros (padrão: 250)" },
  page: { type: "number", description: "Página para paginação (padrão: 1)" },
} as const;

export const ENTITY_TYPE_PROPERTY = {
  type: "string",
  enum: ["leads", "contacts", "companies"],
  description: "Tipo da entidade",
} as const;

export function isEntityType(value: unknown): value is "leads" | "contacts" | "companies" {
  return value === "leads" || value === "contacts" || value === "companies";
}
