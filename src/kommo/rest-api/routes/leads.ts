/** `/api/v4/leads`: list (query, filters, order), get by id, create (batch), update. */
import type { NewLead } from "../../crm/crm-inputs.js";
import type { CrmStore } from "../../crm/crm-store.js";
import type { Lead } from "../../crm/entities.js";
import { CustomFieldValueSchema } from "../../crm/seed-schema.js";
import { checkInt, checkString, isObject } from "../body-checks.js";
import { applyCommonFilters, applyOrder, customFieldTexts, numberListParam, queryMatcher, rangeFilter } from "../list-filters.js";
import { pagedList, readPage } from "../pagination.js";
import { HttpAnswer, fieldProblem, hal, problem, validationProblem } from "../problem.js";
import type { FieldError, RequestErrors } from "../problem.js";
import { statusFilters } from "../query.js";
import { renderLead, selfLink, withSet } from "../render.js";
import type { Route, RouteContext } from "../router.js";

const MAX_BATCH = 250;
const KNOWN_FIELDS = new Set(["name", "price", "status_id", "pipeline_id", "responsible_user_id", "loss_reason_id", "custom_fields_values", "request_id"]);

function listLeads(ctx: RouteContext): Response {
  const { crm, url } = ctx;
  const params = url.searchParams;
  const page = readPage(params);
  let leads = applyCommonFilters(crm.leads(), params);
  const match = queryMatcher(params);
  if (match) leads = leads.filter((l) => match([l.name, ...customFieldTexts(l.custom_fields_values)]));
  const pipelines = numberListParam(params, "filter[pipeline_id]");
  if (pipelines.length > 0) leads = leads.filter((l) => pipelines.includes(l.pipeline_id));
  const statuses = statusFilters(params);
  if (statuses.length > 0) leads = leads.filter((l) => statuses.some((s) => s.pipelineId === l.pipeline_id && (s.statusId === undefined || s.statusId === l.status_id)));
  const closed = rangeFilter(params, "closed_at");
  if (closed) leads = leads.filter((l) => closed(l.closed_at));
  leads = applyOrder(leads, params, ["created_at", "updated_at", "id"]);
  const include = withSet(url);
  return pagedList(url, "leads", leads, page, (lead) => renderLead(crm, lead, url.origin, include));
}

function leadOr404(crm: CrmStore, raw: string | undefined): Lead {
  const lead = crm.lead(Number(raw));
  if (!lead) throw new HttpAnswer(problem(404, "Lead not found"));
  return lead;
}

function getLead(ctx: RouteContext): Response {
  const lead = leadOr404(ctx.crm, ctx.params.id);
  return hal(renderLead(ctx.crm, lead, ctx.url.origin, withSet(ctx.url)));
}

/**
 * Reads one lead object of a POST array or a PATCH body into a store change. `current` is the
 * lead being patched (its pipeline is kept when only `status_id` changes).
 */
