// The policy editor's structured edits on the policy document (plain JSON), one tool at a time.

export const WINDOWS = ["second", "minute", "hour", "day"];
export const SCOPES = ["grant", "session", "global"];

export function clone(doc) {
  return JSON.parse(JSON.stringify(doc));
}

export function toText(doc) {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** What the editor shows for one tool: its state and the first limit, reason and ttl. */
export function toolModel(doc, name) {
  const rule = doc.tools?.[name];
  const hidden = (doc.hide ?? []).includes(name) || (doc.hide ?? []).includes("*");
  let state;
  if (hidden) state = "hide";
  else if (rule === undefined) state = doc.default === "deny" ? "deny" : "allow";
  else if (rule.action === "deny") state = "deny";
  else if (rule.action === "require_approval" || (rule.approval !== undefined && rule.approval !== false)) state = "approval";
  else state = "allow";
  const custom = rule !== undefined && ((rule.require ?? []).length > 0 || (rule.deny_if ?? []).length > 0 || (typeof rule.approval === "object" && (rule.approval.conditions ?? []).length > 0));
  const limit = rule?.limits?.[0] ?? rule?.rate_limit;
  const limitPath = rule?.limits?.[0] !== undefined ? `/tools/${name}/limits/0` : rule?.rate_limit !== undefined ? `/tools/${name}/rate_limit` : undefined;
  const ttl = typeof rule?.approval === "object" ? rule.approval.ttl : undefined;
  return { name, inPolicy: rule !== undefined, state, custom, limit, limitPath, reason: rule?.reason ?? "", ttl: ttl ?? "" };
}

function ruleOf(doc, name) {
  doc.tools ??= {};
  doc.tools[name] ??= {};
  return doc.tools[name];
}

function unhide(doc, name) {
  if (doc.hide) {
    doc.hide = doc.hide.filter((n) => n !== name);
    if (doc.hide.length === 0) delete doc.hide;
  }
}

export function setState(input, name, state) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  if (state === "hide") {
    doc.hide = [...new Set([...(doc.hide ?? []), name])];
    return doc;
  }
  unhide(doc, name);
  if (state === "deny") {
    rule.action = "deny";
    delete rule.approval;
  } else if (state === "approval") {
    if (rule.action !== undefined) delete rule.action;
    if (rule.approval === undefined || rule.approval === false) rule.approval = true;
  } else {
    delete rule.action;
    delete rule.approval;
  }
  return doc;
}

/** `field` is max, window or scope; a number window stays a number of seconds. */
export function setLimit(input, name, field, value) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  const limit = rule.limits?.[0] ?? rule.rate_limit;
  if (limit === undefined) return doc;
  if (field === "max") limit[field] = value === "" ? value : Number(value);
  else if (field === "scope" && value === "grant") delete limit.scope;
  else limit[field] = value;
  return doc;
}

export function addLimit(input, name) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  rule.limits = [...(rule.limits ?? []), { counter: `${name}_calls`, window: "minute", max: 10 }];
  return doc;
}

export function removeLimit(input, name) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  if (rule.limits?.length) {
    rule.limits = rule.limits.slice(1);
    if (rule.limits.length === 0) delete rule.limits;
  } else delete rule.rate_limit;
  return doc;
}

export function setReason(input, name, reason) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  if (reason === "") delete rule.reason;
  else rule.reason = reason;
  return doc;
}

export function setTtl(input, name, ttl) {
  const doc = clone(input);
  const rule = ruleOf(doc, name);
  const approval = typeof rule.approval === "object" ? rule.approval : {};
  if (ttl === "") delete approval.ttl;
  else approval.ttl = /^\d+$/.test(ttl) ? Number(ttl) : ttl;
  rule.approval = Object.keys(approval).length === 0 ? true : approval;
  return doc;
}
