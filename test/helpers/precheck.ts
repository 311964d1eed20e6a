/**
 * The evaluator's steps 1–8 planned in one go, for tests that ask "what would the policy do with
 * this call, given these facts?": `planCall` then `concludeCall` with the argument issues and an
 * approval given up front. A denial (or the approval the call would need) comes back as `deny`;
 * a call that gets as far as the counters comes back as `reserve` with every limit it would
 * reserve, in plan order, and the shadow rules that fired on the way.
 */
import type { Deny } from "../../src/policy/decision.js";
import { concludeCall, planCall, type CallInput, type PlannedLimit } from "../../src/policy/evaluate.js";
import type { CompiledPolicy } from "../../src/policy/load-policy.js";

export type Precheck =
  | { readonly kind: "deny"; readonly decision: Deny; readonly shadowDenials: readonly Deny[] }
  | { readonly kind: "reserve"; readonly limits: readonly PlannedLimit[]; readonly shadowDenials: readonly Deny[] };

export interface GivenFacts {
  readonly argumentIssues?: readonly string[];
  /** A matching approval was consumed. */
  readonly approved?: boolean;
}

export function precheck(policy: CompiledPolicy | undefined, call: CallInput, given: GivenFacts = {}): Precheck {
  const plan = planCall(policy, call);
  const next = concludeCall(plan, { argumentIssues: given.argumentIssues ?? [], ...(given.approved ? { approval: { kind: "approved", approvalId: "apr_test" } } : {}) });
  switch (next.kind) {
    case "decided":
      if (next.decision.decision === "deny") return { kind: "deny", decision: next.decision, shadowDenials: next.wouldDeny };
      return { kind: "reserve", limits: [], shadowDenials: next.wouldDeny };
    case "ask-approval":
      return { kind: "deny", decision: next.required, shadowDenials: plan.ruleShadowDenials };
    case "reserve":
      return { kind: "reserve", limits: plan.limits.limits, shadowDenials: [...plan.ruleShadowDenials, ...plan.limits.shadowDenials] };
  }
}
