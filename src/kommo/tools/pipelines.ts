/** Pipelines and loss reasons: get_pipelines, get_loss_reasons, get_loss_reason. */
import { errorResult, textResult, type KommoToolDefinition } from "./tool.js";

export const getPipelines: KommoToolDefinition = {
  name: "get_pipelines",
  title: "Listar pipelines",
  description: "Obter pipelines de vendas e seus status",
  inputSchema: {
    type: "object",
    properties: { pipeline_id: { type: "number", description: "ID do pipeline (opcional, para obter status)" } },
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api }) => {
    const pipelineId = args.pipeline_id;
    if (typeof pipelineId === "number" && pipelineId) {
      const [pipeline, statuses] = await Promise.all([api.getPipeline(pipelineId), api.getPipelineStatuses(pipelineId)]);
      return textResult({ pipeline, statuses });
    }
    return textResult(await api.getPipelines());
  },
};

export const getLossReasons: KommoToolDefinition = {
  name: "get_loss_reasons",
  title: "Listar motivos de perda",
  description: "Obter lista de motivos da perda de leads (API 2026)",
  inputSchema: { type: "object", properties: {}, additionalProperties: false },
  write: false,
  handler: async (_args, { api }) => textResult(await api.getLossReasons()),
};

export const getLossReason: KommoToolDefinition = {
  name: "get_loss_reason",
  title: "Obter motivo de perda",
  description: "Obter um motivo de perda específico pelo ID",
  inputSchema: {
    type: "object",
    properties: { id: { type: "number", description: "ID do motivo de perda" } },
    required: ["id"],
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api }) => {
    if (typeof args.id !== "number") return errorResult("Requer id (número).");
    return textResult(await api.getLossReason(args.id));
  },
};
