/**
 * The shape of a CRM seed file (`fixtures/crm/seed.json`, or `--seed FILE`). Strict: unknown keys
 * are errors, and every issue is reported with its JSON path.
 */
import { z } from "zod";
import type { Issue, Parsed } from "../../core/errors.js";

const id = z.number().int().positive();
const unixSeconds = z.number().int().nonnegative();

export const CustomFieldValueSchema = z.strictObject({
  field_id: id,
  field_name: z.string(),
  field_code: z.string().nullable(),
  field_type: z.string(),
  values: z.array(z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]), enum_id: id.optional(), enum_code: z.string().optional() })),
});

export const TagSchema = z.strictObject({ id, name: z.string(), color: z.string().nullable() });

export const AccountSchema = z.strictObject({
  id,
  name: z.string(),
  subdomain: z.string(),
  created_at: unixSeconds,
  created_by: z.number().int().nonnegative(),
  updated_at: unixSeconds,
  updated_by: z.number().int().nonnegative(),
  current_user_id: id,
  country: z.string(),
  currency: z.string(),
  currency_symbol: z.string(),
  customers_mode: z.string(),
  is_unsorted_on: z.boolean(),
  mobile_feature_version: z.number().int(),
  is_loss_reason_enabled: z.boolean(),
  is_helpbot_enabled: z.boolean(),
  is_technical_account: z.boolean(),
  contact_name_display_order: z.number().int(),
  timezone: z.string(),
});

const rightsSet = z.record(z.string(), z.string());

export const UserSchema = z.strictObject({
  id,
  name: z.string(),
  email: z.string(),
  lang: z.enum(["en", "es", "pt"]),
  rights: z.strictObject({
    leads: rightsSet,
    contacts: rightsSet,
    companies: rightsSet,
    tasks: rightsSet,
    mail_access: z.boolean(),
    catalog_access: z.boolean(),
    status_rights: z.array(z.unknown()),
    is_admin: z.boolean(),
    is_free: z.boolean(),
    is_active: z.boolean(),
    group_id: z.number().int().nullable(),
    role_id: z.number().int().nullable(),
  }),
});

export const StatusSchema = z.strictObject({
  id,
  name: z.string(),
  sort: z.number().int(),
  is_editable: z.boolean(),
  color: z.string(),
  type: z.union([z.literal(0), z.literal(1)]),
});

export const PipelineSchema = z.strictObject({
  id,
  name: z.string(),
  sort: z.number().int(),
  is_main: z.boolean(),
  is_unsorted_on: z.boolean(),
  is_archive: z.boolean(),
  statuses: z.array(StatusSchema).min(1),
});

export const LossReasonSchema = z.strictObject({ id, name: z.string(), sort: z.number().int(), created_at: unixSeconds, updated_at: unixSeconds });

export const LeadSchema = z.strictObject({
  id,
  name: z.string(),
  price: z.number().int().nonnegative(),
  responsible_user_id: id,
  group_id: z.number().int().nonnegative(),
  status_id: id,
  pipeline_id: id,
  loss_reason_id: id.nullable(),
  created_by: z.number().int().nonnegative(),
  updated_by: z.number().int().nonnegative(),
  created_at: unixSeconds,
  updated_at: unixSeconds,
  closed_at: unixSeconds.nullable(),
  closest_task_at: unixSeconds.nullable(),
  is_deleted: z.boolean(),
  custom_fields_values: z.array(CustomFieldValueSchema).nullable(),
  score: z.number().nullable(),
  labor_cost: z.number().nullable(),
  tags: z.array(TagSchema),
  contact_ids: z.array(id),
  company_id: id.nullable(),
  /** Fields a client sent that the fake does not model; stored and echoed back. */
  extra: z.record(z.string(), z.unknown()).optional(),
});

export const ContactSchema = z.strictObject({
  id,
  name: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  responsible_user_id: id,
  group_id: z.number().int().nonnegative(),
  created_by: z.number().int().nonnegative(),
  updated_by: z.number().int().nonnegative(),
  created_at: unixSeconds,
  updated_at: unixSeconds,
  closest_task_at: unixSeconds.nullable(),
  custom_fields_values: z.array(CustomFieldValueSchema).nullable(),
  tags: z.array(TagSchema),
  company_id: id.nullable(),
});

export const CompanySchema = z.strictObject({
  id,
  name: z.string(),
  responsible_user_id: id,
  group_id: z.number().int().nonnegative(),
  created_by: z.number().int().nonnegative(),
  updated_by: z.number().int().nonnegative(),
  created_at: unixSeconds,
  updated_at: unixSeconds,
  closest_task_at: unixSeconds.nullable(),
  custom_fields_values: z.array(CustomFieldValueSchema).nullable(),
  tags: z.array(TagSchema),
});

export const EntityTypeSchema = z.enum(["leads", "contacts", "companies"]);

export const TaskSchema = z.strictObject({
  id,
  created_by: z.number().int().nonnegative(),
  updated_by: z.number().int().nonnegative(),
  created_at: unixSeconds,
  updated_at: unixSeconds,
  responsible_user_id: id,
  group_id: z.number().int().nonnegative(),
  entity_id: id.nullable(),
  entity_type: z.string().nullable(),
  is_completed: z.boolean(),
  task_type_id: id,
  text: z.string(),
  duration: z.number().int().nonnegative(),
  complete_till: unixSeconds,
  result: z.strictObject({ text: z.string() }).nullable(),
});

