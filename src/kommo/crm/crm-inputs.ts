/**
 * What a caller hands the CRM store to create or change records, and to filter bot runs. The REST
 * layer validates request bodies into these shapes; the store applies them.
 */
import type { BotRun, Lead, NoteEntityType } from "./entities.js";

export interface NewLead {
  name?: string;
  price?: number;
  status_id?: number;
  pipeline_id?: number;
  responsible_user_id?: number;
  loss_reason_id?: number | null;
  custom_fields_values?: Lead["custom_fields_values"];
  extra?: Record<string, unknown>;
}

export type LeadPatch = NewLead;

export interface NewTask {
  text: string;
  complete_till: number;
  entity_id?: number | null;
  entity_type?: string | null;
  responsible_user_id?: number;
  task_type_id?: number;
  duration?: number;
  is_completed?: boolean;
}

export interface NewNote {
  entity_type: NoteEntityType;
  entity_id: number;
  note_type: string;
  params: Record<string, unknown>;
  responsible_user_id?: number;
}

export interface BotRunFilter {
  botId?: number;
  entityId?: number;
  entityType?: string;
  state?: BotRun["state"];
}
