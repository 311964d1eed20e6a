/**
 * The decision for one `tools/call`, in the order of docs/architecture.md#decision-order (first
 * denial wins). Pure and deterministic: no I/O, no clock.
 *
 * `planCall` reads the policy once: the denials that need no fact about the world (steps 1–3),
 * the rules over the arguments (5–7) and the counters the call would reserve (8). The gateway then
 * gathers the facts the plan needs, in order — the arguments checked against the upstream's
 * `inputSchema` (step 4), a human's approval (7), the counter store's answer (8) — and
 * `concludeCall` turns the plan and the facts gathered so far into either the next fact to gather
 * or the decision. Rules are never evaluated twice.
 */
import { describeCondition, testCondition } from "./conditions.js";
import { RULE_DEFAULT_DENY, RULE_HIDDEN, RULE_INPUT_SCHEMA, RULE_NO_POLICY, RULE_STORE, type Decision, type Deny, type DenyCode, type TargetKind } from "./decision.js";
import { limitDenial, planLimits, type CallInput, type LimitPlan, type PlannedLimit } from "./limits.js";
import type { CompiledCondition, CompiledPolicy, CompiledRuleEntry, CompiledTool } from "./load-policy.js";
import type { CounterLevel } from "./windows.js";

export { limitDenial, type CallInput, type PlannedLimit } from "./limits.js";

/** What the policy says about a call before any fact is known. */
export interface CallPlan {
  readonly call: CallInput;
  /** Steps 1–3 (no policy, hidden, default deny): decided without any fact. */
  readonly early: Deny | undefined;
  /** Shadow rules of steps 5–7 that fired (before `ruleDenial`, when there is one). */
  readonly ruleShadowDenials: readonly Deny[];
  /** The first enforced denial of steps 5–6 (`action: deny`, `deny_if`, `require`). */
  readonly ruleDenial: Deny | undefined;
  /** Step 7: the tool needs a human's approval for these arguments. */
  readonly approval: { readonly required: Deny; readonly ttlMs: number } | undefined;
  readonly limits: LimitPlan;
}

/** The approval step's answer: a consumed approval, or the denial it gives. */
export type ApprovalFact = { readonly kind: "approved"; readonly approvalId: string } | { readonly kind: "denied"; readonly deny: Deny };

/** What the counter store did with one group of counters. */
export type CounterOutcome =
  | { readonly kind: "reserved" }
  | { readonly kind: "refused"; readonly index: number; readonly level: CounterLevel }
  | { readonly kind: "unavailable" }
  /** Not asked: the group is empty, or the enforced group was refused. */
  | { readonly kind: "skipped" };

export interface CounterFacts {
  readonly enforced: CounterOutcome;
  readonly shadow: CounterOutcome;
}

export interface CallFacts {
  /** Problems with the arguments against the upstream tool's `inputSchema`; empty when valid or unknown. */
  readonly argumentIssues: readonly string[];
  readonly approval?: ApprovalFact;
  readonly counters?: CounterFacts;
}

export interface EvaluationMode {
  /** Global shadow mode: every denial is only a would-deny and the call goes through. */
  readonly shadow: boolean;
  /** When the counter store fails: deny (`closed`) or let the call through uncounted (`open`). */
  readonly storeFail: "closed" | "open";
}

export const ENFORCING: EvaluationMode = { shadow: false, storeFail: "closed" };

export type Evaluation =
  /** `wouldDeny`: shadow rules (and, in global shadow mode, enforced ones) that would have denied. */
  | { readonly kind: "decided"; readonly decision: Decision; readonly wouldDeny: readonly Deny[] }
  | { readonly kind: "ask-approval"; readonly required: Deny; readonly ttlMs: number }
  /** Reserve `enforced` all or nothing; then `shadow` all or nothing if `enforced` passed (or always, in shadow mode). */
  | { readonly kind: "reserve"; readonly enforced: readonly PlannedLimit[]; readonly shadow: readonly PlannedLimit[]; readonly shadowEvenIfRefused: boolean };

const NO_DENIALS: readonly Deny[] = [];
const NO_LIMITS: LimitPlan = { limits: [], amountDenial: undefined, shadowDenials: NO_DENIALS };

