/**
 * Step 8 of the decision order, as pure functions: which counters a call reserves (scope key ×
 * counter name, with the amount it consumes) and the `rate_limited` denial built from the level a
 * store reports. The store only reserves and rolls back; see `stores/counter-store.ts`.
 */
import { resolvePath } from "./conditions.js";
import type { Deny, LimitFacts, LimitScope, TargetKind } from "./decision.js";
import type { CompiledLimit, CompiledPolicy, CompiledTool } from "./load-policy.js";
import { describeWindow, type CounterLevel, type CounterRequest } from "./windows.js";

/** The call as the policy sees it: which tool, with what, for whom. */
export interface CallInput {
  /** The tool's name at its server (rules address it); for other kinds the resource URI, prompt name or method. */
  readonly tool: string;
  /** The upstream server, when one gateway fronts several: counter keys and denials carry it. */
  readonly server?: string;
  /** The name the agent used (`<server>__<tool>`), when it differs from `tool`; denials name it. */
  readonly exposedName?: string;
  /** Default `tool`. */
  readonly kind?: TargetKind;
  /**
   * Only whether the target can be reached (`resources/subscribe`, `completion/complete`): steps
   * 1–3 and unconditional denials apply; no approval is asked and nothing is counted.
   */
  readonly reach?: boolean;
  readonly args: Record<string, unknown>;
  /** The claims of the caller's token (OAuth), which conditions may read as `claims.…`. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Scope `grant` key. Undefined means no grant was presented: every call is denied (`no_policy`). */
  readonly grantId: string | undefined;
  /** Scope `session` key (MCP session id or downstream connection id). */
  readonly sessionKey: string;
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
  /** Shadow limits are decided and logged but never block: reserved apart from the others. */
  readonly shadow: boolean;
  /** True when the limit counts `increment_from` units rather than calls. */
  readonly units: boolean;
}

/** The counters one call would reserve, or the first enforced limit whose amount cannot be read. */
export interface LimitPlan {
  readonly limits: readonly PlannedLimit[];
  /** An enforced `increment_from` that does not resolve to a number ≥ 0: the call is denied. */
  readonly amountDenial: Deny | undefined;
  /** Shadow limits whose amount could not be read before `amountDenial` (or all of them). */
  readonly shadowDenials: readonly Deny[];
}

const NO_LIMITS: readonly CompiledLimit[] = [];

/** The stack-wide limits whose patterns match this call's server and tool. */
function stackLimitsFor(policy: CompiledPolicy, call: CallInput): readonly CompiledLimit[] {
  if (policy.stackLimits === undefined || policy.stackLimits.length === 0) return NO_LIMITS;
  return policy.stackLimits.filter((s) => s.matches(call.server ?? "", call.tool)).map((s) => s.limit);
}

/** The tool's own limits first, then `all_tools`, then the stack's; a counter key is reserved once per call. */
export function planLimits(policy: CompiledPolicy, tool: CompiledTool | undefined, call: CallInput): LimitPlan {
  const limits: PlannedLimit[] = [];
  const shadowDenials: Deny[] = [];
  const isTool = (call.kind ?? "tool") === "tool";
  for (const group of [tool?.limits ?? NO_LIMITS, isTool ? policy.allToolsLimits : NO_LIMITS, isTool ? stackLimitsFor(policy, call) : NO_LIMITS]) {
    for (const limit of group) {
      const amount = limitAmount(limit, call);
      if (typeof amount !== "number") {
        if (!limit.shadow) return { limits, amountDenial: amount, shadowDenials };
        shadowDenials.push(amount);
        continue;
      }
      addPlanned(limits, plan(limit, call, amount));
    }
  }
  return { limits, amountDenial: undefined, shadowDenials };
}

/** 1, or the value of `increment_from` (a finite number ≥ 0, fractions allowed); else a denial. */
function limitAmount(limit: CompiledLimit, call: CallInput): number | Deny {
  if (!limit.incrementFrom) return 1;
  const { path, segments } = limit.incrementFrom;
  const resolved = resolvePath(call.args, segments);
  const fail = (what: string): Deny => ({
    decision: "deny",
    code: "invalid_arguments",
    rule: limit.rule,
    tool: call.exposedName ?? call.tool,
    ...(call.kind !== undefined && call.kind !== "tool" ? { kind: call.kind } : {}),
    ...(call.server ? { server: call.server } : {}),
    message: `${what}; rule \`${limit.rule}\` counts it against \`${limit.counter}\``,
    ...(limit.shadow ? { shadow: true } : {}),
  });
  if (!resolved.found) return fail(`argument path \`${path}\` is missing`);
  const value = resolved.value;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    return fail(`argument \`${path}\` is ${JSON.stringify(value) ?? "not JSON"}, expected a number ≥ 0`);
  }
  return value;
}

function scopeKey(scope: LimitScope, call: Pick<CallInput, "grantId" | "sessionKey">): string {
  switch (scope) {
    case "grant":
      return `grant:${call.grantId ?? ""}`;
    case "session":
      return `session:${call.sessionKey}`;
    case "global":
      return "global";
  }
}

/**
 * `${scopeKey}|${counter}`, or `${scopeKey}|${server}/${counter}` behind a gateway with several
 * servers, so two servers' counters of the same name never mix — unless the limit spans servers
 * (a stack-wide limit). Server names have no `/`, so keys cannot collide.
 */
export function counterKey(limit: CompiledLimit, call: Pick<CallInput, "server" | "grantId" | "sessionKey">): string {
  const server = call.server;
  const prefix = server === undefined || server === "" || limit.spansServers ? "" : `${server}/`;
  return `${scopeKey(limit.scope, call)}|${prefix}${limit.counter}`;
}

function plan(limit: CompiledLimit, call: CallInput, amount: number): PlannedLimit {
  return {
    request: { key: counterKey(limit, call), windowMs: limit.windowMs, max: limit.max, amount },
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
    tool: call.exposedName ?? call.tool,
    message: `Rate limit exceeded: ${limit.counter} allows ${limit.max} ${what} per ${describeWindow(limit.window)} ${per}. Retry in ${seconds} s.`,
    limit: limitFacts,
  };
  const kinded = call.kind === undefined || call.kind === "tool" ? (call.server ? { ...denial, server: call.server } : denial) : { ...denial, kind: call.kind, ...(call.server ? { server: call.server } : {}) };
  return limit.shadow ? { ...kinded, shadow: true } : kinded;
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
