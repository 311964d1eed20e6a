/** `/api/v4/contacts` and `/api/v4/companies`: lists (query over name, phone, email), get by id. */
import { applyCommonFilters, applyOrder, customFieldTexts, queryMatcher } from "../list-filters.js";
import { pagedList, readPage } from "../pagination.js";
import { HttpAnswer, hal, problem } from "../problem.js";
import { renderCompany, renderContact, withSet } from "../render.js";
import type { Route, RouteContext } from "../router.js";

const ORDER_FIELDS = ["created_at", "updated_at", "id"] as const;

function listContacts(ctx: RouteContext): Response {
  const { crm, url } = ctx;
  const page = readPage(url.searchParams);
  let contacts = applyCommonFilters(crm.contacts(), url.searchParams);
  const match = queryMatcher(url.searchParams);
  if (match) contacts = contacts.filter((c) => match([c.name, c.first_name, c.last_name, ...customFieldTexts(c.custom_fields_values)]));
  contacts = applyOrder(contacts, url.searchParams, ORDER_FIELDS);
  const include = withSet(url);
  return pagedList(url, "contacts", contacts, page, (c) => renderContact(crm, c, url.origin, include));
}

function getContact(ctx: RouteContext): Response {
  const contact = ctx.crm.contact(Number(ctx.params.id));
  if (!contact) throw new HttpAnswer(problem(404, "Contact not found"));
  return hal(renderContact(ctx.crm, contact, ctx.url.origin, withSet(ctx.url)));
}

function listCompanies(ctx: RouteContext): Response {
  const { crm, url } = ctx;
  const page = readPage(url.searchParams);
  let companies = applyCommonFilters(crm.companies(), url.searchParams);
  const match = queryMatcher(url.searchParams);
  if (match) companies = companies.filter((c) => match([c.name, ...customFieldTexts(c.custom_fields_values)]));
  companies = applyOrder(companies, url.searchParams, ORDER_FIELDS);
  return pagedList(url, "companies", companies, page, (c) => renderCompany(crm, c, url.origin));
}

function getCompany(ctx: RouteContext): Response {
  const company = ctx.crm.company(Number(ctx.params.id));
  if (!company) throw new HttpAnswer(problem(404, "Company not found"));
  return hal(renderCompany(ctx.crm, company, ctx.url.origin));
}

export const contactCompanyRoutes: readonly Route[] = [
  { method: "GET", pattern: "/api/v4/contacts", handle: listContacts },
  { method: "GET", pattern: "/api/v4/contacts/:id", handle: getContact },
  { method: "GET", pattern: "/api/v4/companies", handle: listCompanies },
  { method: "GET", pattern: "/api/v4/companies/:id", handle: getCompany },
];
