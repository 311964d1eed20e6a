/**
 * The policy evaluator alone: ns per decision (`planCall`, then `concludeCall` up to the counters
 * and again with their answer, allowed or refused), for the seed policy and for a generated 1,000-tool policy in
 * which every tool has `deny_if` and `require` conditions (eq, neq, in, gt, gte, lt, regex over
 * nested paths) and two limits, plus an `all_tools` limit and 50 hidden tools. The calls are
 * built so that every condition is evaluated and the call is allowed (the slowest path).
 */
import { monotonicNs } from "../core/clock.js";
import { concludeCall, planCall, type CallFacts, type CallInput } from "../policy/evaluate.js";
import { compilePolicy, type CompiledPolicy } from "../policy/load-policy.js";
import { median } from "./stats.js";

export const SEED_POLICY = {
  version: "1",
  default: "deny",
  tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] } },
} as const;

export interface EvaluatorPlan {
  readonly iterations: number;
  readonly rounds: number;
}

export interface EvaluatorCase {
  readonly policy: string;
  readonly decision: "allow" | "rate_limited";
  readonly tools: number;
  readonly nsPerDecision: number;
  readonly nsPerDecisionMin: number;
  readonly nsPerDecisionMax: number;
  readonly iterations: number;
}

export interface EvaluatorReport {
  readonly cases: readonly EvaluatorCase[];
}

/** A 1,000-tool policy (version 1, default deny) with conditions and limits on every tool. */
export function generateLargePolicy(toolCount = 1_000): object {
  const tools: Record<string, object> = {};
  for (let i = 0; i < toolCount; i++) {
    tools[`tool_${i}`] = {
      deny_if: [
        { conditions: [{ path: "args.amount", op: "gt", value: 10_000 }], on_deny: "Amounts over 10000 need a human." },
        { conditions: [{ path: "args.customer.email", op: "regex", value: "@example\\.com$" }] },
        { conditions: [{ path: "args.mode", op: "eq", value: "live" }, { path: "args.items.0.id", op: "neq", value: 42 }] },
      ],
      require: [
        { conditions: [{ path: "args.channel", op: "in", value: ["web", "api"] }] },
        { conditions: [{ path: "args.quantity", op: "gte", value: 1 }, { path: "args.quantity", op: "lt", value: 100 }] },
      ],
      limits: [
        { counter: `tool_${i}_rate`, window: "minute", max: 1_000_000_000, scope: "grant" },
        { counter: `group_${i % 10}`, window: "hour", max: 1_000_000_000, scope: "session" },
      ],
    };
  }
  return {
    version: "1",
    default: "deny",
    hide: Array.from({ length: 50 }, (_, i) => `hidden_${i}`),
    all_tools: { limits: [{ counter: "all_calls", window: "day", max: 1_000_000_000, scope: "global" }] },
    tools,
  };
}

export function compileOrThrow(document: object): CompiledPolicy {
  const parsed = compilePolicy(document);
  if (!parsed.ok) throw new Error(`bench policy is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  return parsed.value;
}

function largeCalls(toolCount: number): CallInput[] {
  return Array.from({ length: 1_024 }, (_, i) => ({
    tool: `tool_${(i * 7919) % toolCount}`,
    args: { bot_id: i, amount: 500, customer: { email: `buyer${i}@corp.io` }, mode: "test", items: [{ id: 42 }], channel: "web", quantity: 5 },
    grantId: "bench",
    sessionKey: "session-1",
  }));
}

function seedCalls(): CallInput[] {
  return Array.from({ length: 1_024 }, (_, i) => ({ tool: "stop_salesbot", args: { bot_id: i }, grantId: "bench", sessionKey: "session-1" }));
}

const NO_ISSUES: CallFacts = { argumentIssues: [] };

/** Decides `iterations` calls; returns ns per decision. `sink` keeps the work observable. */
function timeDecisions(policy: CompiledPolicy, calls: readonly CallInput[], decision: "allow" | "rate_limited", iterations: number, sink: { n: number }): number {
  const level = { used: 10, windowStartMs: 1_767_225_600_000, windowEndMs: 1_767_225_660_000, nowMs: 1_767_225_637_000 };
  const mask = calls.length - 1;
  const counters: CallFacts["counters"] = decision === "allow" ? { enforced: { kind: "reserved" }, shadow: { kind: "skipped" } } : { enforced: { kind: "refused", index: 0, level }, shadow: { kind: "skipped" } };
  const t0 = monotonicNs();
  for (let i = 0; i < iterations; i++) {
    const call = calls[i & mask]!;
    const plan = planCall(policy, call);
    const next = concludeCall(plan, NO_ISSUES);
    if (next.kind !== "reserve") throw new Error(`bench call did not reach the counters: ${JSON.stringify(next)}`);
    const out = concludeCall(plan, { argumentIssues: [], counters });
    if (out.kind !== "decided") throw new Error("bench call was not decided with its counters");
    sink.n += out.decision.decision === "allow" ? out.decision.rules.length : 1;
  }
  return Number(monotonicNs() - t0) / iterations;
}

export function runEvaluatorBench(plan: EvaluatorPlan): EvaluatorReport {
  const seed = compileOrThrow(SEED_POLICY);
  const large = compileOrThrow(generateLargePolicy());
  const sink = { n: 0 };
  const cases: EvaluatorCase[] = [];
  const setups = [
    { name: "seed", tools: 1, policy: seed, calls: seedCalls() },
    { name: "1000-tool", tools: 1_000, policy: large, calls: largeCalls(1_000) },
  ];
  for (const setup of setups) {
    for (const decision of ["allow", "rate_limited"] as const) {
      timeDecisions(setup.policy, setup.calls, decision, Math.min(plan.iterations, 20_000), sink); // warm-up (JIT)
      const samples = Array.from({ length: plan.rounds }, () => timeDecisions(setup.policy, setup.calls, decision, plan.iterations, sink));
      cases.push({
        policy: setup.name,
        decision,
        tools: setup.tools,
        nsPerDecision: median(samples),
        nsPerDecisionMin: Math.min(...samples),
        nsPerDecisionMax: Math.max(...samples),
        iterations: plan.iterations,
      });
    }
  }
  if (sink.n === 0) throw new Error("evaluator bench produced no decisions");
  return { cases };
}