export const NoteSchema = z.strictObject({
  id,
  entity_type: EntityTypeSchema,
  entity_id: id,
  created_by: z.number().int().nonnegative(),
  updated_by: z.number().int().nonnegative(),
  created_at: unixSeconds,
  updated_at: unixSeconds,
  responsible_user_id: id,
  group_id: z.number().int().nonnegative(),
  note_type: z.string(),
  params: z.record(z.string(), z.unknown()),
  is_pinned: z.boolean(),
});

export const SalesbotSchema = z.strictObject({ id, name: z.string(), is_active: z.boolean() });

export const BotRunStateSchema = z.enum(["running", "stopped", "finished"]);

export const BotRunSchema = z.strictObject({
  id,
  bot_id: id,
  entity_id: id,
  entity_type: z.enum(["leads", "contacts"]),
  state: BotRunStateSchema,
  started_at: unixSeconds,
  stopped_at: unixSeconds.nullable(),
});

export const CrmSeedSchema = z.strictObject({
  account: AccountSchema,
  users: z.array(UserSchema).min(1),
  pipelines: z.array(PipelineSchema).min(1),
  loss_reasons: z.array(LossReasonSchema),
  leads: z.array(LeadSchema),
  contacts: z.array(ContactSchema),
  companies: z.array(CompanySchema),
  tasks: z.array(TaskSchema),
  notes: z.array(NoteSchema),
  salesbots: z.array(SalesbotSchema),
  bot_runs: z.array(BotRunSchema),
});

export type CrmSeed = z.output<typeof CrmSeedSchema>;

/** `a.b[0].c` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Parses a seed value read from `file`. Shape errors come first (all of them); when the shape is
 * right, cross references are checked (a lead's pipeline and status exist, ids are unique, ...).
 * Issues carry JSON paths; `formatIssues(file, issues)` names the file (see `loadCrmSeedFile`).
 */
export function parseCrmSeed(value: unknown, _file: string): Parsed<CrmSeed> {
  const result = CrmSeedSchema.safeParse(value);
  if (!result.success) {
    const issues: Issue[] = result.error.issues.map((issue) => ({ path: jsonPath(issue.path), message: lowerFirst(issue.message) }));
    return { ok: false, issues };
  }
  const issues = checkReferences(result.data);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: result.data };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function checkReferences(seed: CrmSeed): Issue[] {
  const issues: Issue[] = [];
  const unique = (name: string, items: readonly { id: number }[]): void => {
    const seen = new Set<number>();
    items.forEach((item, index) => {
      if (seen.has(item.id)) issues.push({ path: `${name}[${index}].id`, message: `found duplicate id \`${item.id}\`; expected ids unique within ${name}` });
      seen.add(item.id);
    });
  };
  unique("users", seed.users);
  unique("pipelines", seed.pipelines);
  unique("loss_reasons", seed.loss_reasons);
  unique("leads", seed.leads);
  unique("contacts", seed.contacts);
  unique("companies", seed.companies);
  unique("tasks", seed.tasks);
  unique("notes", seed.notes);
  unique("salesbots", seed.salesbots);
  unique("bot_runs", seed.bot_runs);
  if (!seed.pipelines.some((p) => p.is_main)) issues.push({ path: "pipelines", message: "found no pipeline with `is_main: true`; expected exactly one main pipeline" });
  const pipelines = new Map(seed.pipelines.map((p) => [p.id, new Set(p.statuses.map((s) => s.id))]));
  const users = new Set(seed.users.map((u) => u.id));
  const lossReasons = new Set(seed.loss_reasons.map((r) => r.id));
  const contacts = new Set(seed.contacts.map((c) => c.id));
  const companies = new Set(seed.companies.map((c) => c.id));
  const bots = new Set(seed.salesbots.map((b) => b.id));
  seed.leads.forEach((lead, i) => {
    const statuses = pipelines.get(lead.pipeline_id);
    if (!statuses) issues.push({ path: `leads[${i}].pipeline_id`, message: `found unknown pipeline \`${lead.pipeline_id}\`; expected an id from pipelines` });
    else if (!statuses.has(lead.status_id)) issues.push({ path: `leads[${i}].status_id`, message: `found status \`${lead.status_id}\`, which is not in pipeline \`${lead.pipeline_id}\`` });
    if (!users.has(lead.responsible_user_id)) issues.push({ path: `leads[${i}].responsible_user_id`, message: `found unknown user \`${lead.responsible_user_id}\`; expected an id from users` });
    if (lead.loss_reason_id !== null && !lossReasons.has(lead.loss_reason_id)) issues.push({ path: `leads[${i}].loss_reason_id`, message: `found unknown loss reason \`${lead.loss_reason_id}\`; expected an id from loss_reasons` });
    lead.contact_ids.forEach((c, j) => {
      if (!contacts.has(c)) issues.push({ path: `leads[${i}].contact_ids[${j}]`, message: `found unknown contact \`${c}\`; expected an id from contacts` });
    });
    if (lead.company_id !== null && !companies.has(lead.company_id)) issues.push({ path: `leads[${i}].company_id`, message: `found unknown company \`${lead.company_id}\`; expected an id from companies` });
  });
  seed.contacts.forEach((contact, i) => {
    if (contact.company_id !== null && !companies.has(contact.company_id)) issues.push({ path: `contacts[${i}].company_id`, message: `found unknown company \`${contact.company_id}\`; expected an id from companies` });
  });
  seed.bot_runs.forEach((run, i) => {
    if (!bots.has(run.bot_id)) issues.push({ path: `bot_runs[${i}].bot_id`, message: `found unknown salesbot \`${run.bot_id}\`; expected an id from salesbots` });
  });
  return issues;
}
