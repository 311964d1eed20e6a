/**
 * Paging and HAL list envelopes: `page` is 1-based, `limit` defaults to 50 and may not exceed 250;
 * `_links.next` appears only when another page exists; an empty page is HTTP 204 with no body.
 */
import { HttpAnswer, empty, fieldProblem, hal } from "./problem.js";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 250;

export interface PageRequest {
  readonly page: number;
  readonly limit: number;
}

function positiveInt(params: URLSearchParams, key: string, fallback: number): number {
  const raw = params.get(key);
  if (raw === null || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: key, detail: `This value should be of type int, found \`${raw}\`.` }));
  if (value < 1) throw new HttpAnswer(fieldProblem({ code: "TooLow", path: key, detail: "This value should be 1 or more." }));
  return value;
}

/** Reads `page`/`limit`; a bad value answers 400 problem+json (thrown as `HttpAnswer`). */
export function readPage(params: URLSearchParams): PageRequest {
  const limit = positiveInt(params, "limit", DEFAULT_LIMIT);
  if (limit > MAX_LIMIT) throw new HttpAnswer(fieldProblem({ code: "TooHigh", path: "limit", detail: `This value should be ${MAX_LIMIT} or less.` }));
  return { page: positiveInt(params, "page", 1), limit };
}

function href(url: URL, page: number, limit: number): { href: string } {
  const target = new URL(url.pathname, url.origin);
  for (const [key, value] of url.searchParams) if (key !== "page" && key !== "limit") target.searchParams.append(key, value);
  target.searchParams.set("page", String(page));
  target.searchParams.set("limit", String(limit));
  return { href: target.toString() };
}

export interface PageLinks {
  self: { href: string };
  next?: { href: string };
  first?: { href: string };
  prev?: { href: string };
}

export function pageLinks(url: URL, page: PageRequest, hasNext: boolean): PageLinks {
  const links: PageLinks = { self: href(url, page.page, page.limit) };
  if (hasNext) links.next = href(url, page.page + 1, page.limit);
  if (page.page > 1) {
    links.first = href(url, 1, page.limit);
    links.prev = href(url, page.page - 1, page.limit);
  }
  return links;
}

export interface PagedEnvelopeOptions {
  /** Adds `_total_items` (pipelines, statuses, loss reasons, users). */
  readonly totalItems?: boolean;
  /** Adds `_page_count` (users). */
  readonly pageCount?: boolean;
}

/**
 * One page of `items` as `{_page, _links, _embedded:{<entity>: [...]}}`, or 204 when the page is
 * empty. `render` turns a record into its wire form.
 */
export function pagedList<T>(url: URL, entity: string, items: readonly T[], page: PageRequest, render: (item: T) => unknown, options: PagedEnvelopeOptions = {}): Response {
  const start = (page.page - 1) * page.limit;
  const slice = items.slice(start, start + page.limit);
  if (slice.length === 0) return empty(204);
  const body: Record<string, unknown> = {};
  if (options.totalItems) body._total_items = items.length;
  body._page = page.page;
  if (options.pageCount) body._page_count = Math.ceil(items.length / page.limit);
  body._links = pageLinks(url, page, start + page.limit < items.length);
  body._embedded = { [entity]: slice.map(render) };
  return hal(body);
}

/** An unpaged collection `{_total_items, _links:{self}, _embedded:{<entity>}}`, or 204 when empty. */
export function wholeList(url: URL, entity: string, items: readonly unknown[]): Response {
  if (items.length === 0) return empty(204);
  return hal({ _total_items: items.length, _links: { self: { href: url.toString() } }, _embedded: { [entity]: items } });
}
