/**
 * The decision for one `tools/call`, in the order of docs/architecture.md#decision-order (first denial wins). Pure and
 * deterministic: no I/O, no clock. `precheck` runs steps 1–7 and plans step 8 (the counters to
 * reserve); the gateway reserves them in a `CounterStore` and turns the store's answer into a
 * decision with `limitDenial` / `allowDecision` (or `storeUnavailableDenial` when it throws).
 */
import { describeCondition, resolvePath, testCondition } from "./conditions.js";
import { RULE_DEFAULT_DENY, RULE_HIDDEN, RULE_INPUT_SCHEMA, RULE_NO_POLICY, RULE_STORE, type Allow, type Deny, type DenyCode, type LimitFacts, type LimitScope } from "./decision.js";
import type { CompiledCondition, CompiledLimit, CompiledPolicy, CompiledRuleEntry, CompiledTool } from "./load-policy.js";
import { describeWindow, type CounterLevel, type CounterRequest } from "./windows.js";

export interface CallInput {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  /** Scope `grant` key. Undefined means no grant was presented: every call is denied (`no_policy`). */
  readonly grantId: string | undefined;
  /** Scope `session` key (MCP session id or downstream connection id). */
  readonly sessionKey: string;
  /** Problems found validating `args` against the upstream `inputSchema`; non-empty → `invalid_arguments`. */
  readonly argumentIssues?: readonly string[];
  /** A matching approval exists; when the tool needs approval and this is not true → `approval_required`. */
  readonly approved?: boolean;
}

export interface PlannedLimit {
  /** `key` = `${scopeKey}|${counter}`, scopeKey `grant:<id>` | `session:<key>` | `global`. */
  readonly request: CounterRequest;
  /** JSON pointer of the limit: `/tools/x/limits/0`, `/tools/x/rate_limit`, `/all_tools/limits/0`. */
  readonly rule: string;
  readonly counter: string;
  readonly scope: LimitScope;
  readonly window: string | number;
  readonly windowMs: number;
  readonly max: number;
  /** Shadow limits are decided and logged but never block: reserve them apart from the others. */
  readonly shadow: boolean;
  /** True when the limit counts `increment_from` units rather than calls. */
  readonly units: boolean;
}

export type Precheck =
  /** `shadowDenials`: shadow rules that fired before the enforced denial (for the audit line). */
  | { readonly kind: "deny"; readonly decision: Deny; readonly shadowDenials?: readonly Deny[] }
  | { readonly kind: "reserve"; readonly limits: readonly PlannedLimit[]; readonly shadowDenials: readonly Deny[] };

export function precheck(policy: CompiledPolicy | undefined, call: CallInput): Precheck {
  const { tool: name } = call;
  // 1. no grant / no policy
  if (call.grantId === undefined) return deny(call, "no_policy", RULE_NO_POLICY, `tool \`${name}\` is denied: no grant was presented`);
  if (policy === undefined) return deny(call, "no_policy", RULE_NO_POLICY, `tool \`${name}\` is denied: no policy is attached to grant \`${call.grantId}\``);
  // 2. hidden
  if (policy.hideAll || policy.hidden.has(name)) return deny(call, "hidden", RULE_HIDDEN, `tool \`${name}\` is hidden by policy`);
  // 3. default deny
  const tool = policy.tools.get(name);
  if (tool === undefined && policy.defaultDecision === "deny") {
    return deny(call, "default_deny", RULE_DEFAULT_DENY, `tool \`${name}\` is not permitted by policy (default deny)`);
  }
  // 4. arguments against the upstream inputSchema
  if (call.argumentIssues !== undefined && call.argumentIssues.length > 0) {
    return deny(call, "invalid_arguments", RULE_INPUT_SCHEMA, `arguments for tool \`${name}\` do not match its input schema: ${call.argumentIssues.join("; ")}`);
  }
  const shadowDenials: Deny[] = [];
  if (tool !== undefined) {
    const denied = checkRules(tool, call, shadowDenials);
    if (denied) return { kind: "deny", decision: denied, shadowDenials };
  }
  // 8. plan the counters: the tool's own limits first, then `all_tools`
  const limits: PlannedLimit[] = [];
  for (const group of [tool?.limits ?? NO_LIMITS, policy.allToolsLimits]) {
    for (const limit of group) {
      const amount = limitAmount(limit, call);
      if (typeof amount !== "number") {
        if (!limit.shadow) return { kind: "deny", decision: amount, shadowDenials };
        shadowDenials.push(amount);
        continue;
      }
      addPlanned(limits, plan(limit, call, amount));
    }
  }
  return { kind: "reserve", limits, shadowDenials };
}

