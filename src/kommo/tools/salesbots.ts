/**
 * Salesbots: run_salesbot and stop_salesbot. The v3 stop (the default) sends
 * `{entity_id, entity_type}` and answers `{accepted}`; the v2 stop (`schema: "v2"`) takes only
 * `bot_id`, posts no body and returns Kommo's raw body.
 */
import { errorResult, textResult, type KommoToolDefinition } from "./tool.js";

const SALESBOT_ARGS_TEXT = 'Requer bot_id, entity_id (números) e entity_type="leads".';

/** The three arguments both salesbot tools take, or undefined when they are not what Kommo needs. */
function salesbotTarget(args: Record<string, unknown>): { botId: number; entityId: number; entityType: "leads" } | undefined {
  const { bot_id: botId, entity_id: entityId, entity_type: entityType } = args;
  return typeof botId === "number" && typeof entityId === "number" && entityType === "leads" ? { botId, entityId, entityType } : undefined;
}

export const runSalesbot: KommoToolDefinition = {
  name: "run_salesbot",
  title: "Iniciar Salesbot",
  description: "Iniciar um Salesbot (API v4). Requer entity_id e entity_type (ex.: leads).",
  inputSchema: {
    type: "object",
    properties: {
      bot_id: { type: "number", description: "ID do Salesbot" },
      entity_id: { type: "number", description: "ID da entidade (ex.: lead)" },
      entity_type: { type: "string", enum: ["leads"], description: "Tipo da entidade" },
    },
    required: ["bot_id", "entity_id", "entity_type"],
    additionalProperties: false,
  },
  write: true,
  handler: async (args, { api }) => {
    const t = salesbotTarget(args);
    return t === undefined ? errorResult(SALESBOT_ARGS_TEXT) : textResult(await api.runSalesbot(t.botId, t.entityId, t.entityType));
  },
};

export const stopSalesbotV3: KommoToolDefinition = {
  name: "stop_salesbot",
  title: "Parar Salesbot",
  description: "Parar um Salesbot pelo ID do bot",
  inputSchema: {
    type: "object",
    properties: {
      bot_id: { type: "number", description: "ID do bot Salesbot" },
      entity_id: { type: "number", description: "ID do lead" },
      entity_type: { type: "string", enum: ["leads"], description: "Tipo da entidade" },
    },
    required: ["bot_id", "entity_id", "entity_type"],
    additionalProperties: false,
  },
  write: true,
  handler: async (args, { api }) => {
    const t = salesbotTarget(args);
    return t === undefined ? errorResult(SALESBOT_ARGS_TEXT) : textResult(await api.stopSalesbot(t.botId, t.entityId, t.entityType));
  },
};

export const stopSalesbotV2: KommoToolDefinition = {
  ...stopSalesbotV3,
  inputSchema: {
    type: "object",
    properties: { bot_id: { type: "number", description: "ID do bot Salesbot" } },
    required: ["bot_id"],
    additionalProperties: false,
  },
  handler: async (args, { api }) => {
    if (typeof args.bot_id !== "number") return errorResult("Requer bot_id (número).");
    return textResult(await api.stopSalesbotV2(args.bot_id));
  },
};
