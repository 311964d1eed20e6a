/**
 * Expected vs got: each function returns readable mismatch lines (empty when everything holds).
 * A line names the call, its virtual time, what was expected, what came back and the rule.
 */
import type { CallRecord } from "./result.js";
import { normaliseCallExpect, type AgentStep, type CallExpect, type NormalisedCallExpect, type CountExpect, type EndExpect, type RetryExpect } from "./scenario-schema.js";
import { stepSummary } from "./summaries.js";

/**
 * What `approvalId` expectations are checked against: the calls of the scenario so far (in the
 * order they came back) and the approval each labelled step was answered with.
 */
export interface ApprovalIds {
  /** The first call (in the order calls came back) answered with this approval id. */
  firstCarrier(approvalId: string): CallRecord | undefined;
  /** The approval id the step `ref` (`LABEL` of the same agent, or `AGENT/LABEL`) was last answered with. */
  ofStep(ref: string, agent: string): string | undefined;
}

function describeApprovalId(expect: string): string {
  return expect === "new" ? "a new approval id" : `the approval id of step \`${expect.slice("same-as ".length)}\``;
}

export function describeExpect(expect: CallExpect): string {
  const e = normaliseCallExpect(expect);
  return describeDecision(e) + (e.answeredAtMs !== undefined ? ` answered at ${e.answeredAtMs} ms` : "");
}

function describeDecision(e: NormalisedCallExpect): string {
  switch (e.decision) {
    case "allow":
      return `allow${e.isError === true ? " (tool error)" : e.isError === false ? " (no tool error)" : ""}${e.textIncludes ? ` with text containing \`${e.textIncludes}\`` : ""}`;
    case "deny":
      return `deny ${e.code} by ${e.rule}${e.retryAfterMs !== undefined ? ` retryAfterMs ${e.retryAfterMs}` : ""}${e.remaining !== undefined ? ` remaining ${e.remaining}` : ""}${e.approvalId !== undefined ? ` with ${describeApprovalId(e.approvalId)}` : ""}${e.textIncludes ? ` with text containing \`${e.textIncludes}\`` : ""}`;
    case "error":
      return `a JSON-RPC error${e.textIncludes ? ` containing \`${e.textIncludes}\`` : ""}`;
  }
}

export function describeCall(call: CallRecord): string {
  switch (call.outcome) {
    case "allow":
      return `allow${call.isError ? " (tool error)" : ""}`;
    case "deny":
      return `deny ${call.code ?? "(no code)"} by ${call.rule ?? "(no rule)"}${call.retryAfterMs !== undefined ? ` retryAfterMs ${call.retryAfterMs}` : ""}${call.remaining !== undefined ? ` remaining ${call.remaining}` : ""}${call.approvalId !== undefined ? ` with approval ${call.approvalId}` : ""}`;
    case "error":
      return `a JSON-RPC error \`${call.text.replace(/\s+/g, " ").slice(0, 120)}\``;
  }
}

function where(call: CallRecord, startMs: number): string {
  return `${call.tool} at ${call.startMs} ms (${new Date(startMs + call.startMs).toISOString()})`;
}

/** One call against its expectation; returns a mismatch line or undefined. */
export function checkCall(call: CallRecord, expect: CallExpect, startMs: number, prefix = "call", ids?: ApprovalIds): string | undefined {
  const e = normaliseCallExpect(expect);
  const problems: string[] = [];
  let approvalNote = "";
  if (call.outcome !== e.decision) problems.push("decision");
  else if (e.decision === "allow") {
    if (e.isError !== undefined && (call.isError ?? false) !== e.isError) problems.push("isError");
  } else if (e.decision === "deny") {
    if (call.code !== e.code) problems.push("code");
    if (call.rule !== e.rule) problems.push("rule");
    if (e.retryAfterMs !== undefined && call.retryAfterMs !== e.retryAfterMs) problems.push("retryAfterMs");
    if (e.remaining !== undefined && call.remaining !== e.remaining) problems.push("remaining");
    if (e.approvalId !== undefined) {
      const note = checkApprovalId(call, e.approvalId, ids);
      if (note !== undefined) {
        problems.push("approvalId");
        approvalNote = note;
      }
    }
  }
  if (e.textIncludes !== undefined && !call.text.includes(e.textIncludes)) problems.push("text");
  if (e.answeredAtMs !== undefined && call.endMs !== e.answeredAtMs) problems.push("answeredAtMs");
  if (problems.length === 0) return undefined;
  const got = describeCall(call) + (problems.includes("text") ? ` with text \`${call.text.replace(/\s+/g, " ").slice(0, 160)}\`` : "") + approvalNote + (problems.includes("answeredAtMs") ? ` answered at ${call.endMs} ms` : "");
  return `${prefix} ${where(call, startMs)}: expected ${describeExpect(e)}, got ${got}`;
}

