/** Kommo query strings: `filter[x][]`, `filter[statuses][0][pipeline_id]`, `order[field]`. */

export type QueryRecord = Record<string, string | string[]>;

/** Repeated keys become arrays, single keys stay strings. */
export function queryRecord(params: URLSearchParams): QueryRecord {
  const out: QueryRecord = {};
  for (const [key, value] of params) {
    const prior = out[key];
    if (prior === undefined) out[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[key] = [prior, value];
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every value of `base`, `base[]` and `base[N]` (e.g. `filter[pipeline_id]`). */
export function listParam(params: URLSearchParams, base: string): string[] {
  const pattern = new RegExp(`^${escape(base)}(\\[\\d*\\])?$`);
  const values: string[] = [];
  for (const [key, value] of params) if (pattern.test(key)) values.push(...value.split(",").filter((v) => v !== ""));
  return values;
}

export function scalarParam(params: URLSearchParams, key: string): string | undefined {
  const value = params.get(key);
  return value === null || value === "" ? undefined : value;
}

/** `filter[statuses][i][pipeline_id]` + `[status_id]` pairs; a status without its pipeline is ignored (as Kommo does). */
export function statusFilters(params: URLSearchParams): { pipelineId: number; statusId: number | undefined }[] {
  const byIndex = new Map<string, { pipeline?: string; status?: string }>();
  for (const [key, value] of params) {
    const match = /^filter\[statuses\]\[(\d+)\]\[(pipeline_id|status_id)\]$/.exec(key);
    if (!match) continue;
    const entry = byIndex.get(match[1]!) ?? {};
    if (match[2] === "pipeline_id") entry.pipeline = value;
    else entry.status = value;
    byIndex.set(match[1]!, entry);
  }
  const out: { pipelineId: number; statusId: number | undefined }[] = [];
  for (const entry of byIndex.values()) {
    if (entry.pipeline === undefined) continue;
    out.push({ pipelineId: Number(entry.pipeline), statusId: entry.status === undefined ? undefined : Number(entry.status) });
  }
  return out;
}
