/**
 * The rule state that applies to a tool now, as the console shows it: Hide, Deny, Approval,
 * Custom (argument rules), Rate-limited or Allow, in the evaluator's decision order (hidden and
 * default-deny first, then `action: deny`, then argument rules, approval and limits), with every
 * limit that gates it and the counter level the store reports for grant and global scopes.
 */
import type { Clock } from "../../core/clock.js";
import { classifyTool, type RiskClass, type ToolInfo } from "../../policy/risk-classification.js";
import { counterKey } from "../../policy/limits.js";
import type { CompiledLimit, CompiledPolicy } from "../../policy/load-policy.js";
import type { CounterStore } from "../../stores/counter-store.js";

export type RuleState = "allow" | "deny" | "hide" | "rate_limited" | "approval" | "custom";

export interface CounterView {
  readonly rule: string;
  readonly counter: string;
  readonly scope: string;
  readonly window: string | number;
  readonly max: number;
  readonly shadow: boolean;
  /** Units used in the current window; undefined for per-session counters (one per connection). */
  readonly used?: number;
  readonly resetInMs?: number;
  readonly key?: string;
}

export interface ToolView {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly annotations?: ToolInfo["annotations"];
  readonly inputSchema?: unknown;
  readonly risk: RiskClass;
  readonly riskEvidence: string;
  readonly state: RuleState;
  /** Why this state: the rule's JSON pointer or `default`. */
  readonly stateRule: string;
  readonly denyReason?: string;
  readonly approvalTtlMs?: number;
  readonly counters: readonly CounterView[];
}

export interface UpstreamTool extends ToolInfo {
  readonly inputSchema?: unknown;
}

export function ruleState(policy: CompiledPolicy, name: string): { state: RuleState; rule: string; denyReason?: string; approvalTtlMs?: number } {
  if (policy.hideAll || policy.hidden.has(name)) return { state: "hide", rule: "/hide" };
  const tool = policy.tools.get(name);
  if (tool === undefined) return policy.defaultDecision === "deny" ? { state: "deny", rule: "/default" } : { state: policy.allToolsLimits.length > 0 ? "rate_limited" : "allow", rule: policy.allToolsLimits.length > 0 ? "/all_tools/limits" : "/default" };
  if (tool.denyAction) return { state: "deny", rule: tool.denyAction.rule, ...(tool.denyAction.message === undefined ? {} : { denyReason: tool.denyAction.message }) };
  if (tool.denyIf.length > 0 || tool.require.length > 0 || (tool.approval !== undefined && tool.approval.conditions.length > 0)) return { state: "custom", rule: `/tools/${name}` };
  if (tool.approval) return { state: "approval", rule: tool.approval.rule, approvalTtlMs: tool.approval.ttlMs };
  if (tool.limits.length > 0 || policy.allToolsLimits.length > 0) return { state: "rate_limited", rule: tool.limits[0]?.rule ?? "/all_tools/limits" };
  return { state: "allow", rule: `/tools/${name}` };
}

/** Every tool the upstream lists, plus every tool the policy names that the upstream did not list. */
export async function toolViews(policy: CompiledPolicy, grantId: string, upstream: readonly UpstreamTool[], store: CounterStore, clock: Clock, server: string = ""): Promise<ToolView[]> {
  const names = new Set(upstream.map((t) => t.name));
  const all: UpstreamTool[] = [...upstream, ...[...policy.tools.keys()].filter((n) => !names.has(n)).map((name) => ({ name }))];
  return Promise.all(
    all.map(async (tool) => {
      const classified = classifyTool(tool);
      const state = ruleState(policy, tool.name);
      const limits = [...(policy.tools.get(tool.name)?.limits ?? []), ...policy.allToolsLimits];
      return {
        name: tool.name,
        ...(tool.title === undefined ? {} : { title: tool.title }),
        ...(tool.description === undefined ? {} : { description: tool.description }),
        ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
        ...(tool.inputSchema === undefined ? {} : { inputSchema: tool.inputSchema }),
        risk: classified.risk,
        riskEvidence: classified.evidence,
        state: state.state,
        stateRule: state.rule,
        ...(state.denyReason === undefined ? {} : { denyReason: state.denyReason }),
        ...(state.approvalTtlMs === undefined ? {} : { approvalTtlMs: state.approvalTtlMs }),
        counters: await Promise.all(limits.map((limit) => counterView(limit, grantId, server, store, clock))),
      };
    }),
  );
}

async function counterView(limit: CompiledLimit, grantId: string, server: string, store: CounterStore, clock: Clock): Promise<CounterView> {
  const base = { rule: limit.rule, counter: limit.counter, scope: limit.scope, window: limit.window, max: limit.max, shadow: limit.shadow };
  if (limit.scope === "session") return base;
  const key = counterKey(limit, { grantId, sessionKey: "", server });
  try {
    const level = await store.peek(key, limit.windowMs);
    return { ...base, key, used: level.used, resetInMs: Math.max(0, level.windowEndMs - (level.nowMs ?? clock.nowMs())) };
  } catch {
    return { ...base, key };
  }
}
