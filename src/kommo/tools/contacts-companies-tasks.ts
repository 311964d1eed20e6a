/** Contacts, companies, tasks and users: get_contacts, get_companies, get_tasks, create_task, get_users. */
import { errorResult, orDefault, PAGINATION_PROPERTIES, textResult, type KommoToolDefinition } from "./tool.js";

const paginated = { type: "object", properties: { ...PAGINATION_PROPERTIES }, additionalProperties: false };

export const getContacts: KommoToolDefinition = {
  name: "get_contacts",
  title: "Listar contatos",
  description: "Obter lista de contatos do Kommo CRM",
  inputSchema: paginated,
  write: false,
  handler: async (args, { api }) => textResult(await api.getContacts({ limit: orDefault(args.limit, 250), page: orDefault(args.page, 1) })),
};

export const getCompanies: KommoToolDefinition = {
  name: "get_companies",
  title: "Listar empresas",
  description: "Obter lista de empresas do Kommo CRM",
  inputSchema: paginated,
  write: false,
  handler: async (args, { api }) => textResult(await api.getCompanies({ limit: orDefault(args.limit, 250), page: orDefault(args.page, 1) })),
};

export const getTasks: KommoToolDefinition = {
  name: "get_tasks",
  title: "Listar tarefas",
  description: "Obter lista de tarefas do Kommo CRM",
  inputSchema: paginated,
  write: false,
  handler: async (args, { api }) => textResult(await api.getTasks({ limit: orDefault(args.limit, 250), page: orDefault(args.page, 1) })),
};

export const createTask: KommoToolDefinition = {
  name: "create_task",
  title: "Criar tarefa",
  description: "Criar uma nova tarefa vinculada a lead, contato ou empresa",
  inputSchema: {
    type: "object",
    properties: {
      text: { type: "string", description: "Texto da tarefa" },
      entity_id: { type: "number", description: "ID da entidade vinculada" },
      entity_type: { type: "string", description: "Tipo da entidade (leads, contacts, companies)" },
      complete_till: { type: "number", description: "Timestamp Unix de conclusão" },
      responsible_user_id: { type: "number", description: "ID do usuário responsável" },
    },
    required: ["text", "entity_id", "entity_type", "complete_till"],
    additionalProperties: true,
  },
  write: true,
  // Extra arguments pass the schema but are dropped: only these five fields reach Kommo.
  handler: async (args, { api }) => {
    const { text, entity_id: entityId, entity_type: entityType, complete_till: completeTill, responsible_user_id: responsible } = args;
    if (!text || typeof entityId !== "number" || !entityType || typeof completeTill !== "number") {
      return errorResult("Requer text, entity_id, entity_type e complete_till.");
    }
    const task: Record<string, unknown> = { text, entity_id: entityId, entity_type: entityType, complete_till: completeTill };
    if (responsible) task.responsible_user_id = responsible;
    return textResult(await api.createTask(task));
  },
};

export const getUsers: KommoToolDefinition = {
  name: "get_users",
  title: "Listar usuários",
  description: "Obter lista de usuários da conta Kommo",
  inputSchema: { type: "object", properties: {}, additionalProperties: false },
  write: false,
  handler: async (_args, { api }) => textResult(await api.getUsers()),
};
