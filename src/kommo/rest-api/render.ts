/** Records → Kommo's wire shapes (`_links.self`, `_embedded`, `account_id`). */
import type { CrmStore } from "../crm/crm-store.js";
import type { Company, Contact, Lead, LossReason, Note, Pipeline, Status, Task, User } from "../crm/entities.js";

export function selfLink(origin: string, path: string): { self: { href: string } } {
  return { self: { href: `${origin}${path}` } };
}

/** The comma list of `with=`. */
export function withSet(url: URL): Set<string> {
  return new Set((url.searchParams.get("with") ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""));
}

export function renderLead(crm: CrmStore, lead: Lead, origin: string, include: Set<string> = new Set()): Record<string, unknown> {
  const { tags, contact_ids, company_id, extra, ...fields } = lead;
  const embedded: Record<string, unknown> = {
    tags: tags.map((t) => ({ ...t })),
    companies: company_id === null ? [] : [{ id: company_id, _links: selfLink(origin, `/api/v4/companies/${company_id}`) }],
  };
  if (include.has("contacts")) embedded.contacts = contact_ids.map((id, i) => ({ id, is_main: i === 0, _links: selfLink(origin, `/api/v4/contacts/${id}`) }));
  if (include.has("loss_reason") && lead.loss_reason_id !== null) {
    const reason = crm.lossReason(lead.loss_reason_id);
    embedded.loss_reason = reason ? [renderLossReason(reason, origin)] : [];
  }
  return { ...(extra ?? {}), ...fields, is_price_computed: false, account_id: crm.account.id, _links: selfLink(origin, `/api/v4/leads/${lead.id}`), _embedded: embedded };
}

export function renderContact(crm: CrmStore, contact: Contact, origin: string, include: Set<string> = new Set()): Record<string, unknown> {
  const { tags, company_id, ...fields } = contact;
  const embedded: Record<string, unknown> = {
    tags: tags.map((t) => ({ ...t })),
    companies: company_id === null ? [] : [{ id: company_id, _links: selfLink(origin, `/api/v4/companies/${company_id}`) }],
  };
  if (include.has("leads")) {
    embedded.leads = crm
      .leads()
      .filter((l) => l.contact_ids.includes(contact.id))
      .map((l) => ({ id: l.id, _links: selfLink(origin, `/api/v4/leads/${l.id}`) }));
  }
  return { ...fields, account_id: crm.account.id, _links: selfLink(origin, `/api/v4/contacts/${contact.id}`), _embedded: embedded };
}

export function renderCompany(crm: CrmStore, company: Company, origin: string): Record<string, unknown> {
  const { tags, ...fields } = company;
  return { ...fields, account_id: crm.account.id, _links: selfLink(origin, `/api/v4/companies/${company.id}`), _embedded: { tags: tags.map((t) => ({ ...t })) } };
}

export function renderTask(crm: CrmStore, task: Task, origin: string): Record<string, unknown> {
  return { ...task, account_id: crm.account.id, _links: selfLink(origin, `/api/v4/tasks/${task.id}`) };
}

/** `is_pinned` is one of the `with=` extras in Kommo: present only when asked for. */
export function renderNote(crm: CrmStore, note: Note, origin: string, include: Set<string> = new Set()): Record<string, unknown> {
  const { entity_type, is_pinned, ...fields } = note;
  return {
    ...fields,
    ...(include.has("is_pinned") ? { is_pinned } : {}),
    account_id: crm.account.id,
    _links: selfLink(origin, `/api/v4/${entity_type}/${note.entity_id}/notes/${note.id}`),
  };
}

export function renderUser(user: User, origin: string): Record<string, unknown> {
  return { ...user, _links: selfLink(origin, `/api/v4/users/${user.id}`) };
}

export function renderStatus(crm: CrmStore, pipeline: Pipeline, status: Status, origin: string): Record<string, unknown> {
  return { ...status, pipeline_id: pipeline.id, account_id: crm.account.id, _links: selfLink(origin, `/api/v4/leads/pipelines/${pipeline.id}/statuses/${status.id}`) };
}

export function renderPipeline(crm: CrmStore, pipeline: Pipeline, origin: string): Record<string, unknown> {
  const { statuses, ...fields } = pipeline;
  return {
    ...fields,
    account_id: crm.account.id,
    _links: selfLink(origin, `/api/v4/leads/pipelines/${pipeline.id}`),
    _embedded: { statuses: sortedStatuses(statuses).map((s) => renderStatus(crm, pipeline, s, origin)) },
  };
}

export function sortedStatuses(statuses: readonly Status[]): Status[] {
  return [...statuses].sort((a, b) => a.sort - b.sort || a.id - b.id);
}

export function renderLossReason(reason: LossReason, origin: string): Record<string, unknown> {
  return { ...reason, _links: selfLink(origin, `/api/v4/leads/loss_reasons/${reason.id}`) };
}
