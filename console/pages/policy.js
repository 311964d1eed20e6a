// Policy editor: per-tool states, limits, deny reasons and approval ttl, or raw JSON; diff, issues at their paths, hash-checked save.
import { useEffect, useRef, useState } from "../vendor/hooks.js";
import { ApiError, get, post, query } from "../api.js";
import { Diff, ErrorBox, html, StateBadge } from "../ui.js";
import { addLimit, removeLimit, SCOPES, setLimit, setReason, setState, setTtl, toolModel, toText, WINDOWS } from "./policy-model.js";

function IssuesAt({ issues, prefix }) {
  const mine = issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`));
  if (mine.length === 0) return null;
  return html`<ul class="issues inline">${mine.map((i) => html`<li data-testid="issue-at" data-path=${i.path}><code>${i.path}</code>: ${i.message}</li>`)}</ul>`;
}

function ToolEditor({ doc, name, issues, onChange }) {
  const m = toolModel(doc, name);
  const prefix = `tools.${name}`;
  return html`<tr data-testid="edit-tool" data-tool=${name}>
    <td><strong>${name}</strong>${m.inPolicy ? null : html`<div class="muted small">not in the policy (default)</div>`}${m.custom ? html`<div class="muted small">has argument rules (edit them in raw JSON)</div>` : null}</td>
    <td data-label="State">
      <select aria-label=${`state of ${name}`} data-testid="state-select" value=${m.state} onChange=${(e) => onChange(setState(doc, name, e.target.value))}>
        <option value="allow">Allow</option><option value="deny">Deny (visible)</option><option value="hide">Hide</option><option value="approval">Require approval</option>
      </select>
      ${m.state === "deny" ? html`<input class="reason" type="text" placeholder="Deny reason" aria-label=${`deny reason of ${name}`} value=${m.reason} onChange=${(e) => onChange(setReason(doc, name, e.target.value))} />` : null}
      ${m.state === "approval" ? html`<input class="ttl" type="text" placeholder="ttl (10m)" aria-label=${`approval ttl of ${name}`} value=${m.ttl} onChange=${(e) => onChange(setTtl(doc, name, e.target.value))} />` : null}
    </td>
    <td data-label="Limit">
      ${m.limit === undefined
        ? html`<button class="secondary small" onClick=${() => onChange(addLimit(doc, name))}>Add limit</button>`
        : html`<span class="limit-fields">
            <label>max <input type="number" class="max" data-testid="limit-max" aria-label=${`max of ${name}`} value=${m.limit.max} onChange=${(e) => onChange(setLimit(doc, name, "max", e.target.value))} /></label>
            <label>per <select aria-label=${`window of ${name}`} value=${m.limit.window} onChange=${(e) => onChange(setLimit(doc, name, "window", e.target.value))}>${[...new Set([...WINDOWS, m.limit.window])].map((w) => html`<option value=${w}>${typeof w === "number" ? `${w}s` : w}</option>`)}</select></label>
            <label>scope <select aria-label=${`scope of ${name}`} value=${m.limit.scope ?? "grant"} onChange=${(e) => onChange(setLimit(doc, name, "scope", e.target.value))}>${SCOPES.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
            <button class="link small" onClick=${() => onChange(removeLimit(doc, name))}>remove</button>
          </span>`}
    </td>
    <td class="issues-cell"><${IssuesAt} issues=${issues} prefix=${prefix} /></td>
  </tr>`;
}

export function PolicyPage() {
  const [fileIndex, setFileIndex] = useState(0);
  const [file, setFile] = useState(null);
  const [text, setText] = useState("");
  const [mode, setMode] = useState("tools");
  const [check, setCheck] = useState({ issues: [], diff: [], changed: false });
  const [toolNames, setToolNames] = useState([]);
  const [status, setStatus] = useState(null);
  const [error, setError] = useState(null);
  const [conflict, setConflict] = useState(null);
  const timer = useRef(undefined);

  const load = async () => {
    try {
      const f = await get(`policy${query({ file: fileIndex })}`);
      setFile(f);
      setText(f.text);
      setConflict(null);
      setCheck({ issues: [], diff: [], changed: false });
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
    get("servers")
      .then((s) => setToolNames(s.servers.flatMap((srv) => srv.tools.map((t) => t.name))))
      .catch(() => undefined);
  }, [fileIndex]);

  const edit = (next) => {
    setText(next);
    setStatus(null);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => post("policy/check", { file: fileIndex, text: next }).then(setCheck).catch(setError), 200);
  };

  let doc = null;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = null;
  }
  const names = doc ? [...new Set([...Object.keys(doc.tools ?? {}), ...toolNames])] : [];

  const save = async () => {
    setStatus(null);
    setError(null);
    try {
      const saved = await post("policy/save", { file: fileIndex, text, baseSha256: file.sha256 });
      setStatus(`Saved and reloaded (${saved.reload}); policy version ${saved.policyVersion}.`);
      setFile({ ...file, text, sha256: saved.sha256, policyVersion: saved.policyVersion });
      setCheck({ issues: [], diff: [], changed: false });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setCheck({ ...check, issues: e.body.issues });
      else if (e instanceof ApiError && e.status === 409) setConflict(e.body);
      setError(e);
    }
  };

  if (file === null) return html`<section><h1>Policy</h1><${ErrorBox} error=${error} /><p class="muted">Loading…</p></section>`;
  return html`<section>
    <div class="page-head">
      <h1>Policy</h1>
      ${file.files.length > 1 ? html`<select value=${fileIndex} onChange=${(e) => setFileIndex(Number(e.target.value))}>${file.files.map((f, i) => html`<option value=${i}>${f.file}</option>`)}</select>` : null}
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected=${mode === "tools"} class=${mode === "tools" ? "active" : ""} onClick=${() => setMode("tools")}>Tools</button>
        <button role="tab" aria-selected=${mode === "raw"} class=${mode === "raw" ? "active" : ""} onClick=${() => setMode("raw")}>Raw JSON</button>
      </div>
    </div>
    <p class="muted small"><code>${file.file}</code> · grants ${file.grantIds.join(", ")} · version <code>${file.policyVersion ?? "invalid"}</code> · sha256 <code>${file.sha256.slice(0, 12)}</code></p>
    ${mode === "raw" || doc === null
      ? html`<textarea class="raw" data-testid="raw-json" spellcheck="false" aria-label="policy JSON" value=${text} onInput=${(e) => edit(e.target.value)}></textarea>`
      : html`<div class="table-wrap"><table class="editor stack">
          <thead><tr><th>Tool</th><th>State</th><th>Limit</th><th>Issues</th></tr></thead>
          <tbody>${names.map((n) => html`<${ToolEditor} key=${n} doc=${doc} name=${n} issues=${check.issues} onChange=${(d) => edit(toText(d))} />`)}</tbody>
        </table></div>`}
    ${check.issues.length > 0
      ? html`<div class="issues-box" role="alert"><h2>Validation</h2><ul class="issues" data-testid="issues">${check.issues.map((i) => html`<li data-path=${i.path}><code>${i.line}</code></li>`)}</ul></div>`
      : null}
    <div class="actions">
      <button class="approve" data-testid="save" disabled=${check.issues.length > 0 || text === file.text} onClick=${save}>Save and reload</button>
      <button class="secondary" disabled=${text === file.text} onClick=${() => edit(file.text)}>Discard changes</button>
      ${status ? html`<span class="ok" data-testid="save-status">${status}</span>` : null}
    </div>
    <${ErrorBox} error=${error} />
    ${conflict
      ? html`<div class="conflict" data-testid="conflict">
          <h2>The file changed on disk</h2>
          <p>Nothing was written. The diff below goes from the file as it is now to your edit, which is still here.</p>
          <${Diff} diff=${conflict.diff} />
          <button class="secondary" onClick=${() => { setFile({ ...file, sha256: conflict.current.sha256, text: conflict.current.text }); setConflict(null); }}>Keep my edit over the new file</button>
          <button class="secondary" onClick=${load}>Load the new file (drop my edit)</button>
        </div>`
      : null}
    <h2>Diff against the file</h2>
    <${Diff} diff=${check.diff} />
  </section>`;
}