/** Undefined when the call's approval id is as expected; else a note for the `got` side. */
function checkApprovalId(call: CallRecord, expect: string, ids: ApprovalIds | undefined): string | undefined {
  if (ids === undefined) return " (approval ids cannot be checked here)";
  if (call.approvalId === undefined) return " and no approval id";
  if (expect === "new") {
    const first = ids.firstCarrier(call.approvalId);
    if (first === undefined || first === call) return undefined;
    return `, an approval id already given to ${first.agent}'s call at ${first.startMs} ms (${first.step})`;
  }
  const ref = expect.slice("same-as ".length);
  const want = ids.ofStep(ref, call.agent);
  if (want === call.approvalId) return undefined;
  return want === undefined ? `, while step \`${ref}\` was answered with no approval id` : `, while step \`${ref}\` was answered with approval ${want}`;
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
export function checkCounts(calls: readonly CallRecord[], expect: CountExpect | RetryExpect, startMs: number, what: string, ids?: ApprovalIds): string[] {
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
  // Exact, and a code expected 0 times matches its absence.
  if (expect.codes !== undefined) lines.push(...compareMap(`${what}: denials by code`, expect.codes as Record<string, number>, got.codes));
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
      const m = checkCall(call, e, startMs, `${what} call #${i + 1}`, ids);
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

/** The calls a step made against the step's expectation. */
export function checkStep(step: AgentStep, made: readonly CallRecord[], startMs: number, ids?: ApprovalIds): string[] {
  if (step.kind === "call") {
    const m = checkCall(made[0]!, step.expect, startMs, "call", ids);
    return m ? [m] : [];
  }
  return checkCounts(made, step.expect, startMs, stepSummary(step), ids);
}

/** What the end state looked like: effects, Kommo requests answered 2xx, audit records. */
export interface EndFacts {
  readonly stops: readonly { botId: number; entityId: number; entityType: string }[];
  readonly runs: number;
  /** Count of 2xx-answered requests matching `METHOD /path` (with `:param` segments). */
  readonly requests: (route: string) => number;
  readonly audit: readonly { decision: string; code: string | null; wouldDeny?: readonly { code: string; rule: string }[] }[] | undefined;
  /** Approval lines of the audit (`event: "approval"`), when the gateway wrote them. */
  readonly approvalLines?: readonly { step: string }[];
  /** Approvals left in the store at the end, when the harness can see the store. */
  readonly approvals?: readonly { state: string }[];
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
      const would = records.flatMap((r) => r.wouldDeny ?? []);
      if (expect.audit.wouldDenyByRule) lines.push(...compareMap("audit: shadow would-denials by rule", expect.audit.wouldDenyByRule, countBy(would, (w) => w.rule)));
      if (expect.audit.wouldDenyByCode) lines.push(...compareMap("audit: shadow would-denials by code", expect.audit.wouldDenyByCode as Record<string, number>, countBy(would, (w) => w.code)));
    }
    if (expect.audit.approvalSteps) {
      if (facts.approvalLines === undefined) lines.push("audit: expected approval lines, but this gateway's approval steps cannot be seen here");
      else lines.push(...compareMap("audit: approval steps", expect.audit.approvalSteps as Record<string, number>, countBy(facts.approvalLines, (l) => l.step)));
    }
  }
  if (expect.approvals) {
    if (facts.approvals === undefined) lines.push("approvals: expected approvals by state, but the approval store cannot be seen here");
    else lines.push(...compareMap("approvals by state at the end", expect.approvals as Record<string, number>, countBy(facts.approvals, (a) => a.state)));
  }
  return lines;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}
