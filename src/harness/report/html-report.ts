/**
 * A self-contained HTML page (inline CSS and SVG, no scripts, no network): each scenario as a
 * timeline — calls as marks coloured by decision (approval required apart from other denials),
 * one lane per agent, calls that stayed open (held for approval, slow upstream) as bars from issue
 * to answer, human approval decisions as diamonds; each counter's level against its max; window
 * boundaries as dashed lines — followed by its steps and mismatches.
 */
import type { ApprovalMark, CallRecord, CounterSample, RunReport, ScenarioResult } from "../result.js";
import { xmlEscape as esc } from "./junit-report.js";

const PLOT_WIDTH = 1060;
const LABEL_WIDTH = 190;
const AGENT_LANE = 54;
const COUNTER_LANE = 70;
const AXIS = 28;

export const COLOURS = {
  allow: "#2e9d4f",
  toolError: "#d99a00",
  deny: "#d93b3b",
  /** Denied `approval_required`: waiting for a human, not refused. */
  approval: "#1c8fb0",
  error: "#7b3fbf",
  skipped: "#8a8f98",
  approve: "#1f7a3a",
  reject: "#a31f1f",
} as const;

type MarkKind = "allow" | "toolError" | "approval" | "deny" | "error";

function kindOf(call: CallRecord): MarkKind {
  if (call.outcome === "deny") return call.code === "approval_required" ? "approval" : "deny";
  if (call.outcome === "error") return "error";
  return call.isError ? "toolError" : "allow";
}

const KIND_WORDS: Record<MarkKind, string> = { allow: "allowed", toolError: "allowed (tool error)", approval: "approval required", deny: "denied", error: "JSON-RPC error" };

function niceStep(spanMs: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  return steps.find((s) => spanMs / s <= 12) ?? 86_400_000;
}

export function formatMs(ms: number): string {
  if (ms === 0) return "0";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1_000 === 0) return `${ms / 1_000} s`;
  if (ms >= 1_000) return `${(ms / 1_000).toFixed(ms % 100 === 0 ? 1 : 3)} s`;
  return `${ms} ms`;
}

interface Column {
  readonly x: number;
  readonly calls: CallRecord[];
}

function columns(calls: readonly CallRecord[], scale: (ms: number) => number): Column[] {
  const byX = new Map<number, CallRecord[]>();
  for (const call of calls) {
    const x = Math.round(scale(call.startMs));
    const list = byX.get(x) ?? [];
    list.push(call);
    byX.set(x, list);
  }
  return [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, list]) => ({ x, calls: list }));
}

