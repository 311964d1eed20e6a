/**
 * Expected vs got: each function returns readable mismatch lines (empty when everything holds).
 * A line names the call, its virtual time, what was expected, what came back and the rule.
 */
import type { CallRecord } from "./result.js";
import { normaliseCallExpect, type CallExpect, type CountExpect, type EndExpect, type RetryExpect } from "./scenario-schema.js";

export function describeExpect(expect: CallExpect): string {
  const e = normaliseCallExpect(expect);
  switch (e.decision) {
    case "allow":
      return `allow${e.isError === true ? " (tool error)" : e.isError === false ? " (no tool error)" : ""}${e.textIncludes ? ` with text containing \`${e.textIncludes}\`` : ""}`;
    case "deny":
      return `deny ${e.code} by ${e.rule}${e.retryAfterMs !== undefined ? ` retryAfterMs ${e.retryAfterMs}` : ""}${e.remaining !== undefined ? ` remaining ${e.remaining}` : ""}${e.textIncludes ? ` with text containing \`${e.textIncludes}\`` : ""}`;
    case "error":
      return `a JSON-RPC error${e.textIncludes ? ` containing \`${e.textIncludes}\`` : ""}`;
  }
}

export function describeCall(call: CallRecord): string {
  switch (call.outcome) {
    case "allow":
      return `allow${call.isError ? " (tool error)" : ""}`;
    case "deny":
      return `deny ${call.code ?? "(no code)"} by ${call.rule ?? "(no rule)"}${call.retryAfterMs !== undefined ? ` retryAfterMs ${call.retryAfterMs}` : ""}`;
    case "error":
      return `a JSON-RPC error \`${call.text.slice(0, 120)}\``;
  }
}

function where(call: CallRecord, startMs: number): string {
  return `${call.tool} at ${call.startMs} ms (${new Date(startMs + call.startMs).toISOString()})`;
}

/** One call against its expectation; returns a mismatch line or undefined. */
export function checkCall(call: CallRecord, expect: CallExpect, startMs: number, prefix = "call"): string | undefined {
  const e = normaliseCallExpect(expect);
  const problems: string[] = [];
  if (call.outcome !== e.decision) problems.push("decision");
  else if (e.decision === "allow") {
    if (e.isError !== undefined && (call.isError ?? false) !== e.isError) problems.push("isError");
  } else if (e.decision === "deny") {
    if (call.code !== e.code) problems.push("code");
    if (call.rule !== e.rule) problems.push("rule");
    if (e.retryAfterMs !== undefined && call.retryAfterMs !== e.retryAfterMs) problems.push("retryAfterMs");
  }
  if (e.textIncludes !== undefined && !call.text.includes(e.textIncludes)) problems.push("text");
  if (problems.length === 0) return undefined;
  const got = describeCall(call) + (problems.includes("text") ? ` with text \`${call.text.slice(0, 160)}\`` : "");
  return `${prefix} ${where(call, startMs)}: expected ${describeExpect(e)}, got ${got}${call.outcome === "allow" ? "" : ""}`;
}

function tally(calls: readonly CallRecord[]) {
  const codes: Record<string, number> = {};
  for (const c of calls) if (c.outcome === "deny") codes[c.code ?? "(none)"] = (codes[c.code ?? "(none)"] ?? 0) + 1;
  return {
    allow: calls.filter((c) => c.outcome === "allow").length,
    deny: calls.filter((c) => c.outcome === "deny").length,
    error: calls.filter((c) => c.outcome === "error").length,
    toolError: calls.filter((c) => c.outcome === "allow" && c.isError).length,
    codes,
  };
}

const MAX_LINES = 6;

/** Counts (and, when given, each call in order) for bursts, loops, concurrent calls and retries. */
export function checkCounts(calls: readonly CallRecord[], expect: CountExpect | RetryExpect, startMs: number, what: string): string[] {
  const got = tally(calls);
  const lines: string[] = [];
  const firstDeny = calls.find((c) => c.outcome === "deny");
  const firstAllow = calls.find((c) => c.outcome === "allow");
  const rules = `first denial ${firstDeny ? `${firstDeny.code} by ${firstDeny.rule} at ${firstDeny.startMs} ms` : "none"}; first allowed call ${firstAllow ? `at ${firstAllow.startMs} ms` : "none"}`;
  const expectedError = expect.error ?? 0;
  if (got.allow !== expect.allow || got.deny !== expect.deny || got.error !== expectedError) {
    lines.push(`${what} (${calls.length} calls from ${calls[0]?.startMs ?? "?"} ms): expected allow ${expect.allow}, deny ${expect.deny}, error ${expectedError}; got allow ${got.allow}, deny ${got.deny}, error ${got.error} (${rules})`);
  }
  if (expect.toolError !== undefined && got.toolError !== expect.toolError) {
    lines.push(`${what}: expected ${expect.toolError} allowed calls with a tool error, got ${got.toolError}`);
  }
  if (expect.codes !== undefined) {
    const want = Object.entries(expect.codes).map(([k, v]) => `${k} ${v}`).sort().join(", ");
    const have = Object.entries(got.codes).map(([k, v]) => `${k} ${v}`).sort().join(", ");
    if (want !== have) lines.push(`${what}: expected denials by code {${want}}, got {${have}}`);
  }
  if (expect.rule !== undefined) {
    const wrong = calls.filter((c) => c.outcome === "deny" && c.rule !== expect.rule);
    if (wrong.length > 0) lines.push(`${what}: expected every denial by ${expect.rule}, got ${wrong.length} by another rule (first: ${describeCall(wrong[0]!)} at ${wrong[0]!.startMs} ms)`);
  }
  if (expect.calls !== undefined) {
    const perCall: string[] = [];
    expect.calls.forEach((e, i) => {
      const call = calls[i];
      if (!call) {
        perCall.push(`${what} call #${i + 1}: expected ${describeExpect(e)}, got no call`);
        return;
      }
      const m = checkCall(call, e, startMs, `${what} call #${i + 1}`);
      if (m) perCall.push(m);
    });
    lines.push(...perCall.slice(0, MAX_LINES));
    if (perCall.length > MAX_LINES) lines.push(`${what}: … and ${perCall.length - MAX_LINES} more per-call mismatches`);
  }
  if ("attempts" in expect && expect.attempts !== undefined && calls.length !== expect.attempts) {
    lines.push(`${what}: expected ${expect.attempts} attempts, got ${calls.length} (${rules})`);
  }
  if ("allowedAtMs" in expect && expect.allowedAtMs !== undefined) {
    const at = firstAllow?.startMs;
    if (at !== expect.allowedAtMs) lines.push(`${what}: expected the allowed attempt at ${expect.allowedAtMs} ms, got ${at === undefined ? "no allowed attempt" : `${at} ms`} (${rules})`);
  }
  return lines;
}

