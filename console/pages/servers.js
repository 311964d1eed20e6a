// Servers and tools: the upstream with its state, every tool with its risk, annotations, schema, rule state and counters.
import { useCallback, useEffect, useState } from "../vendor/hooks.js";
import { get, query } from "../api.js";
import { duration, ErrorBox, html, Meter, RiskBadge, StateBadge } from "../ui.js";

const HINTS = [
  ["readOnlyHint", "read-only"],
  ["destructiveHint", "destructive"],
  ["idempotentHint", "idempotent"],
  ["openWorldHint", "open world"],
];

function Annotations({ annotations }) {
  if (!annotations) return html`<span class="muted">none</span>`;
  const shown = HINTS.filter(([k]) => annotations[k] !== undefined);
  if (shown.length === 0) return html`<span class="muted">none</span>`;
  return html`<span class="hints">${shown.map(([k, label]) => html`<span class=${`hint ${annotations[k] ? "yes" : "no"}`} title=${`${k}: ${annotations[k]}`}>${annotations[k] ? "" : "not "}${label}</span>`)}</span>`;
}

export function Counters({ counters }) {
  if (counters.length === 0) return html`<span class="muted">no limit</span>`;
  return html`<ul class="counters">${counters.map(
    (c) => html`<li data-testid="counter" data-counter=${c.counter}>
      <code>${c.counter}</code> <span class="muted">${c.scope} · ${typeof c.window === "number" ? `${c.window}s` : c.window}${c.shadow ? " · shadow" : ""}</span>
      <${Meter} used=${c.used} max=${c.max} />
      ${c.resetInMs !== undefined ? html`<span class="muted">resets in ${duration(c.resetInMs)}</span>` : null}
    </li>`,
  )}</ul>`;
}

function ToolRow({ tool }) {
  const [open, setOpen] = useState(false);
  return html`<tr data-testid="tool-row" data-tool=${tool.name}>
    <td>
      <button class="link tool-name" aria-expanded=${open} onClick=${() => setOpen(!open)}>${tool.name}</button>
      ${tool.description ? html`<div class="muted small">${tool.description}</div>` : null}
      ${open ? html`<pre class="schema">${JSON.stringify(tool.inputSchema ?? null, null, 2)}</pre>` : null}
    </td>
    <td data-label="Risk"><${RiskBadge} risk=${tool.risk} /><div class="muted small">${tool.riskEvidence}</div></td>
    <td data-label="State now"><${StateBadge} state=${tool.state} /><div class="muted small"><code>${tool.stateRule}</code>${tool.denyReason ? html` · ${tool.denyReason}` : null}${tool.approvalTtlMs ? html` · ttl ${duration(tool.approvalTtlMs)}` : null}</div></td>
    <td data-label="Annotations"><${Annotations} annotations=${tool.annotations} /></td>
    <td data-label="Counters"><${Counters} counters=${tool.counters} /></td>
  </tr>`;
}

export function ServersPage() {
  const [grant, setGrant] = useState("");
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const load = useCallback(
    async (refresh) => {
      try {
        setData(await get(`servers${query({ grant, refresh: refresh ? 1 : undefined })}`));
        setError(null);
      } catch (e) {
        setError(e);
      }
    },
    [grant],
  );
  useEffect(() => {
    load(false);
    const timer = setInterval(() => load(false), 5000);
    return () => clearInterval(timer);
  }, [load]);
  return html`<section>
    <div class="page-head">
      <h1>Servers & tools</h1>
      ${data && data.grants.length > 1 ? html`<label>Grant <select value=${data.grant} onChange=${(e) => setGrant(e.target.value)}>${data.grants.map((g) => html`<option value=${g}>${g}</option>`)}</select></label>` : null}
      <button class="secondary" onClick=${() => load(true)}>Refresh</button>
    </div>
    <${ErrorBox} error=${error} />
    ${data === null
      ? html`<p class="muted">Loading…</p>`
      : data.servers.map(
          (s) => html`<article class="card server" data-testid="server">
            <div class="server-head">
              <span class=${`dot ${s.state}`}></span>
              <strong>${s.serverInfo?.name ?? "upstream"}</strong> <span class="muted">${s.serverInfo?.version ?? ""}</span>
              <span class=${`badge server-${s.state}`} data-testid="server-state">${s.state}</span>
              <code class="muted small server-label">${s.label}</code>
            </div>
            ${s.state === "down" ? html`<p class="error">${s.error}</p>` : null}
            <p class="muted small">grant <b>${data.grant}</b> · policy <code>${s.policyVersion ?? "none"}</code> · ${s.tools.length} tools${s.protocolVersion ? ` · protocol ${s.protocolVersion}` : ""}</p>
            <div class="table-wrap">
              <table class="tools stack">
                <thead><tr><th>Tool</th><th>Risk</th><th>State now</th><th>Annotations</th><th>Counters</th></tr></thead>
                <tbody>${s.tools.map((t) => html`<${ToolRow} key=${t.name} tool=${t} />`)}</tbody>
              </table>
            </div>
          </article>`,
        )}
  </section>`;
}
