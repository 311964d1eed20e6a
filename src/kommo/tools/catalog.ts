/**
 * The 23 tools in the order the real server lists them, with the server-level additions: the
 * optional `confirm` property on the 9 write tools, and the annotations.
 */
import { getAccount, getDashboard, getSalesReport } from "./account-reports.js";
import { askKommo } from "./ask-kommo.js";
import { createTask, getCompanies, getContacts, getTasks, getUsers } from "./contacts-companies-tasks.js";
import { createLead, getLead, getLeads, moveLead, updateLead } from "./leads.js";
import { addNote, getNotes, pinNote, unpinNote } from "./notes.js";
import { getLossReason, getLossReasons, getPipelines } from "./pipelines.js";
import { runSalesbot, stopSalesbotV2, stopSalesbotV3 } from "./salesbots.js";
import type { JsonSchema, KommoToolDefinition } from "./tool.js";

export type KommoSchemaVersion = "v2" | "v3";

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export const CONFIRM_PROPERTY = {
  type: "boolean",
  description: "Confirma explicitamente a operação de escrita quando exigido.",
} as const;

export function kommoTools(schema: KommoSchemaVersion = "v3"): readonly KommoToolDefinition[] {
  return [
    getAccount,
    getLeads,
    getLead,
    createLead,
    updateLead,
    moveLead,
    getPipelines,
    getSalesReport,
    getDashboard,
    getContacts,
    getCompanies,
    getTasks,
    createTask,
    getUsers,
    getLossReasons,
    getLossReason,
    getNotes,
    addNote,
    pinNote,
    unpinNote,
    runSalesbot,
    schema === "v2" ? stopSalesbotV2 : stopSalesbotV3,
    askKommo,
  ];
}

/** The input schema as listed: write tools get the optional `confirm: boolean`. */
export function listedInputSchema(tool: KommoToolDefinition): JsonSchema {
  if (!tool.write) return tool.inputSchema;
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  return { ...tool.inputSchema, properties: { ...properties, confirm: CONFIRM_PROPERTY } };
}

export function toolAnnotations(tool: KommoToolDefinition): ToolAnnotations {
  return {
    readOnlyHint: !tool.write,
    destructiveHint: tool.write,
    idempotentHint: !tool.write || tool.name === "pin_note" || tool.name === "unpin_note",
    openWorldHint: true,
  };
}
