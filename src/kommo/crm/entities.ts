/** The CRM's records, as the store keeps them (the REST layer adds `_links`/`_embedded`). */
import type { z } from "zod";
import type {
  AccountSchema,
  BotRunSchema,
  CompanySchema,
  ContactSchema,
  CustomFieldValueSchema,
  EntityTypeSchema,
  LeadSchema,
  LossReasonSchema,
  NoteSchema,
  PipelineSchema,
  SalesbotSchema,
  StatusSchema,
  TagSchema,
  TaskSchema,
  UserSchema,
} from "./seed-schema.js";

export type Account = z.output<typeof AccountSchema>;
export type User = z.output<typeof UserSchema>;
export type Pipeline = z.output<typeof PipelineSchema>;
export type Status = z.output<typeof StatusSchema>;
export type LossReason = z.output<typeof LossReasonSchema>;
export type Lead = z.output<typeof LeadSchema>;
export type Contact = z.output<typeof ContactSchema>;
export type Company = z.output<typeof CompanySchema>;
export type Task = z.output<typeof TaskSchema>;
export type Note = z.output<typeof NoteSchema>;
export type Salesbot = z.output<typeof SalesbotSchema>;
export type BotRun = z.output<typeof BotRunSchema>;
export type Tag = z.output<typeof TagSchema>;
export type CustomFieldValue = z.output<typeof CustomFieldValueSchema>;
/** The entity types that own notes and that notes/pin routes accept. */
export type NoteEntityType = z.output<typeof EntityTypeSchema>;

/** Kommo's system statuses, present in every pipeline. */
export const WON_STATUS_ID = 142;
export const LOST_STATUS_ID = 143;

export function isClosedStatus(statusId: number): boolean {
  return statusId === WON_STATUS_ID || statusId === LOST_STATUS_ID;
}