function readLeadInput(crm: CrmStore, input: Record<string, unknown>, errors: FieldError[], current?: Lead): NewLead {
  const out: NewLead = {};
  const name = checkString(errors, "name", input.name);
  if (name !== undefined) out.name = name;
  const price = checkInt(errors, "price", input.price, { min: 0 });
  if (price !== undefined) out.price = price;
  const userId = checkInt(errors, "responsible_user_id", input.responsible_user_id, { min: 1 });
  if (userId !== undefined) out.responsible_user_id = userId;
  const lossReasonId = checkInt(errors, "loss_reason_id", input.loss_reason_id, { min: 1, nullable: true });
  if (input.loss_reason_id === null) out.loss_reason_id = null;
  else if (lossReasonId !== undefined) {
    if (crm.lossReason(lossReasonId)) out.loss_reason_id = lossReasonId;
    else errors.push({ code: "NotSupportedChoice", path: "loss_reason_id", detail: `Loss reason \`${lossReasonId}\` does not exist.` });
  }
  if (input.custom_fields_values !== undefined) {
    const parsed = CustomFieldValueSchema.array().nullable().safeParse(input.custom_fields_values);
    if (parsed.success) out.custom_fields_values = parsed.data;
    else errors.push({ code: "InvalidType", path: "custom_fields_values", detail: "This value should be an array of {field_id, values[]} objects or null." });
  }
  const pipelineId = checkInt(errors, "pipeline_id", input.pipeline_id, { min: 1 });
  const statusId = checkInt(errors, "status_id", input.status_id, { min: 1 });
  if (pipelineId !== undefined) {
    const pipeline = crm.pipeline(pipelineId);
    if (!pipeline) errors.push({ code: "NotSupportedChoice", path: "pipeline_id", detail: `Pipeline \`${pipelineId}\` does not exist.` });
    else {
      out.pipeline_id = pipelineId;
      if (statusId !== undefined) {
        if (pipeline.statuses.some((s) => s.id === statusId)) out.status_id = statusId;
        else errors.push({ code: "NotSupportedChoice", path: "status_id", detail: `Status \`${statusId}\` is not in pipeline \`${pipelineId}\`.` });
      }
    }
  } else if (statusId !== undefined) {
    const holders = crm.pipelinesWithStatus(statusId);
    const preferred = current ? crm.pipeline(current.pipeline_id) : crm.mainPipeline();
    const pipeline = holders.find((p) => p.id === preferred?.id) ?? holders[0];
    if (!pipeline) errors.push({ code: "NotSupportedChoice", path: "status_id", detail: `Status \`${statusId}\` does not exist.` });
    else {
      out.pipeline_id = pipeline.id;
      out.status_id = statusId;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (!KNOWN_FIELDS.has(key)) extra[key] = value;
  if (Object.keys(extra).length > 0) out.extra = extra;
  return out;
}

function createLeads(ctx: RouteContext): Response {
  const { crm, url, body } = ctx;
  if (!Array.isArray(body) || body.length === 0) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be a non-empty array of leads." }));
  if (body.length > MAX_BATCH) throw new HttpAnswer(fieldProblem({ code: "TooMany", path: "", detail: `At most ${MAX_BATCH} leads per request.` }));
  const inputs: { input: NewLead; requestId: string }[] = [];
  const failures: RequestErrors[] = [];
  body.forEach((element, index) => {
    const errors: FieldError[] = [];
    const requestId = isObject(element) && typeof element.request_id === "string" ? element.request_id : String(index);
    if (!isObject(element)) errors.push({ code: "InvalidType", path: "", detail: "Each lead should be an object." });
    const input = isObject(element) ? readLeadInput(crm, element, errors) : {};
    if (errors.length > 0) failures.push({ request_id: requestId, errors });
    inputs.push({ input, requestId });
  });
  if (failures.length > 0) return validationProblem(failures);
  const created = inputs.map(({ input, requestId }) => {
    const lead = crm.createLead(input);
    return { id: lead.id, request_id: requestId, _links: selfLink(url.origin, `/api/v4/leads/${lead.id}`) };
  });
  return hal({ _links: selfLink(url.origin, "/api/v4/leads"), _embedded: { leads: created } });
}

function updateLead(ctx: RouteContext): Response {
  const { crm, url, body } = ctx;
  const lead = leadOr404(crm, ctx.params.id);
  if (!isObject(body)) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: "", detail: "The request body should be a lead object." }));
  const errors: FieldError[] = [];
  const patch = readLeadInput(crm, body, errors, lead);
  if (errors.length > 0) return fieldProblem(...errors);
  const updated = crm.updateLead(lead.id, patch)!;
  return hal({ id: updated.id, updated_at: updated.updated_at, _links: selfLink(url.origin, `/api/v4/leads/${updated.id}`) });
}

export const leadRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/leads", handle: listLeads },
  { method: "POST", pattern: "/api/v4/leads", handle: createLeads },
  { method: "GET", pattern: "/api/v4/leads/:id", handle: getLead },
  { method: "PATCH", pattern: "/api/v4/leads/:id", handle: updateLead },
];