const NO_LIMITS: readonly CompiledLimit[] = [];

/**
 * Steps 5–7: `action: deny`, `deny_if`, `require`, approval. Default messages are built only for
 * a rule that fires (they cost more than the check itself).
 */
function checkRules(tool: CompiledTool, call: CallInput, shadowDenials: Deny[]): Deny | undefined {
  const name = tool.name;
  if (tool.denyAction) {
    return makeDeny(call, "denied", tool.denyAction.rule, tool.denyAction.message ?? `tool \`${name}\` is denied by policy (rule \`${tool.denyAction.rule}\`)`);
  }
  const verdict = (entry: CompiledRuleEntry, code: DenyCode, fired: (holds: boolean) => boolean, fallback: () => string): Deny | undefined => {
    const outcome = allHold(entry.conditions, call.args);
    let denial: Deny | undefined;
    if (outcome.undecidable !== undefined) denial = makeDeny(call, code, entry.rule, `${outcome.undecidable}; rule \`${entry.rule}\` needs it`);
    else if (fired(outcome.holds)) denial = makeDeny(call, code, entry.rule, entry.message ?? fallback());
    if (denial && entry.shadow) {
      shadowDenials.push({ ...denial, shadow: true });
      return undefined;
    }
    return denial;
  };
  for (const entry of tool.denyIf) {
    const denial = verdict(entry, "denied", (holds) => holds, () => {
      const because = entry.conditions.length === 0 ? "" : ` (\`${entry.conditions.map(describeCondition).join("` and `")}\`)`;
      return `tool \`${name}\` is denied by rule \`${entry.rule}\`${because}`;
    });
    if (denial) return denial;
  }
  for (const entry of tool.require) {
    const denial = verdict(entry, "requirement_failed", (holds) => !holds, () => {
      const needs = entry.conditions.map(describeCondition).join("` and `");
      return `tool \`${name}\` requires \`${needs}\` (rule \`${entry.rule}\`)`;
    });
    if (denial) return denial;
  }
  if (tool.approval && call.approved !== true) {
    const outcome = allHold(tool.approval.conditions, call.args);
    // An undecidable approval condition asks a human rather than letting the call through.
    if (outcome.holds || outcome.undecidable !== undefined) {
      return makeDeny(call, "approval_required", tool.approval.rule, `tool \`${name}\` requires human approval (rule \`${tool.approval.rule}\`)`);
    }
  }
  return undefined;
}

/** ANDs conditions; any undecidable condition (missing path, wrong type) wins, whatever the others say. */
function allHold(conditions: readonly CompiledCondition[], args: Record<string, unknown>): { holds: boolean; undecidable?: string } {
  let holds = true;
  for (const condition of conditions) {
    const outcome = testCondition(condition, args);
    if (outcome.kind === "undecidable") return { holds: false, undecidable: outcome.message };
    if (outcome.kind === "fails") holds = false;
  }
  return { holds };
}

/** 1, or the value of `increment_from` (a finite number ≥ 0, fractions allowed); else a denial. */
function limitAmount(limit: CompiledLimit, call: CallInput): number | Deny {
  if (!limit.incrementFrom) return 1;
  const { path, segments } = limit.incrementFrom;
  const resolved = resolvePath(call.args, segments);
  const fail = (what: string): Deny => ({
    ...makeDeny(call, "invalid_arguments", limit.rule, `${what}; rule \`${limit.rule}\` counts it against \`${limit.counter}\``),
    ...(limit.shadow ? { shadow: true } : {}),
  });
  if (!resolved.found) return fail(`argument path \`${path}\` is missing`);
  const value = resolved.value;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    return fail(`argument \`${path}\` is ${JSON.stringify(value) ?? "not JSON"}, expected a number ≥ 0`);
  }
  return value;
}