function agentLane(calls: readonly CallRecord[], y: number, scale: (ms: number) => number, maxPerColumn: number): string {
  const parts: string[] = [];
  const height = AGENT_LANE - 12;
  for (const column of columns(calls, scale)) {
    // Stack the column's calls by outcome; heights grow with the count (sqrt, so one call stays visible).
    const total = column.calls.length;
    const columnHeight = Math.max(8, Math.round(height * Math.sqrt(total / Math.max(1, maxPerColumn))));
    const order = ["allow", "toolError", "approval", "deny", "error"] as const;
    const counts: Record<MarkKind, number> = { allow: 0, toolError: 0, approval: 0, deny: 0, error: 0 };
    for (const c of column.calls) counts[kindOf(c)]++;
    let top = y + AGENT_LANE - 6;
    const first = column.calls[0]!;
    const firstDeny = column.calls.find((c) => c.outcome === "deny");
    const approvalIds = [...new Set(column.calls.map((c) => c.approvalId).filter((id): id is string => id !== undefined))];
    const tip = `${formatMs(first.startMs)}: ${total} call${total === 1 ? "" : "s"} to ${[...new Set(column.calls.map((c) => c.tool))].join(", ")}` +
      ` — ${order.filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${KIND_WORDS[k]}`).join(", ")}` +
      (firstDeny?.code ? `; first denial: ${firstDeny.code} ${firstDeny.rule ?? ""}` : "") +
      (approvalIds.length > 0 ? `; approval ${approvalIds.join(", ")}` : "") +
      ([...column.calls].find((c) => c.retryAfterMs !== undefined) ? `; retryAfterMs ${[...column.calls].find((c) => c.retryAfterMs !== undefined)!.retryAfterMs}` : "");
    parts.push(`<g><title>${esc(tip)}</title>`);
    for (const kind of order) {
      if (counts[kind] === 0) continue;
      const h = Math.max(2, Math.round((columnHeight * counts[kind]) / total));
      top -= h;
      parts.push(`<rect x="${column.x - 1.5}" y="${top}" width="3" height="${h}" fill="${COLOURS[kind]}"/>`);
    }
    parts.push("</g>");
  }
  return parts.join("");
}

/** Calls that stayed open for a while (held for approval, a slow upstream): a bar from issue to answer. */
function openBars(calls: readonly CallRecord[], y: number, scale: (ms: number) => number): string {
  const long = calls.filter((c) => scale(c.endMs) - scale(c.startMs) >= 4);
  if (long.length === 0 || long.length > 400) return "";
  return long
    .map((c, i) => {
      const barY = y + 14 + (i % 4) * 4;
      const tip = `${c.tool}: issued at ${formatMs(c.startMs)}, answered at ${formatMs(c.endMs)} (${formatMs(c.endMs - c.startMs)} open) — ${KIND_WORDS[kindOf(c)]}${c.code ? ` ${c.code}` : ""}${c.approvalId ? ` (approval ${c.approvalId})` : ""}`;
      return `<g><title>${esc(tip)}</title><line x1="${scale(c.startMs).toFixed(1)}" x2="${scale(c.endMs).toFixed(1)}" y1="${barY}" y2="${barY}" stroke="${COLOURS[kindOf(c)]}" class="open"/><circle cx="${scale(c.endMs).toFixed(1)}" cy="${barY}" r="2" fill="${COLOURS[kindOf(c)]}"/></g>`;
    })
    .join("");
}

/** A red ring above each call of a failed step (one per x position), titled with the step's first mismatch. */
function failureRings(calls: readonly CallRecord[], failed: ReadonlyMap<string, string>, y: number, scale: (ms: number) => number): string {
  const seen = new Set<number>();
  const parts: string[] = [];
  for (const call of calls) {
    const why = failed.get(call.step);
    if (why === undefined) continue;
    const x = Math.round(scale(call.startMs));
    if (seen.has(x) || seen.size > 200) continue;
    seen.add(x);
    parts.push(`<g><title>${esc(`${call.step} failed: ${why}`)}</title><circle cx="${x}" cy="${y + 6}" r="4" class="failed-ring"/></g>`);
  }
  return parts.join("");
}

/** Human approval decisions on the lane of the agent whose step asked: a diamond at the decision's time. */
function decisionMarks(marks: readonly ApprovalMark[], y: number, scale: (ms: number) => number): string {
  return marks
    .map((m) => {
      const x = scale(m.atMs);
      const cy = y + AGENT_LANE / 2;
      const taken = m.outcome === "decided";
      const colour = m.decide === "approve" ? COLOURS.approve : COLOURS.reject;
      const tip = `${formatMs(m.atMs)}: a human ${m.decide === "approve" ? "approves" : "denies"} ${m.approvalId ?? "(no approval found)"} asked by ${m.of} — ${taken ? "decided" : m.outcome === "refused" ? `refused (${m.reason ?? "?"})` : "no approval to decide"}`;
      const fill = taken ? colour : "#fff";
      return `<g><title>${esc(tip)}</title><path d="M${x.toFixed(1)} ${cy - 7}l6 7-6 7-6-7z" fill="${fill}" stroke="${colour}" stroke-width="1.6"/></g>`;
    })
    .join("");
}

function counterLane(samples: readonly CounterSample[], y: number, scale: (ms: number) => number, endMs: number): string {
  const max = samples[0]?.max ?? 1;
  const top = Math.max(max, ...samples.map((s) => s.used), 1);
  const h = COUNTER_LANE - 16;
  const yOf = (used: number): number => y + 8 + h - (h * used) / top;
  const points: string[] = [];
  let level = 0;
  let windowEnd = Number.POSITIVE_INFINITY;
  let t = 0;
  const moveTo = (ms: number): void => {
    if (windowEnd <= ms && level !== 0) {
      points.push(`${scale(windowEnd).toFixed(1)},${yOf(level).toFixed(1)}`, `${scale(windowEnd).toFixed(1)},${yOf(0).toFixed(1)}`);
      level = 0;
    }
    t = ms;
  };
  points.push(`${scale(0).toFixed(1)},${yOf(0).toFixed(1)}`);
  const refusals: string[] = [];
  for (const s of samples) {
    moveTo(s.atMs);
    if (s.event === "refuse") {
      refusals.push(`<circle cx="${scale(s.atMs).toFixed(1)}" cy="${yOf(Math.min(s.used, top)).toFixed(1)}" r="2.2" fill="${COLOURS.deny}"/>`);
      continue;
    }
    points.push(`${scale(t).toFixed(1)},${yOf(level).toFixed(1)}`, `${scale(t).toFixed(1)},${yOf(s.used).toFixed(1)}`);
    level = s.used;
    windowEnd = s.windowEndMs;
  }
  moveTo(endMs);
  points.push(`${scale(endMs).toFixed(1)},${yOf(level).toFixed(1)}`);
  const maxLine = `<line x1="${scale(0)}" x2="${scale(endMs)}" y1="${yOf(max)}" y2="${yOf(max)}" class="max"/><text x="${scale(endMs) + 4}" y="${yOf(max) + 4}" class="small">max ${max}</text>`;
  return `${maxLine}<polyline points="${points.join(" ")}" class="level"/>${refusals.join("")}`;
}

function boundaries(result: ScenarioResult, endMs: number): number[] {
  const all = new Set<number>();
  for (const w of [...result.windows].sort((a, b) => b.windowMs - a.windowMs)) {
    const first = Math.ceil(result.startMs / w.windowMs) * w.windowMs - result.startMs;
    const next: number[] = [];
    for (let t = first; t <= endMs && next.length <= 120; t += w.windowMs) if (t > 0) next.push(t);
    if (next.length > 120) continue;
    if (all.size + next.length > 160) break;
    for (const t of next) all.add(t);
  }
  return [...all].sort((a, b) => a - b);
}

export function renderTimeline(result: ScenarioResult): string {
  const agents = result.agents.length > 0 ? [...result.agents] : [...new Set(result.calls.map((c) => c.agent))];
  const keys = [...new Set(result.counters.map((c) => c.key))];
  const stepTimes = result.steps.map((s) => s.atMs);
  const lastMs = Math.max(1, result.endMs, ...result.calls.map((c) => c.endMs), ...stepTimes);
  const spanMs = lastMs * 1.03;
  const scale = (ms: number): number => LABEL_WIDTH + (PLOT_WIDTH * ms) / spanMs;
  const height = AXIS + agents.length * AGENT_LANE + keys.length * COUNTER_LANE + 8;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + 60}" height="${height}" role="img" aria-label="timeline of ${esc(result.name)}">`);
  // Axis.
  const tick = niceStep(spanMs);
  for (let t = 0; t <= spanMs; t += tick) {
    parts.push(`<line x1="${scale(t)}" x2="${scale(t)}" y1="${AXIS - 6}" y2="${height}" class="tick"/><text x="${scale(t)}" y="${AXIS - 10}" class="axis">${esc(formatMs(t))}</text>`);
  }
  for (const t of boundaries(result, lastMs)) {
    parts.push(`<line x1="${scale(t)}" x2="${scale(t)}" y1="${AXIS - 4}" y2="${height}" class="window"><title>window boundary at ${esc(formatMs(t))}</title></line>`);
  }
  const failed = new Map(result.steps.filter((st) => st.verdict === "failed" && st.id.startsWith("agents[")).map((st) => [st.id, st.mismatches[0] ?? "failed"]));
  let y = AXIS;
  const maxPerColumn = Math.max(1, ...agents.map((a) => Math.max(0, ...columns(result.calls.filter((c) => c.agent === a), scale).map((c) => c.calls.length))));
  for (const agent of agents) {
    const calls = result.calls.filter((c) => c.agent === agent);
    const allowed = calls.filter((c) => c.outcome === "allow").length;
    parts.push(`<rect x="0" y="${y}" width="${LABEL_WIDTH + PLOT_WIDTH}" height="${AGENT_LANE}" class="lane"/>`);
    parts.push(`<text x="8" y="${y + 22}" class="label">agent ${esc(agent)}</text><text x="8" y="${y + 38}" class="small">${calls.length} calls, ${allowed} allowed</text>`);
    parts.push(openBars(calls, y, scale));
    parts.push(agentLane(calls, y, scale, maxPerColumn));
    parts.push(failureRings(calls, failed, y, scale));
    parts.push(decisionMarks((result.approvals ?? []).filter((m) => m.of.slice(0, m.of.indexOf("/")) === agent), y, scale));
    y += AGENT_LANE;
  }
  for (const key of keys) {
    const samples = result.counters.filter((c) => c.key === key);
    parts.push(`<rect x="0" y="${y}" width="${LABEL_WIDTH + PLOT_WIDTH}" height="${COUNTER_LANE}" class="lane counter"/>`);
    const short = key.length > 30 ? `${key.slice(0, 29)}…` : key;
    parts.push(`<text x="8" y="${y + 24}" class="label"><title>${esc(key)}</title>${esc(short)}</text><text x="8" y="${y + 40}" class="small">counter level / max</text>`);
    parts.push(counterLane(samples, y, scale, lastMs));
    y += COUNTER_LANE;
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/** The report's stylesheet; other pages in the same style (the replay report) reuse it. */
export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0}
.summary{margin:0 0 18px;color:#444}.scenario{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px;margin:0 0 18px}
.head{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}.purpose{color:#555;margin:4px 0 10px}
.badge{font-size:12px;font-weight:600;padding:2px 8px;border-radius:10px;color:#fff}.passed{background:${COLOURS.allow}}.failed{background:${COLOURS.deny}}.skipped{background:${COLOURS.skipped}}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
svg{display:block;max-width:100%;height:auto;margin:6px 0}svg.key{display:inline-block;margin:0 4px 0 0;vertical-align:-1px}svg text{font:11px system-ui,sans-serif;fill:#333}svg .label{font-weight:600;font-size:12px}svg .small{font-size:10px;fill:#666}
svg .axis{text-anchor:middle;font-size:10px;fill:#666}svg .tick{stroke:#eef0f3}svg .window{stroke:#6b7a99;stroke-dasharray:4 3;stroke-width:1}
svg .lane{fill:none;stroke:#e3e6eb}svg .open{stroke-width:2;stroke-linecap:round;opacity:.75}svg .failed-ring{fill:none;stroke:${COLOURS.deny};stroke-width:1.8}svg .lane.counter{fill:#fbfbfd}svg .level{fill:none;stroke:#2f6fd6;stroke-width:1.6}svg .max{stroke:${COLOURS.deny};stroke-dasharray:6 3;stroke-width:1}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-top:1px solid #eceef2;padding:3px 6px;text-align:left;vertical-align:top}
td.v-failed{color:${COLOURS.deny};font-weight:600}td.v-skipped{color:${COLOURS.skipped}}td.v-passed{color:${COLOURS.allow}}
pre{white-space:pre-wrap;background:#fff4f4;border:1px solid #f1c7c7;padding:8px;border-radius:6px;margin:6px 0;font-size:12px}
details summary{cursor:pointer;color:#334}`;

function scenarioSection(result: ScenarioResult): string {
  const problems = [
    ...(result.loadIssues ?? []).map((i) => `${result.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`),
    ...(result.error ? [result.error] : []),
    ...result.steps.flatMap((s) => s.mismatches.map((m) => `${s.id}: ${m}`)),
  ];
  const rows = result.steps
    .map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(formatMs(s.atMs))}</td><td>${esc(s.agent ?? "")}</td><td>${esc(s.summary)}${s.label ? ` <em>${esc(s.label)}</em>` : ""}</td><td class="v-${s.verdict}">${s.verdict}${s.skipReason ? `: ${esc(s.skipReason)}` : ""}</td></tr>`)
    .join("\n");
  const allowed = result.calls.filter((c) => c.outcome === "allow").length;
  const decided = result.approvals ?? [];
  const extras = [
    ...(decided.length > 0 ? [`${decided.length} human approval decision${decided.length === 1 ? "" : "s"}`] : []),
    ...(result.wouldDeny !== undefined ? [`${result.wouldDeny} would-deny in the audit (shadow)`] : []),
  ].map((x) => ` · ${esc(x)}`).join("");
  return `<section class="scenario" id="${esc(result.name)}">
<div class="head"><h2>${esc(result.name)}</h2><span class="badge ${result.verdict}">${result.verdict}</span><span class="small">${result.calls.length} calls, ${allowed} allowed${extras} · ${result.mode} clock · ${result.durationMs} ms</span></div>
<div class="purpose">${esc(result.purpose)}</div>
${problems.length > 0 ? `<pre>${esc(problems.join("\n"))}</pre>` : ""}
${result.loadIssues ? "" : renderTimeline(result)}
<details${result.verdict === "failed" ? " open" : ""}><summary>${result.steps.length} steps</summary>
<table><thead><tr><th>step</th><th>at</th><th>agent</th><th>what</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table></details>
</section>`;
}

export function renderHtml(report: RunReport): string {
  const { passed, failed, skipped } = report.totals;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>toolgate check: ${passed} passed, ${failed} failed</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<h1>toolgate check</h1>
<p class="summary">${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""} · gateway: ${esc(report.gateway)} · ${esc(report.startedAt)}</p>
<p class="legend"><span><i style="background:${COLOURS.allow}"></i>allowed</span><span><i style="background:${COLOURS.toolError}"></i>allowed, tool error</span><span><i style="background:${COLOURS.approval}"></i>approval required</span><span><i style="background:${COLOURS.deny}"></i>denied</span><span><i style="background:${COLOURS.error}"></i>JSON-RPC error</span><span><i style="background:#2f6fd6"></i>counter level</span><span><svg class="key" width="14" height="12" viewBox="0 0 14 12"><path d="M7 0l6 6-6 6-6-6z" fill="${COLOURS.approve}"/></svg>human approves</span><span><svg class="key" width="14" height="12" viewBox="0 0 14 12"><path d="M7 0l6 6-6 6-6-6z" fill="${COLOURS.reject}"/></svg>human denies (hollow: refused)</span><span>bar: call held open until answered</span><span><svg class="key" width="12" height="12" viewBox="0 0 12 12"><circle cx="6" cy="6" r="4" fill="none" stroke="${COLOURS.deny}" stroke-width="1.8"/></svg>call of a failed step</span><span>dashed grey: window boundary · dashed red: max</span></p>
${report.scenarios.map(scenarioSection).join("\n")}
</body></html>
`;
}
