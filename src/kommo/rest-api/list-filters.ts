/** The list filters shared by leads, contacts, companies and tasks: ids, users, time ranges, order, query. */
import { HttpAnswer, fieldProblem } from "./problem.js";
import { listParam, scalarParam } from "./query.js";

interface Filterable {
  readonly id: number;
  readonly responsible_user_id: number;
  readonly created_at: number;
  readonly updated_at: number;
}

function numbers(params: URLSearchParams, base: string): number[] {
  const values = listParam(params, base);
  return values.map((raw) => {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: base, detail: `This value should be a number, found \`${raw}\`.` }));
    return value;
  });
}

/** `filter[<field>][from|to]` (Unix seconds, inclusive), or undefined when neither is given. */
export function rangeFilter(params: URLSearchParams, field: string): ((value: number | null) => boolean) | undefined {
  const from = scalarParam(params, `filter[${field}][from]`);
  const to = scalarParam(params, `filter[${field}][to]`);
  if (from === undefined && to === undefined) return undefined;
  const fromS = from === undefined ? Number.NEGATIVE_INFINITY : Number(from);
  const toS = to === undefined ? Number.POSITIVE_INFINITY : Number(to);
  if (Number.isNaN(fromS) || Number.isNaN(toS)) throw new HttpAnswer(fieldProblem({ code: "InvalidType", path: `filter.${field}`, detail: "This value should be a Unix timestamp." }));
  return (value) => value !== null && value >= fromS && value <= toS;
}

/** `filter[id][]`, `filter[responsible_user_id][]`, `filter[created_at|updated_at][from|to]`. */
export function applyCommonFilters<T extends Filterable>(items: readonly T[], params: URLSearchParams): T[] {
  let out = [...items];
  const ids = numbers(params, "filter[id]");
  if (ids.length > 0) out = out.filter((x) => ids.includes(x.id));
  const users = numbers(params, "filter[responsible_user_id]");
  if (users.length > 0) out = out.filter((x) => users.includes(x.responsible_user_id));
  const created = rangeFilter(params, "created_at");
  if (created) out = out.filter((x) => created(x.created_at));
  const updated = rangeFilter(params, "updated_at");
  if (updated) out = out.filter((x) => updated(x.updated_at));
  return out;
}

export { numbers as numberListParam };

/** `order[<field>]=asc|desc` over the allowed fields; default id ascending. */
export function applyOrder<T extends { readonly id: number }>(items: T[], params: URLSearchParams, fields: readonly string[]): T[] {
  for (const [key, value] of params) {
    const match = /^order\[(\w+)\]$/.exec(key);
    if (!match) continue;
    const field = match[1]!;
    if (!fields.includes(field)) throw new HttpAnswer(fieldProblem({ code: "NotSupportedChoice", path: `order.${field}`, detail: `Ordering by \`${field}\` is not supported; expected one of ${fields.join(", ")}.` }));
    const dir = value.toLowerCase();
    if (dir !== "asc" && dir !== "desc") throw new HttpAnswer(fieldProblem({ code: "NotSupportedChoice", path: `order.${field}`, detail: `Found \`${value}\`; expected asc or desc.` }));
    const sign = dir === "asc" ? 1 : -1;
    return items.sort((a, b) => {
      const va = (a as unknown as Record<string, unknown>)[field];
      const vb = (b as unknown as Record<string, unknown>)[field];
      const na = typeof va === "number" ? va : Number.NEGATIVE_INFINITY;
      const nb = typeof vb === "number" ? vb : Number.NEGATIVE_INFINITY;
      return (na - nb) * sign || (a.id - b.id) * sign;
    });
  }
  return items.sort((a, b) => a.id - b.id);
}

/** The text a `query` matches: lowercase substring, or digits-only substring for phone-like queries. */
export function queryMatcher(params: URLSearchParams): ((texts: readonly string[]) => boolean) | undefined {
  const query = scalarParam(params, "query")?.trim().toLowerCase();
  if (query === undefined || query === "") return undefined;
  const digits = query.replace(/\D/g, "");
  const phoneLike = digits.length >= 3 && /^[\d\s()+-]+$/.test(query);
  return (texts) =>
    texts.some((text) => {
      const lower = text.toLowerCase();
      if (lower.includes(query)) return true;
      return phoneLike && lower.replace(/\D/g, "").includes(digits);
    });
}

/** Every custom field value of a record as text (phones, emails, ...). */
export function customFieldTexts(values: readonly { values: readonly { value: string | number | boolean }[] }[] | null): string[] {
  if (!values) return [];
  return values.flatMap((field) => field.values.map((v) => String(v.value)));
}
