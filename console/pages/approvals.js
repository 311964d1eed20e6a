// Approvals: the pending queue, live, with approve / deny and a reason; a desktop notification per new request.
import { useCallback, useEffect, useRef, useState } from "../vendor/hooks.js";
import { get, post } from "../api.js";
import { duration, ErrorBox, html, time } from "../ui.js";
import { useActivityStream, useNow } from "./live.js";

function notify(approval) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  new Notification(`Approval needed: ${approval.tool}`, { body: `grant ${approval.grant} · ${approval.id}`, tag: approval.id });
}

function PendingRow({ approval, skewMs, now, onDecided }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const decide = async (action) => {
    setBusy(true);
    setError(null);
    try {
      await post(`approvals/${encodeURIComponent(approval.id)}/${action}`, reason.trim() === "" ? {} : { reason });
      onDecided();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const serverNow = now + skewMs;
  return html`<li class="card approval" data-testid="pending-approval" data-approval-id=${approval.id}>
    <div class="approval-head">
      <strong class="tool">${approval.tool}</strong>
      <span class="muted">grant <b>${approval.grant}</b></span>
      <span class="muted">asked ${duration(serverNow - approval.createdAtMs)} ago</span>
      <span class="countdown" data-testid="expires-in">expires in ${duration(approval.expiresAtMs - serverNow)}</span>
    </div>
    <dl class="facts">
      <dt>Id</dt><dd><code>${approval.id}</code></dd>
      <dt>Server</dt><dd><code class="server-name">${approval.server}</code></dd>
      <dt>Argument keys</dt><dd>${approval.argKeys === null ? html`<span class="muted">not seen by this console</span>` : approval.argKeys.length === 0 ? html`<span class="muted">none</span>` : approval.argKeys.map((k) => html`<code class="key">${k}</code> `)}</dd>
      ${approval.args !== undefined ? html`<dt>Arguments</dt><dd>${approval.args === null ? html`<span class="muted">not seen by this console</span>` : html`<pre class="args" data-testid="args">${JSON.stringify(approval.args, null, 2)}</pre>`}</dd>` : null}
      <dt>Arguments SHA-256</dt><dd><code class="digest">${approval.argsSha256}</code></dd>
      <dt>Policy version</dt><dd><code>${approval.policyVersion}</code></dd>
    </dl>
    <div class="decide">
      <input type="text" placeholder="Reason (recorded in the audit)" maxlength="500" value=${reason} onInput=${(e) => setReason(e.target.value)} aria-label="Reason" />
      <button class="approve" disabled=${busy} onClick=${() => decide("approve")}>Approve</button>
      <button class="deny" disabled=${busy} onClick=${() => decide("deny")}>Deny</button>
    </div>
    <${ErrorBox} error=${error} />
  </li>`;
}

export function ApprovalsPage() {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [permission, setPermission] = useState(typeof Notification === "undefined" ? "unsupported" : Notification.permission);
  const seen = useRef(null);
  const now = useNow(1000);
  const load = useCallback(async () => {
    try {
      const next = await get("approvals");
      next.skewMs = next.nowMs - Date.now();
      if (seen.current !== null) for (const a of next.pending) if (!seen.current.has(a.id)) notify(a);
      seen.current = new Set(next.pending.map((a) => a.id));
      setData(next);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, 3000); // decisions made on another replica or by the CLI
    return () => clearInterval(timer);
  }, [load]);
  const live = useActivityStream({}, (line) => {
    if (line.event === "approval" || line.approvalId !== undefined) load();
  });
  return html`<section>
    <div class="page-head">
      <h1>Approvals</h1>
      <span class=${`live ${live ? "on" : "off"}`}>${live ? "live" : "reconnecting"}</span>
      ${permission === "default" ? html`<button class="secondary" onClick=${() => Notification.requestPermission().then(setPermission)}>Enable desktop notifications</button>` : null}
    </div>
    <${ErrorBox} error=${error} />
    ${data === null
      ? html`<p class="muted">Loading…</p>`
      : html`
          <h2>Pending <span class="count" data-testid="pending-count">${data.pending.length}</span></h2>
          ${data.pending.length === 0 ? html`<p class="muted empty">Nothing is waiting for a human.</p>` : html`<ul class="cards">${data.pending.map((a) => html`<${PendingRow} key=${a.id} approval=${a} skewMs=${data.skewMs} now=${now} onDecided=${load} />`)}</ul>`}
          <h2>Recently decided</h2>
          <div class="table-wrap">
            <table class="stack">
              <thead><tr><th>Id</th><th>State</th><th>Tool</th><th>Grant</th><th>Decided by</th><th>Created</th></tr></thead>
              <tbody>
                ${data.decided.map((a) => html`<tr data-testid="decided-approval"><td data-label="Id"><code>${a.id}</code></td><td data-label="State"><span class=${`badge approval-${a.state}`}>${a.state}</span></td><td data-label="Tool">${a.tool}</td><td data-label="Grant">${a.grant}</td><td data-label="Decided by">${a.decidedBy ?? "—"}</td><td data-label="Created">${time(a.createdAt)}</td></tr>`)}
              </tbody>
            </table>
          </div>
        `}
  </section>`;
}
