/**
 * The replay report as a self-contained HTML page in the style of the scenario report: the counts
 * of each kind of change, the groups (server, tool, grant, code), the first examples with both
 * decisions, and the shadow rules' would-denies. No scripts, no network.
 */
import { COLOURS, CSS } from "../report/html-report.js";
import { xmlEscape as esc } from "../report/junit-report.js";
import type { ChangeKind, ReplayDiff } from "./replay-diff.js";
import type { ReplayedDecision } from "./replay.js";

const KIND_WORDS: Record<ChangeKind, string> = { newly_denied: "newly denied", newly_allowed: "newly allowed", denied_otherwise: "denied for another reason" };
const KIND_COLOURS: Record<ChangeKind, string> = { newly_denied: COLOURS.deny, newly_allowed: COLOURS.allow, denied_otherwise: COLOURS.toolError };

export function renderReplayHtml(diff: ReplayDiff, label: { readonly candidate: string; readonly baseline: string; readonly recording: string }): string {
  const kinds = ["newly_denied", "newly_allowed", "denied_otherwise"] as const;
  const badge = (kind: ChangeKind, n: number): string => `<span style="color:${KIND_COLOURS[kind]};font-weight:600">${n} ${KIND_WORDS[kind]}</span>`;
  const group = (title: string, table: ReplayDiff["byTool"]): string => {
    const rows = Object.entries(table);
    if (rows.length === 0) return "";
    return `<h3>By ${esc(title)}</h3><table><tr><th>${esc(title)}</th>${kinds.map((k) => `<th>${KIND_WORDS[k]}</th>`).join("")}</tr>${rows
      .map(([key, row]) => `<tr><td><code>${esc(key)}</code></td>${kinds.map((k) => `<td>${row[k] ?? 0}</td>`).join("")}</tr>`)
      .join("")}</table>`;
  };
  const decision = (d: ReplayedDecision): string => (d.decision === "allow" ? "allow" : `deny <code>${esc(d.code ?? "?")}</code> <code>${esc(d.rule ?? "?")}</code>`);
  const examples = kinds
    .flatMap((k) => diff.examples[k])
    .map((e) => `<tr><td>${esc(e.time)}</td><td>${esc(e.grant ?? "(no grant)")}</td><td><code>${esc(e.name)}</code></td><td>${decision(e.before)}</td><td style="color:${KIND_COLOURS[e.kind]}">${decision(e.after)}</td><td>${esc(e.source)}</td></tr>`)
    .join("");
  const shadowRows = Object.entries(diff.shadow.byRule)
    .map(([rule, n]) => `<tr><td><code>${esc(rule)}</code></td><td>${n}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>toolgate replay</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}
table{border-collapse:collapse;margin:6px 0 14px;background:#fff}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left;font-size:13px}h3{font-size:15px;margin:14px 0 4px}</style></head>
<body><h1>Replay: ${esc(label.candidate)}</h1>
<p class="summary">${diff.calls} recorded calls from <code>${esc(label.recording)}</code>, baseline ${esc(label.baseline)}: ${diff.changed === 0 ? "no decision changes" : kinds.map((k) => badge(k, diff.counts[k])).join(", ")}</p>
<div class="scenario">${group("server", diff.byServer)}${group("tool", diff.byTool)}${group("grant", diff.byGrant)}${group("code", diff.byCode)}
${examples === "" ? "" : `<h3>First examples</h3><table><tr><th>time</th><th>grant</th><th>name</th><th>baseline</th><th>candidate</th><th>recorded at</th></tr>${examples}</table>`}
${shadowRows === "" ? "" : `<h3>Shadow rules would log</h3><table><tr><th>rule</th><th>would-denies</th></tr>${shadowRows}</table>`}</div>
</body></html>
`;
}
