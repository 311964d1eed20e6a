import { fc, test as prop } from "@fast-check/vitest";
import { expect, test } from "vitest";
import { parseWindow, resolveWindow, WINDOW_SYNTAX, type WindowSpec } from "../../../../src/harness/from-recording/window.js";

const FIRST = Date.UTC(2026, 0, 1, 9, 0, 0);

function window(text: string): WindowSpec {
  const parsed = parseWindow(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

function range(text: string): { fromMs: number; toMs: number } {
  const r = resolveWindow(window(text), FIRST);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

test("ISO-8601 UTC times are absolute instants, with or without seconds and milliseconds", () => {
  expect(range("2026-01-01T09:01:00Z..2026-01-01T09:02:30.250Z")).toEqual({ fromMs: FIRST + 60_000, toMs: FIRST + 150_250 });
  expect(range("2026-01-01T09:01Z..")).toEqual({ fromMs: FIRST + 60_000, toMs: Number.POSITIVE_INFINITY });
});

test("offsets count from the recording's first call, in ms, s, m, h and d, and add up", () => {
  expect(range("+90s..+1m45s")).toEqual({ fromMs: FIRST + 90_000, toMs: FIRST + 105_000 });
  expect(range("+1500ms..+1d2h")).toEqual({ fromMs: FIRST + 1_500, toMs: FIRST + 26 * 3_600_000 });
  expect(range("..+5m")).toEqual({ fromMs: Number.NEGATIVE_INFINITY, toMs: FIRST + 300_000 });
});

test("the two kinds of bound mix", () => {
  expect(range("+1m..2026-01-01T09:03:00Z")).toEqual({ fromMs: FIRST + 60_000, toMs: FIRST + 180_000 });
});

test.each([
  ["+1m", `found \`+1m\`, expected ${WINDOW_SYNTAX}`],
  ["..", `found \`..\`, a window with neither bound; expected ${WINDOW_SYNTAX}`],
  ["+1x..", "found FROM `+1x`, expected an offset such as `+90s`, `+1m30s` or `+1500ms` (a `+`, then numbers each followed by ms, s, m, h or d)"],
  ["..-5m", "found TO `-5m`, expected an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` (a real date, ending in `Z`) or an offset such as `+90s`"],
  ["2026-01-01T09:00:00+02:00..", "found FROM `2026-01-01T09:00:00+02:00`, expected an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` (a real date, ending in `Z`) or an offset such as `+90s`"],
  ["2026-02-30T00:00:00Z..", "found FROM `2026-02-30T00:00:00Z`, expected an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` (a real date, ending in `Z`) or an offset such as `+90s`"],
  ["yesterday..+1m", "found FROM `yesterday`, expected an ISO-8601 UTC time such as `2026-01-01T00:01:00Z` (a real date, ending in `Z`) or an offset such as `+90s`"],
])("`%s` is refused: %s", (text, message) => {
  expect(parseWindow(text)).toEqual({ ok: false, message });
});

test("a window whose FROM is not before its TO is refused with both instants", () => {
  expect(resolveWindow(window("+2m..+1m"), FIRST)).toEqual({ ok: false, message: "FROM (2026-01-01T09:02:00.000Z) is not before TO (2026-01-01T09:01:00.000Z); expected a window that holds some time" });
  expect(resolveWindow(window("+1m..+1m"), FIRST).ok).toBe(false);
});

prop.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom("ms", "s", "m", "h", "d")), { minLength: 1, maxLength: 4 })])(
  "an offset is the sum of its parts",
  (parts) => {
    const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
    const text = `+${parts.map(([n, u]) => `${n}${u}`).join("")}`;
    const spec = window(`${text}..`);
    expect(spec.from).toEqual({ kind: "offset", ms: parts.reduce((sum, [n, u]) => sum + n * unit[u]!, 0) });
  },
);