function scopeKey(scope: LimitScope, call: CallInput): string {
  switch (scope) {
    case "grant":
      return `grant:${call.grantId ?? ""}`;
    case "session":
      return `session:${call.sessionKey}`;
    case "global":
      return "global";
  }
}

function plan(limit: CompiledLimit, call: CallInput, amount: number): PlannedLimit {
  return {
    request: { key: `${scopeKey(limit.scope, call)}|${limit.counter}`, windowMs: limit.windowMs, max: limit.max, amount },
    rule: limit.rule,
    counter: limit.counter,
    scope: limit.scope,
    window: limit.window,
    windowMs: limit.windowMs,
    max: limit.max,
    shadow: limit.shadow,
    units: limit.incrementFrom !== undefined,
  };
}

/**
 * A counter key is reserved once per call. When two applicable limits share a key, the larger
 * amount is taken and the smaller `max` applies (its rule is reported), but an enforced limit
 * always wins over a shadow one: a shadow limit never blocks, so its max cannot tighten the
 * enforced one (its would-deny on that shared key is not reported).
 */
function addPlanned(limits: PlannedLimit[], next: PlannedLimit): void {
  const i = limits.findIndex((l) => l.request.key === next.request.key);
  if (i === -1) {
    limits.push(next);
    return;
  }
  const prev = limits[i]!;
  const winner = prev.shadow !== next.shadow ? (prev.shadow ? next : prev) : next.max < prev.max ? next : prev;
  const amount = Math.max(prev.request.amount, next.request.amount);
  limits[i] = { ...winner, request: { ...winner.request, amount } };
}

export function limitDenial(call: CallInput, limit: PlannedLimit, level: CounterLevel): Deny {
  const retryAfterMs = Math.max(0, level.windowEndMs - level.nowMs);
  const what = limit.units ? (limit.max === 1 ? "unit" : "units") : limit.max === 1 ? "call" : "calls";
  const per = limit.scope === "global" ? "in total" : `per ${limit.scope}`;
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const limitFacts: LimitFacts = {
    counter: limit.counter,
    scope: limit.scope,
    window: limit.window,
    windowMs: limit.windowMs,
    max: limit.max,
    remaining: Math.max(0, limit.max - level.used),
    retryAfterMs,
    resetAt: isoTime(level.windowEndMs),
  };
  // Built as one literal (no spreads): a retry storm is thousands of these a second.
  const denial: Deny = {
    decision: "deny",
    code: "rate_limited",
    rule: limit.rule,
    tool: call.tool,
    message: `Rate limit exceeded: ${limit.counter} allows ${limit.max} ${what} per ${describeWindow(limit.window)} ${per}. Retry in ${seconds} s.`,
    limit: limitFacts,
  };
  return limit.shadow ? { ...denial, shadow: true } : denial;
}

/** ISO-8601 of a window end; the last one is remembered, as denials in a storm share their window. */
let lastIsoMs = Number.NaN;
let lastIso = "";
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

export function allowDecision(call: CallInput, limits: readonly PlannedLimit[]): Allow {
  return { decision: "allow", tool: call.tool, rules: limits.map((l) => l.rule) };
}

export function storeUnavailableDenial(call: CallInput): Deny {
  return makeDeny(call, "store_unavailable", RULE_STORE, `tool \`${call.tool}\` is denied: the counter store is unavailable`);
}

/** For `tools/list`: hidden and default-denied tools are removed; explicitly denied tools stay. */
export function isToolVisible(policy: CompiledPolicy | undefined, tool: string): boolean {
  if (policy === undefined) return false;
  if (policy.hideAll || policy.hidden.has(tool)) return false;
  return policy.tools.has(tool) || policy.defaultDecision === "allow";
}

function makeDeny(call: CallInput, code: DenyCode, rule: string, message: string): Deny {
  return { decision: "deny", code, rule, tool: call.tool, message };
}

function deny(call: CallInput, code: DenyCode, rule: string, message: string): Precheck {
  return { kind: "deny", decision: makeDeny(call, code, rule, message) };
}
