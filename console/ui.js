// Shared pieces: htm bound to preact, time formatting, small components.
import { h } from "./vendor/preact.js";
import htm from "./vendor/htm.js";

export const html = htm.bind(h);

export function duration(ms) {
  if (ms === undefined || ms === null) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
}

export function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "—";
}

const STATE_LABELS = { allow: "Allow", deny: "Deny", hide: "Hide", rate_limited: "Rate-limited", approval: "Approval", custom: "Custom" };

export function StateBadge({ state }) {
  return html`<span class=${`badge state-${state}`}>${STATE_LABELS[state] ?? state}</span>`;
}

export function RiskBadge({ risk }) {
  return html`<span class=${`badge risk-${risk}`}>${risk}</span>`;
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${String(error.message ?? error)}</p>`;
}

export function Meter({ used, max }) {
  if (used === undefined) return html`<span class="muted">per session</span>`;
  const pct = max === 0 ? 100 : Math.min(100, Math.round((used / max) * 100));
  const level = pct >= 100 ? "full" : pct >= 80 ? "high" : "ok";
  return html`<span class="meter"><progress class=${`meter-${level}`} max="100" value=${pct}></progress> <span class="meter-text">${used} / ${max}</span></span>`;
}

export function Diff({ diff }) {
  if (!diff || diff.length === 0) return null;
  const changed = diff.some((d) => d.op !== " ");
  if (!changed) return html`<p class="muted">No change against the file.</p>`;
  return html`<pre class="diff" data-testid="diff">${diff.map((d) => html`<span class=${d.op === "+" ? "add" : d.op === "-" ? "del" : "ctx"}>${d.op} ${d.text}\n</span>`)}</pre>`;
}