export function planCall(policy: CompiledPolicy | undefined, input: CallInput): CallPlan {
  const what = subject(input);
  const early = (deny: Deny): CallPlan => ({ call: input, early: deny, ruleShadowDenials: NO_DENIALS, ruleDenial: undefined, approval: undefined, limits: NO_LIMITS });
  // 1. no grant / no policy
  if (input.grantId === undefined) return early(makeDeny(input, "no_policy", RULE_NO_POLICY, `${what} is denied: no grant was presented`));
  if (policy === undefined) return early(makeDeny(input, "no_policy", RULE_NO_POLICY, `${what} is denied: no policy is attached to grant \`${input.grantId}\``));
  // 2. hidden
  if (policy.hideAll || policy.hidden.has(input.tool)) return early(makeDeny(input, "hidden", RULE_HIDDEN, `${what} is hidden by policy`));
  // 3. default deny
  const found = ruleFor(policy, input);
  if (found === undefined && policy.defaultDecision === "deny") return early(makeDeny(input, "default_deny", RULE_DEFAULT_DENY, `${what} is not permitted by policy (default deny)`));
  const tool = found?.rule;
  // A resource matched by a template also offers the template's values to conditions (`args.kind`).
  const call = found?.variables === undefined ? input : { ...input, args: { ...found.variables, ...input.args } };
  // 5–7, then 8 when they let the call through (step 4 is a fact the gateway gathers).
  const ruleShadowDenials: Deny[] = [];
  const ruleDenial = tool === undefined ? undefined : checkRules(tool, call, ruleShadowDenials);
  if (call.reach === true) return { call, early: undefined, ruleShadowDenials, ruleDenial, approval: undefined, limits: NO_LIMITS };
  const approval = ruleDenial === undefined && tool !== undefined ? approvalNeed(tool, call) : undefined;
  const limits = ruleDenial === undefined ? planLimits(policy, tool, call) : NO_LIMITS;
  return { call, early: undefined, ruleShadowDenials, ruleDenial, approval, limits };
}

/** The rule that governs a call's target: by tool, URI (exact, then the first matching template), prompt or method. */
export function ruleFor(policy: CompiledPolicy, call: Pick<CallInput, "tool" | "kind">): { rule: CompiledTool; variables?: Record<string, string> } | undefined {
  const name = call.tool;
  switch (call.kind ?? "tool") {
    case "tool":
      return wrap(policy.tools.get(name));
    case "prompt":
      return wrap(policy.prompts.get(name));
    case "method":
      return wrap(policy.methods.get(name));
    case "resource": {
      const exact = policy.resources.get(name);
      if (exact !== undefined) return { rule: exact };
      for (const t of policy.resourceTemplates) {
        const m = t.pattern.exec(name);
        if (m) return { rule: t.rule, variables: Object.fromEntries(t.variables.map((v, i) => [v, decodeValue(m[i + 1]!)])) };
      }
      return undefined;
    }
  }
}

const wrap = (rule: CompiledTool | undefined): { rule: CompiledTool } | undefined => (rule === undefined ? undefined : { rule });

function decodeValue(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** How messages name a call's target: "tool `x`", "resource `kommo://account`", "prompt `p`", "method `tasks/get`". */
function subject(call: Pick<CallInput, "tool" | "kind" | "exposedName">): string {
  return `${call.kind ?? "tool"} \`${call.exposedName ?? call.tool}\``;
}

/** The next fact to gather, or the decision once the facts are in. */
export function concludeCall(plan: CallPlan, facts: CallFacts, mode: EvaluationMode = ENFORCING): Evaluation {
  const wouldDeny: Deny[] = [];
  const denied = (deny: Deny): Evaluation => {
    if (!mode.shadow) return { kind: "decided", decision: deny, wouldDeny };
    wouldDeny.push(deny);
    return { kind: "decided", decision: allow(plan, NO_LIMITS.limits, undefined), wouldDeny };
  };
  const { call } = plan;
  if (plan.early) return denied(plan.early);
  // 4. arguments against the upstream inputSchema
  if (facts.argumentIssues.length > 0) {
    return denied(makeDeny(call, "invalid_arguments", RULE_INPUT_SCHEMA, `arguments for ${subject(call)} do not match its input schema: ${facts.argumentIssues.join("; ")}`));
  }
  wouldDeny.push(...plan.ruleShadowDenials);
  // 5–6
  if (plan.ruleDenial) return denied(plan.ruleDenial);
  // 7. approval (never asked in shadow mode: the call goes through anyway)
  let approvalId: string | undefined;
  if (plan.approval) {
    if (mode.shadow) return denied(plan.approval.required);
    const fact = facts.approval;
    if (fact === undefined) return { kind: "ask-approval", required: plan.approval.required, ttlMs: plan.approval.ttlMs };
    if (fact.kind === "denied") return { kind: "decided", decision: fact.deny, wouldDeny };
    approvalId = fact.approvalId;
  }
  // 8. counters
  const { limits, amountDenial, shadowDenials } = plan.limits;
  wouldDeny.push(...shadowDenials);
  if (amountDenial) return denied(amountDenial);
  const enforced = limits.filter((l) => !l.shadow);
  const shadow = limits.filter((l) => l.shadow);
  if (limits.length > 0) {
    const counters = facts.counters;
    if (counters === undefined) return { kind: "reserve", enforced, shadow, shadowEvenIfRefused: mode.shadow };
    const e = counters.enforced;
    if (e.kind === "refused") {
      const deny = limitDenial(call, enforced[e.index]!, e.level);
      if (!mode.shadow) return { kind: "decided", decision: deny, wouldDeny };
      wouldDeny.push(deny);
    } else if (e.kind === "unavailable" && mode.storeFail === "closed") {
      const deny = storeUnavailableDenial(call);
      if (!mode.shadow) return { kind: "decided", decision: deny, wouldDeny };
      wouldDeny.push(deny);
    }
    const s = counters.shadow;
    if (s.kind === "refused") wouldDeny.push(limitDenial(call, shadow[s.index]!, s.level));
  }
  return { kind: "decided", decision: allow(plan, limits, approvalId), wouldDeny };
}

function allow(plan: CallPlan, limits: readonly PlannedLimit[], approvalId: string | undefined): Decision {
  const rules = limits.map((l) => l.rule);
  const tool = plan.call.exposedName ?? plan.call.tool;
  return approvalId === undefined ? { decision: "allow", tool, rules } : { decision: "allow", tool, rules, approvalId };
}

/**
 * Steps 5–6: `action: deny`, `deny_if`, `require`. Default messages are built only for a rule that
 * fires (they cost more than the check itself).
 */
function checkRules(tool: CompiledTool, call: CallInput, shadowDenials: Deny[]): Deny | undefined {
  const what = subject(call);
  if (tool.denyAction) {
    return makeDeny(call, "denied", tool.denyAction.rule, tool.denyAction.message ?? `${what} is denied by policy (rule \`${tool.denyAction.rule}\`)`);
  }
  const verdict = (entry: CompiledRuleEntry, code: DenyCode, fired: (holds: boolean) => boolean, fallback: () => string): Deny | undefined => {
    // Reaching a target (subscribe, completion) is refused only by a rule that holds unconditionally.
    if (call.reach === true && (code !== "denied" || entry.conditions.length > 0)) return undefined;
    const outcome = allHold(entry.conditions, call);
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
      return `${what} is denied by rule \`${entry.rule}\`${because}`;
    });
    if (denial) return denial;
  }
  for (const entry of tool.require) {
    const denial = verdict(entry, "requirement_failed", (holds) => !holds, () => {
      const needs = entry.conditions.map(describeCondition).join("` and `");
      return `${what} requires \`${needs}\` (rule \`${entry.rule}\`)`;
    });
    if (denial) return denial;
  }
  return undefined;
}

