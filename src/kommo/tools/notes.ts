/** Notes: get_notes, add_note, pin_note, unpin_note. */
import { ENTITY_TYPE_PROPERTY, errorResult, isEntityType, orDefault, PAGINATION_PROPERTIES, textResult, type KommoToolDefinition } from "./tool.js";

export const getNotes: KommoToolDefinition = {
  name: "get_notes",
  title: "Listar notas",
  description: "Obter notas de um lead, contato ou empresa",
  inputSchema: {
    type: "object",
    properties: {
      entity_type: { ...ENTITY_TYPE_PROPERTY },
      entity_id: { type: "number", description: "ID da entidade" },
      ...PAGINATION_PROPERTIES,
    },
    required: ["entity_type", "entity_id"],
    additionalProperties: false,
  },
  write: false,
  handler: async (args, { api }) => {
    const { entity_type: entityType, entity_id: entityId } = args;
    if (!isEntityType(entityType) || typeof entityId !== "number") {
      return errorResult("Requer entity_type (leads|contacts|companies) e entity_id (número).");
    }
    return textResult(await api.getNotes(entityType, entityId, { limit: orDefault(args.limit, 250), page: orDefault(args.page, 1) }));
  },
};

export const addNote: KommoToolDefinition = {
  name: "add_note",
  title: "Adicionar nota",
  description: "Adicionar uma nota de texto a lead, contato ou empresa",
  inputSchema: {
    type: "object",
    properties: {
      entity_type: { ...ENTITY_TYPE_PROPERTY },
      entity_id: { type: "number", description: "ID da entidade" },
      text: { type: "string", description: "Texto da nota" },
      note_type: { type: "string", description: "Tipo da nota (padrão: common)" },
    },
    required: ["entity_type", "entity_id", "text"],
    additionalProperties: false,
  },
  write: true,
  handler: async (args, { api }) => {
    const { entity_type: entityType, entity_id: entityId, text } = args;
    if (!isEntityType(entityType) || typeof entityId !== "number" || !text) return errorResult("Requer entity_type, entity_id e text.");
    const noteType = (typeof args.note_type === "string" && args.note_type) || "common";
    return textResult(await api.createNote(entityType, entityId, { note_type: noteType, params: { text } }));
  },
};

function pinTool(name: "pin_note" | "unpin_note", title: string, description: string, pin: boolean): KommoToolDefinition {
  return {
    name,
    title,
    description,
    inputSchema: {
      type: "object",
      properties: {
        entity_type: { ...ENTITY_TYPE_PROPERTY },
        note_id: { type: "number", description: "ID da nota" },
      },
      required: ["entity_type", "note_id"],
      additionalProperties: false,
    },
    write: true,
    handler: async (args, { api }) => {
      const { entity_type: entityType, note_id: noteId } = args;
      if (!isEntityType(entityType) || typeof noteId !== "number") {
        return errorResult("Requer entity_type (leads|contacts|companies) e note_id (número).");
      }
      // Kommo answers 204 with no body, which the agent sees as the text `""`.
      return textResult(await api.pinNote(entityType, noteId, pin));
    },
  };
}

export const pinNote = pinTool("pin_note", "Fixar nota", "Fixar uma nota no cartão da entidade (lead, contato ou empresa)", true);
export const unpinNote = pinTool("unpin_note", "Desafixar nota", "Desafixar uma nota no cartão da entidade", false);
