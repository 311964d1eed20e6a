/** Leads: get_leads, get_lead, create_lead, update_lead, move_lead. */
import { errorResult, orDefault, textResult, type KommoToolDefinition } from "./tool.js";

export const getLeads: KommoToolDefinition = {
  name: "get_leads",
  title: "Listar leads",
  description: "Obter lista de leads do Kommo CRM",
  inputSchema: {
    type: "object",
    properties: {
      limit: { type: "number", description: "Número máximo de registros (padrão: 250)" },
      page: { type: "number", description: "Página para paginação (padrão: 1)" },
      query: { type: "string", description: "Filtro de busca (query da API)" },
    },
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api }) => {
    const query = typeof args.query === "string" && args.query ? args.query : undefined;
    return textResult(await api.getLeads({ limit: orDefault(args.limit, 250), page: orDefault(args.page, 1), query }));
  },
};

export const getLead: KommoToolDefinition = {
  name: "get_lead",
  title: "Obter lead",
  description: "Obter um lead específico pelo ID",
  inputSchema: {
    type: "object",
    properties: { id: { type: "number", description: "ID do lead" } },
    required: ["id"],
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api }) => {
    if (typeof args.id !== "number") return errorResult("Requer id (número).");
    return textResult(await api.getLead(args.id));
  },
};

export const createLead: KommoToolDefinition = {
  name: "create_lead",
  title: "Criar lead",
  description: "Criar um novo lead no Kommo CRM",
  inputSchema: {
    type: "object",
    properties: {
      name: { type: "string", description: "Nome do lead" },
      price: { type: "number", description: "Valor do lead" },
      status_id: { type: "number", description: "ID do status" },
      pipeline_id: { type: "number", description: "ID do pipeline" },
    },
    required: ["name"],
    additionalProperties: true,
  },
  write: true,
  // Every argument as given (extra Kommo lead fields included) becomes the one-element body.
  handler: async (args, { api }) => textResult(await api.createLead(args)),
};

export const updateLead: KommoToolDefinition = {
  name: "update_lead",
  title: "Atualizar lead",
  description: "Atualizar um lead existente (nome, valor, status, pipeline, etc.)",
  inputSchema: {
    type: "object",
    properties: {
      id: { type: "number", description: "ID do lead" },
      name: { type: "string", description: "Nome do lead" },
      price: { type: "number", description: "Valor do lead" },
      status_id: { type: "number", description: "ID do status" },
      pipeline_id: { type: "number", description: "ID do pipeline" },
      loss_reason_id: { type: "number", description: "ID do motivo de perda" },
    },
    required: ["id"],
    additionalProperties: true,
  },
  write: true,
  handler: async (args, { api }) => {
    const { id, ...patch } = args;
    if (typeof id !== "number") return errorResult("Requer id (número).");
    return textResult(await api.updateLead(id, patch));
  },
};

export const moveLead: KommoToolDefinition = {
  name: "move_lead",
  title: "Mover lead",
  description: "Mover lead para outro status ou pipeline",
  inputSchema: {
    type: "object",
    properties: {
      lead_id: { type: "number", description: "ID do lead" },
      status_id: { type: "number", description: "ID do novo status" },
      pipeline_id: { type: "number", description: "ID do novo pipeline (opcional)" },
    },
    required: ["lead_id", "status_id"],
    additionalProperties: false,
  },
  write: true,
  handler: async (args, { api }) => {
    const { lead_id: leadId, status_id: statusId, pipeline_id: pipelineId } = args;
    if (typeof leadId !== "number" || typeof statusId !== "number") return errorResult("Requer lead_id e status_id (números).");
    // As the real server: with a pipeline, `status_id` is sent only when truthy.
    const patch = pipelineId ? { pipeline_id: pipelineId, ...(statusId ? { status_id: statusId } : {}) } : { status_id: statusId };
    return textResult(await api.updateLead(leadId, patch));
  },
};