/** Step 7: the tool's approval rule applies to these arguments. An undecidable condition asks a human rather than letting the call through. */
function approvalNeed(tool: CompiledTool, call: CallInput): CallPlan["approval"] {
  if (!tool.approval) return undefined;
  const outcome = allHold(tool.approval.conditions, call);
  if (!outcome.holds && outcome.undecidable === undefined) return undefined;
  const rule = tool.approval.rule;
  return { required: makeDeny(call, "approval_required", rule, `${subject(call)} requires human approval (rule \`${rule}\`)`), ttlMs: tool.approval.ttlMs };
}

/** ANDs conditions; any undecidable condition (missing path, wrong type) wins, whatever the others say. */
function allHold(conditions: readonly CompiledCondition[], call: CallInput): { holds: boolean; undecidable?: string } {
  let holds = true;
  for (const condition of conditions) {
    const outcome = testCondition(condition, call.args, call.claims);
    if (outcome.kind === "undecidable") return { holds: false, undecidable: outcome.message };
    if (outcome.kind === "fails") holds = false;
  }
  return { holds };
}

export function storeUnavailableDenial(call: CallInput): Deny {
  return makeDeny(call, "store_unavailable", RULE_STORE, `${subject(call)} is denied: the counter store is unavailable`);
}

/** For `tools/list`: hidden and default-denied tools are removed; explicitly denied tools stay. */
export function isToolVisible(policy: CompiledPolicy | undefined, tool: string): boolean {
  return isVisible(policy, "tool", tool);
}

/** For the list methods: what some request could be allowed to reach stays; hidden and default-denied entries go. */
export function isVisible(policy: CompiledPolicy | undefined, kind: TargetKind, name: string): boolean {
  if (policy === undefined) return false;
  if (policy.hideAll || policy.hidden.has(name)) return false;
  return policy.defaultDecision === "allow" || ruleFor(policy, { tool: name, kind }) !== undefined;
}

/** For `resources/templates/list`: a template stays when a rule names it exactly (or under default allow). */
export function isTemplateVisible(policy: CompiledPolicy | undefined, template: string): boolean {
  if (policy === undefined) return false;
  if (policy.hideAll || policy.hidden.has(template)) return false;
  return policy.defaultDecision === "allow" || policy.resourceTemplates.some((t) => t.template === template) || policy.resources.has(template);
}

function makeDeny(call: CallInput, code: DenyCode, rule: string, message: string): Deny {
  const kind = call.kind === undefined || call.kind === "tool" ? undefined : call.kind;
  const tool = call.exposedName ?? call.tool;
  if (kind === undefined && !call.server) return { decision: "deny", code, rule, tool, message };
  return { decision: "deny", code, rule, tool, ...(kind ? { kind } : {}), ...(call.server ? { server: call.server } : {}), message };
}
