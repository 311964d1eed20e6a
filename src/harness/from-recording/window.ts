/**
 * `--window FROM..TO`: which recorded calls become the scenario. Each bound is an ISO-8601 UTC
 * time (`2026-01-01T00:01:00Z`, `2026-01-01T00:01:00.250Z`) or an offset from the recording's
 * first call (`+90s`, `+1m30s`, `+1500ms`; units `ms s m h d`). Either bound may be left out
 * (`..+5m`, `+1m..`). The window is half-open: calls at FROM are in, calls at TO are out.
 */

export type WindowBound = { readonly kind: "at"; readonly ms: number } | { readonly kind: "offset"; readonly ms: number };

export interface WindowSpec {
  readonly from?: WindowBound;
  readonly to?: WindowBound;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

export const WINDOW_SYNTAX =
  "`FROM..TO`, each an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` or an offset from the recording's first call such as `+90s` or `+1m30s` (units ms, s, m, h, d); either may be left out";

const ISO_UTC = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/;
const OFFSET = /^\+((\d+)(ms|s|m|h|d))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseWindow(text: string): Parsed<WindowSpec> {
  const dots = text.indexOf("..");
  if (dots === -1) return { ok: false, message: `found \`${text}\`, expected ${WINDOW_SYNTAX}` };
  const fromText = text.slice(0, dots);
  const toText = text.slice(dots + 2);
  if (fromText === "" && toText === "") return { ok: false, message: `found \`${text}\`, a window with neither bound; expected ${WINDOW_SYNTAX}` };
  const from = fromText === "" ? undefined : parseBound(fromText);
  if (typeof from === "string") return { ok: false, message: `found FROM \`${fromText}\`, expected ${from}` };
  const to = toText === "" ? undefined : parseBound(toText);
  if (typeof to === "string") return { ok: false, message: `found TO \`${toText}\`, expected ${to}` };
  return { ok: true, value: { ...(from ? { from } : {}), ...(to ? { to } : {}) } };
}

/** A bound, or what was expected instead. */
function parseBound(text: string): WindowBound | string {
  if (text.startsWith("+")) {
    if (!OFFSET.test(text)) return "an offset such as `+90s`, `+1m30s` or `+1500ms` (a `+`, then numbers each followed by ms, s, m, h or d)";
    let ms = 0;
    for (const m of text.slice(1).matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return { kind: "offset", ms };
  }
  const iso = ISO_UTC.exec(text);
  const ms = iso ? Date.parse(text) : NaN;
  // Date.parse rolls 2026-02-30 over to March; the date must come back unchanged.
  if (!iso || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== iso[1]) {
    return "an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` (a real date, ending in `Z`) or an offset such as `+90s`";
  }
  return { kind: "at", ms };
}

/** The window in epoch ms, `[fromMs, toMs)`, given the time of the recording's first call. */
export function resolveWindow(spec: WindowSpec, firstMs: number): Parsed<{ readonly fromMs: number; readonly toMs: number }> {
  const at = (b: WindowBound | undefined, open: number): number => (b === undefined ? open : b.kind === "at" ? b.ms : firstMs + b.ms);
  const fromMs = at(spec.from, Number.NEGATIVE_INFINITY);
  const toMs = at(spec.to, Number.POSITIVE_INFINITY);
  if (fromMs >= toMs) {
    return { ok: false, message: `FROM (${new Date(fromMs).toISOString()}) is not before TO (${new Date(toMs).toISOString()}); expected a window that holds some time` };
  }
  return { ok: true, value: { fromMs, toMs } };
}
