/**
 * `toolgate replay`: re-decide recorded traffic under a policy, in the recorded order, on a virtual
 * clock at the recorded times — counters, windows and scopes evolve as they would have under that
 * policy. What the gateway cannot know again is taken from the recording: arguments that failed
 * the upstream's input schema fail again; an approval passes when the recorded call passed with
 * one and is still required otherwise; a forwarded call keeps its slot unless the recording says it
 * never left the gateway. The policy's own evaluator decides (`policy/evaluate.ts`), so a replay
 * decides exactly as the gateway would.
 */
import type { Clock } from "../../core/clock.js";
import type { Decision, Deny, DenyCode, TargetKind } from "../../policy/decision.js";
import { concludeCall, planCall, type CallFacts, type CallInput, type CounterOutcome, type Evaluation } from "../../policy/evaluate.js";
import type { CompiledPolicy } from "../../policy/load-policy.js";
import type { Reservation } from "../../stores/counter-store.js";
import { MemoryCounterStore } from "../../stores/memory-counter-store.js";
import type { Recorded } from "./recording-file.js";

export interface ReplayedDecision {
  readonly decision: "allow" | "deny";
  readonly code: DenyCode | null;
  readonly rule: string | null;
  /** What shadow rules (or `shadow` mode) would have denied. */
  readonly wouldDeny: readonly { readonly code: DenyCode; readonly rule: string }[];
}

export interface ReplayOptions {
  /** The policy for a recorded grant (and server); undefined → `no_policy`, as in the gateway. */
  readonly policyFor: (grant: string | null, server: string | undefined) => CompiledPolicy | undefined;
  /** Decide in global shadow mode (`serve --shadow`). */
  readonly shadow?: boolean;
}

const KINDS: Readonly<Record<string, Exclude<TargetKind, "tool">>> = {
  "resources/read": "resource",
  "resources/subscribe": "resource",
  "resources/unsubscribe": "resource",
  "prompts/get": "prompt",
};

/** Decides recorded calls one by one, in order, carrying the counters from call to call. */
export class Replayer {
  private nowMs = Number.NEGATIVE_INFINITY;
  private readonly store: MemoryCounterStore;
  private readonly mode;

  constructor(private readonly options: ReplayOptions) {
    // Time only moves to each recorded call's time; nothing waits on it (no timers).
    const clock: Clock = { nowMs: () => this.nowMs, setTimer: () => ({ cancel: () => {} }), sleep: () => Promise.resolve() };
    this.store = new MemoryCounterStore({ clock });
    this.mode = { shadow: options.shadow ?? false, storeFail: "closed" as const };
  }

  decide(call: Recorded): ReplayedDecision {
    return this.decideFully(call).replayed;
  }

  /** The replayed decision and the evaluator's own (with its limit facts, e.g. `retryAfterMs`). */
  decideFully(call: Recorded): { readonly replayed: ReplayedDecision; readonly decision: Decision } {
    if (call.atMs > this.nowMs) this.nowMs = call.atMs;
    const { store, mode } = this;
    const plan = planCall(this.options.policyFor(call.grant, call.server), inputOf(call));
    const facts: { -readonly [K in keyof CallFacts]: CallFacts[K] } = {
      argumentIssues: call.code === "invalid_arguments" && call.rule === "(input schema)" ? ["the arguments did not match the tool's input schema when recorded"] : [],
    };
    let next: Evaluation = concludeCall(plan, facts, mode);
    if (next.kind === "ask-approval") {
      facts.approval = call.decision === "allow" && call.approvalId !== undefined ? { kind: "approved", approvalId: call.approvalId } : { kind: "denied", deny: approvalAsRecorded(next.required, call) };
      next = concludeCall(plan, facts, mode);
    }
    const held: Reservation[] = [];
    if (next.kind === "reserve") {
      const enforced = reserve(store, next.enforced.map((l) => l.request), held);
      const shadow = enforced.kind === "refused" && !next.shadowEvenIfRefused ? SKIPPED : reserve(store, next.shadow.map((l) => l.request), held);
      facts.counters = { enforced, shadow };
      next = concludeCall(plan, facts, mode);
    }
    if (next.kind !== "decided") throw new Error(`${call.source}: the evaluation stopped at \`${next.kind}\``);
    const d = next.decision;
    // A slot goes back only for a call that did not run: denied now, or recorded as never sent.
    if (d.decision === "deny" || call.outcome === "not_sent") for (const r of held) store.rollbackNow(r);
    const replayed: ReplayedDecision = { decision: d.decision, code: d.decision === "deny" ? d.code : null, rule: d.decision === "deny" ? d.rule : null, wouldDeny: next.wouldDeny.length === 0 ? NONE : next.wouldDeny.map((w) => ({ code: w.code, rule: w.rule })) };
    return { replayed, decision: d };
  }
}

const NONE: ReplayedDecision["wouldDeny"] = [];

/** Decides every recorded call in order; one decision per call. */
export async function replayDecisions(calls: readonly Recorded[], options: ReplayOptions): Promise<ReplayedDecision[]> {
  const replayer = new Replayer(options);
  const out: ReplayedDecision[] = [];
  for (const call of calls) out.push(replayer.decide(call));
  return out;
}

/** The recorded decision itself, in the same shape (the baseline when no baseline policy is given). */
export function recordedDecision(call: Recorded): ReplayedDecision {
  return { decision: call.decision, code: call.code, rule: call.rule, wouldDeny: call.wouldDeny ?? NONE };
}

function inputOf(call: Recorded): CallInput {
  const kind: TargetKind = call.method === "tools/call" ? "tool" : (KINDS[call.method] ?? "method");
  return {
    tool: call.nameAtServer ?? call.name,
    ...(call.nameAtServer !== undefined ? { exposedName: call.name } : {}),
    ...(kind === "tool" ? {} : { kind }),
    ...(call.method === "resources/subscribe" || call.method === "resources/unsubscribe" || call.method === "completion/complete" ? { reach: true } : {}),
    args: call.args,
    grantId: call.grant ?? undefined,
    sessionKey: call.session,
    ...(call.server ? { server: call.server } : {}),
  };
}

function approvalAsRecorded(required: Deny, call: Recorded): Deny {
  const code = call.code === "approval_denied" || call.code === "approval_expired" ? call.code : "approval_required";
  return { ...required, code };
}

const SKIPPED: CounterOutcome = { kind: "skipped" };

function reserve(store: MemoryCounterStore, requests: Parameters<MemoryCounterStore["reserve"]>[0], held: Reservation[]): CounterOutcome {
  if (requests.length === 0) return SKIPPED;
  const result = store.reserveNow(requests);
  if (!result.ok) return { kind: "refused", index: result.failedIndex, level: result.level };
  held.push(result.reservation);
  return { kind: "reserved" };
}