/** What the end state looked like: effects, Kommo requests answered 2xx, audit records. */
export interface EndFacts {
  readonly stops: readonly { botId: number; entityId: number; entityType: string }[];
  readonly runs: number;
  /** Count of 2xx-answered requests matching `METHOD /path` (with `:param` segments). */
  readonly requests: (route: string) => number;
  readonly audit: readonly { decision: string; code: string | null }[] | undefined;
}

function compareMap(what: string, want: Record<string, number>, have: Record<string, number>): string[] {
  const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
  const wrong = [...keys].filter((k) => (want[k] ?? 0) !== (have[k] ?? 0) && k in want);
  const extra = [...keys].filter((k) => !(k in want) && (have[k] ?? 0) > 0);
  if (wrong.length === 0 && extra.length === 0) return [];
  const fmt = (m: Record<string, number>) => `{${Object.entries(m).filter(([, v]) => v > 0).map(([k, v]) => `${k}: ${v}`).sort().join(", ")}}`;
  return [`${what}: expected ${fmt(want)}, got ${fmt(have)}`];
}

export function checkEnd(expect: EndExpect, facts: EndFacts): string[] {
  const lines: string[] = [];
  const effects = expect.effects;
  if (effects) {
    if (effects.salesbotStops !== undefined && facts.stops.length !== effects.salesbotStops) {
      lines.push(`CRM effects: expected exactly ${effects.salesbotStops} salesbot stops, got ${facts.stops.length}`);
    }
    if (effects.salesbotRuns !== undefined && facts.runs !== effects.salesbotRuns) {
      lines.push(`CRM effects: expected exactly ${effects.salesbotRuns} salesbot runs, got ${facts.runs}`);
    }
    if (effects.stopsByBot) {
      const have: Record<string, number> = {};
      for (const s of facts.stops) have[String(s.botId)] = (have[String(s.botId)] ?? 0) + 1;
      lines.push(...compareMap("CRM effects: stops per bot", effects.stopsByBot, have));
    }
    if (effects.stopsByEntity) {
      const have: Record<string, number> = {};
      for (const s of facts.stops) have[`${s.entityType}:${s.entityId}`] = (have[`${s.entityType}:${s.entityId}`] ?? 0) + 1;
      lines.push(...compareMap("CRM effects: stops per entity", effects.stopsByEntity, have));
    }
  }
  for (const [route, n] of Object.entries(expect.kommoRequests ?? {})) {
    const got = facts.requests(route);
    if (got !== n) lines.push(`Kommo requests: expected ${n} answered 2xx for \`${route}\`, got ${got}`);
  }
  if (expect.audit) {
    const records = facts.audit;
    if (records === undefined) lines.push("audit: expected audit facts, but this gateway wrote no audit records");
    else {
      if (expect.audit.total !== undefined && records.length !== expect.audit.total) lines.push(`audit: expected ${expect.audit.total} decisions, got ${records.length}`);
      const by = expect.audit.byDecision;
      if (by?.allow !== undefined && records.filter((r) => r.decision === "allow").length !== by.allow) lines.push(`audit: expected ${by.allow} allow decisions, got ${records.filter((r) => r.decision === "allow").length}`);
      if (by?.deny !== undefined && records.filter((r) => r.decision === "deny").length !== by.deny) lines.push(`audit: expected ${by.deny} deny decisions, got ${records.filter((r) => r.decision === "deny").length}`);
      if (expect.audit.byCode) {
        const have: Record<string, number> = {};
        for (const r of records) if (r.decision === "deny" && r.code) have[r.code] = (have[r.code] ?? 0) + 1;
        lines.push(...compareMap("audit: denials by code", expect.audit.byCode as Record<string, number>, have));
      }
    }
  }
  return lines;
}
