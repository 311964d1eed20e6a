// Live activity: the decision stream with filters, each row opening its audit record; counters against max.
import { useEffect, useRef, useState } from "../vendor/hooks.js";
import { get, query } from "../api.js";
import { ErrorBox, html, time } from "../ui.js";
import { Counters } from "./servers.js";
import { useActivityStream } from "./live.js";

const MAX_ROWS = 500;
const FIELDS = [
  ["grant", "Grant"],
  ["server", "Server"],
  ["tool", "Tool"],
  ["decision", "Decision"],
  ["code", "Code"],
];

function Record({ id, onClose }) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setData(null);
    get(`decisions/${encodeURIComponent(id)}`).then(setData, setError);
  }, [id]);
  return html`<aside class="card record" data-testid="decision-record">
    <div class="page-head"><h2>Decision <code>${id}</code></h2><button class="link" onClick=${onClose}>close</button></div>
    <${ErrorBox} error=${error} />
    ${data ? html`<pre>${JSON.stringify(data.decision ?? null, null, 2)}</pre>${data.approvalSteps.length > 0 ? html`<h3>Approval steps</h3><pre>${JSON.stringify(data.approvalSteps, null, 2)}</pre>` : null}` : null}
  </aside>`;
}

function Row({ line, onOpen }) {
  if (line.event === "approval")
    return html`<tr class="approval-line"><td data-label="Time">${time(line.time)}</td><td data-label="Grant">${line.grant}</td><td data-label="Tool">${line.tool}</td><td data-label="Step"><span class="badge approval-${line.step}">approval ${line.step}</span></td><td data-label="By">${line.decidedBy ?? ""}${line.reason ? html` · ${line.reason}` : null}</td><td data-label="Approval"><code class="small">${line.approvalId}</code></td></tr>`;
  return html`<tr class="decision-line clickable" data-testid="activity-row" data-decision=${line.decision} tabindex="0" onClick=${() => onOpen(line.decisionId)} onKeyDown=${(e) => e.key === "Enter" && onOpen(line.decisionId)}>
    <td data-label="Time">${time(line.time)}</td><td data-label="Grant">${line.grant ?? "—"}</td><td data-label="Tool">${line.tool}</td>
    <td data-label="Decision"><span class=${`badge decision-${line.decision}`}>${line.decision}</span></td>
    <td data-label="Code">${line.code ? html`<code>${line.code}</code>` : ""}</td>
    <td data-label="Decision id"><code class="small">${line.decisionId}</code></td>
  </tr>`;
}

export function ActivityPage({ arg }) {
  const [filter, setFilter] = useState({});
  const [lines, setLines] = useState([]);
  const [counters, setCounters] = useState(null);
  const [error, setError] = useState(null);
  const refreshing = useRef(false);
  const open = (id) => (location.hash = `#/activity/${encodeURIComponent(id)}`);
  const loadCounters = () => {
    if (refreshing.current) return;
    refreshing.current = true;
    get("counters").then(setCounters, setError).finally(() => (refreshing.current = false));
  };
  useEffect(() => {
    get(`activity${query({ ...filter, limit: MAX_ROWS })}`).then((r) => setLines(r.lines.slice().reverse()), setError);
  }, [JSON.stringify(filter)]);
  useEffect(() => {
    loadCounters();
    const timer = setInterval(loadCounters, 2000);
    return () => clearInterval(timer);
  }, []);
  const live = useActivityStream(filter, (line) => {
    setLines((old) => [line, ...old].slice(0, MAX_ROWS));
    loadCounters();
  });
  const change = (key, value) => setFilter((f) => ({ ...f, [key]: value === "" ? undefined : value }));
  return html`<section>
    <div class="page-head"><h1>Activity</h1><span class=${`live ${live ? "on" : "off"}`}>${live ? "live" : "reconnecting"}</span></div>
    <${ErrorBox} error=${error} />
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      ${FIELDS.map(([key, label]) =>
        key === "decision"
          ? html`<label>${label} <select aria-label="decision filter" value=${filter.decision ?? ""} onChange=${(e) => change("decision", e.target.value)}><option value="">any</option><option value="allow">allow</option><option value="deny">deny</option></select></label>`
          : html`<label>${label} <input type="text" aria-label=${`${key} filter`} value=${filter[key] ?? ""} onChange=${(e) => change(key, e.target.value.trim())} /></label>`,
      )}
    </form>
    ${arg ? html`<${Record} id=${decodeURIComponent(arg)} onClose=${() => (location.hash = "#/activity")} />` : null}
    <div class="split">
      <div class="table-wrap">
        <table class="activity stack">
          <thead><tr><th>Time</th><th>Grant</th><th>Tool</th><th>Decision</th><th>Code</th><th>Decision id</th></tr></thead>
          <tbody>${lines.length === 0 ? html`<tr><td colspan="6" class="muted">No activity yet.</td></tr>` : lines.map((l, i) => html`<${Row} key=${l.decisionId ?? `${l.approvalId}-${l.step}-${i}`} line=${l} onOpen=${open} />`)}</tbody>
        </table>
      </div>
      <aside class="card counters-panel">
        <h2>Counters</h2>
        ${counters ? html`<${Counters} counters=${counters.counters} />` : html`<p class="muted">Loading…</p>`}
      </aside>
    </div>
  </section>`;
}
