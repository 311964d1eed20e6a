/**
 * One governed `tools/call`, the decision order of docs/architecture.md#decision-order: precheck (no policy, hidden, default
 * deny) → arguments against the upstream `inputSchema` → deny_if / require / approval → reserve
 * every limit atomically → forward; the outcome settles the reservation (rolled back on a JSON-RPC
 * error, a timeout or a vanished upstream) and writes the audit line.
 */
import { monotonicNs, type Clock } from "../core/clock.js";
import type { Deny } from "../policy/decision.js";
import { limitDenial, precheck, storeUnavailableDenial, type CallInput, type PlannedLimit } from "../policy/evaluate.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import type { CounterStore, Reservation } from "../stores/counter-store.js";
import { denialResult } from "../protocol/denial.js";
import type { Era } from "../protocol/eras.js";
import { isJsonObject, type JsonObject, type JsonRpcErrorResponse, type JsonRpcId, type JsonRpcRequest } from "../protocol/messages.js";
import { errorResponse, INTERNAL_ERROR, invalidParams, upstreamFailure } from "../protocol/wire-errors.js";
import type { ApprovalGate } from "./approvals/approval-gate.js";
import { runApprovalStep } from "./approvals/approval-step.js";
import { argumentFacts, type AuditOutcome, type AuditRecord, type WouldDeny } from "./audit-log.js";
import { newDecisionId } from "./decision-id.js";
import { findArgumentProblem } from "./unsafe-keys.js";
import type { UpstreamTools } from "./upstream-tools.js";
import { ArgumentValidator } from "./validate-args.js";
import { messageOf } from "../core/errors.js";

/** Denials decided before the arguments matter: no upstream schema is needed to give them. */
const EARLY_CODES = new Set(["no_policy", "hidden", "default_deny"]);

/** A call that was allowed (or shadow-denied) and forwarded; settled by `finish`. */
export interface ForwardedCall {
  readonly state: CallState;
}

interface CallState {
  readonly request: JsonRpcRequest;
  readonly era: Era;
  readonly input: CallInput;
  readonly decisionId: string;
  readonly decidedAtMs: number;
  readonly policyVersion: string | null;
  readonly reservations: Reservation[];
  readonly wouldDeny: WouldDeny[];
  /** The approval this call was answered with or passed on (audited with the decision). */
  approvalId?: string;
  /** A consumed approval to give back if the call does not reach the server. */
  unusedApproval?: string;
  cancelled: boolean;
  startedNs: bigint;
  settled: boolean;
}

export interface GovernorDeps {
  readonly clock: Clock;
  readonly store: CounterStore;
  readonly grantId: string | undefined;
  readonly sessionKey: string;
  readonly storeFailMode: "closed" | "open";
  readonly shadow: boolean;
  readonly policy: () => CompiledPolicy | undefined;
  readonly tools: UpstreamTools;
  readonly listPage: (cursor: string | undefined, callerMeta: JsonObject | undefined) => Promise<JsonObject>;
  readonly answer: (id: JsonRpcId, result: JsonObject) => void;
  readonly answerError: (response: JsonRpcErrorResponse) => void;
  readonly forward: (call: ForwardedCall, request: JsonRpcRequest) => void;
  readonly audit: ((record: AuditRecord) => void) | undefined;
  readonly log: (line: object) => void;
  /** Step 7 with pending approvals; without it `approval_required` is answered with no approval id. */
  readonly approvals?: ApprovalGate | undefined;
}

export class ToolCallGovernor {
  private readonly validator = new ArgumentValidator();
  /** Calls being decided (awaiting schemas or the store), by caller id. */
  private readonly deciding = new Map<JsonRpcId, CallState>();

  constructor(private readonly deps: GovernorDeps) {}

  handle(request: JsonRpcRequest, era: Era): void {
    const params = request.params;
    const name = params?.name;
    if (typeof name !== "string") {
      return this.deps.answerError(invalidParams(request.id, `tools/call expects \`params.name\` to be a string, found ${name === undefined ? "nothing" : JSON.stringify(name)}`));
    }
    const rawArgs = params?.arguments;
    if (rawArgs !== undefined && !isJsonObject(rawArgs)) {
      return this.deps.answerError(invalidParams(request.id, `tools/call expects \`params.arguments\` to be an object`));
    }
    const args = rawArgs ?? {};
    const problem = findArgumentProblem(args);
    if (problem !== undefined) {
      this.deps.log({ level: "warn", event: "unsafe_arguments", tool: name, path: problem.path, message: problem.message });
      return this.deps.answerError(invalidParams(request.id, problem.message));
    }
    const policy = this.deps.policy();
    const state: CallState = {
      request,
      era,
      input: { tool: name, args, grantId: this.deps.grantId, sessionKey: this.deps.sessionKey },
      decisionId: newDecisionId(),
      decidedAtMs: this.deps.clock.nowMs(),
      policyVersion: policy?.version ?? null,
      reservations: [],
      wouldDeny: [],
      cancelled: false,
      startedNs: 0n,
      settled: false,
    };
    this.deciding.set(request.id, state);
    this.decide(state, policy).catch((error: unknown) => {
      this.deciding.delete(request.id);
      this.deps.log({ level: "error", event: "decision_failed", tool: name, message: messageOf(error) });
      void this.rollback(state);
      if (!state.cancelled) this.deps.answerError(errorResponse(request.id, INTERNAL_ERROR, "toolgate could not decide this call"));
    });
  }

  /** A call with this caller id is still being decided (not yet answered or forwarded). */
  isDeciding(callerId: JsonRpcId): boolean {
    return this.deciding.has(callerId);
  }

  /** Marks a call still being decided as cancelled; true when there was one. */
  cancelDeciding(callerId: JsonRpcId): boolean {
    const state = this.deciding.get(callerId);
    if (!state) return false;
    state.cancelled = true;
    this.deciding.delete(callerId);
    return true;
  }

  abandonDeciding(): void {
    for (const state of this.deciding.values()) state.cancelled = true;
    this.deciding.clear();
  }

  /** Settles a forwarded call: rollback on failure outcomes, then the audit line. */
  finish(call: ForwardedCall, outcome: AuditOutcome): void {
    const state = call.state;
    if (state.settled) return;
    state.settled = true;
    if (outcome === "rpc_error" || outcome === "timeout" || outcome === "upstream_closed") void this.rollback(state);
    const latencyMs = Math.round(Number(monotonicNs() - state.startedNs) / 1_000) / 1_000;
    this.audit(state, "allow", undefined, outcome, latencyMs);
  }

  private async decide(state: CallState, policy: CompiledPolicy | undefined): Promise<void> {
    const { input, request } = state;
    let pre = precheck(policy, input);
    if (pre.kind === "deny" && EARLY_CODES.has(pre.decision.code)) {
      if (this.stop(state, pre.decision)) return;
      return this.forward(state);
    }
    let lookup = this.deps.tools.lookup(input.tool);
    if (!lookup.known && !this.deps.tools.isComplete) {
      const callerMeta = isJsonObject(request.params?._meta) ? request.params._meta : undefined;
      try {
        await this.deps.tools.ensure((cursor) => this.deps.listPage(cursor, callerMeta));
      } catch (error) {
        if (state.cancelled) return;
        this.deciding.delete(request.id);
        const message = `toolgate could not learn the upstream's tool schemas to check \`${input.tool}\`: ${messageOf(error)}`;
        this.deps.log({ level: "error", event: "schemas_unavailable", tool: input.tool, message });
        return this.deps.answerError(upstreamFailure(request.id, "schemas_unavailable", message));
      }
      if (state.cancelled) return;
      lookup = this.deps.tools.lookup(input.tool);
    }
    if (lookup.known && lookup.inputSchema !== undefined) {
      const argumentIssues = this.validator.validate(lookup.inputSchema, input.args);
      if (argumentIssues.length > 0) pre = precheck(policy, { ...input, argumentIssues });
    }
    const approvals = this.deps.approvals;
    if (pre.kind === "deny" && pre.decision.code === "approval_required" && approvals !== undefined && policy !== undefined && !this.deps.shadow) {
      const step = await runApprovalStep(approvals, policy, input, pre.decision, { decisionId: state.decisionId, cancelled: () => state.cancelled, log: this.deps.log });
      if (step.kind === "cancelled") return;
      state.approvalId = step.kind === "proceed" ? step.approvalId : step.deny.approvalId;
      if (step.kind === "proceed") state.unusedApproval = step.approvalId;
      pre = step.kind === "proceed" ? precheck(policy, { ...input, approved: true }) : { kind: "deny", decision: step.deny };
    }
    for (const denial of pre.shadowDenials ?? []) state.wouldDeny.push({ code: denial.code, rule: denial.rule });
    if (pre.kind === "deny") {
      if (this.stop(state, pre.decision)) return;
      return this.forward(state);
    }
    const enforced = pre.limits.filter((l) => !l.shadow);
    const shadowLimits = pre.limits.filter((l) => l.shadow);
    if (enforced.length > 0 && !(await this.reserve(state, enforced, false))) return;
    if (shadowLimits.length > 0 && !(await this.reserve(state, shadowLimits, true))) return;
    if (state.cancelled) {
      await this.rollback(state);
      return;
    }
    this.forward(state);
  }

  /** Reserves `limits` all or nothing; false when the call was answered (denied) instead. */
  private async reserve(state: CallState, limits: readonly PlannedLimit[], shadow: boolean): Promise<boolean> {
    let result;
    try {
      result = await this.deps.store.reserve(limits.map((l) => l.request));
    } catch (error) {
      const message = messageOf(error);
      if (this.deps.storeFailMode === "open" || shadow) {
        this.deps.log({ level: "warn", event: "store_unavailable", failMode: "open", tool: state.input.tool, decisionId: state.decisionId, message: `counter store failed, allowing the call (--store-fail open): ${message}` });
        return true;
      }
      this.deps.log({ level: "error", event: "store_unavailable", failMode: "closed", tool: state.input.tool, decisionId: state.decisionId, message });
      if (state.cancelled) {
        await this.rollback(state); // a consumed approval goes back: the call never reaches the server
        return false;
      }
      return !this.stop(state, storeUnavailableDenial(state.input));
    }
    if (result.ok) {
      state.reservations.push(result.reservation);
      return true;
    }
    const denial = limitDenial(state.input, limits[result.failedIndex]!, result.level);
    if (shadow) {
      state.wouldDeny.push({ code: denial.code, rule: denial.rule });
      return true;
    }
    if (state.cancelled) {
      await this.rollback(state);
      return false;
    }
    return !this.stop(state, denial);
  }

  /**
   * A denial: answered and audited (true), or in shadow mode only remembered (false: forward).
   */
  private stop(state: CallState, deny: Deny): boolean {
    if (this.deps.shadow || deny.shadow === true) {
      state.wouldDeny.push({ code: deny.code, rule: deny.rule });
      return false;
    }
    this.deciding.delete(state.request.id);
    void this.rollback(state);
    if (state.cancelled) return true;
    this.deps.answer(state.request.id, denialResult(deny, state.decisionId, state.era));
    this.audit(state, "deny", deny, "not_forwarded", null);
    return true;
  }

  private forward(state: CallState): void {
    this.deciding.delete(state.request.id);
    if (state.cancelled) {
      void this.rollback(state);
      return;
    }
    state.startedNs = monotonicNs();
    this.deps.forward({ state }, state.request);
  }

  private async rollback(state: CallState): Promise<void> {
    const approvalId = state.unusedApproval;
    state.unusedApproval = undefined;
    if (approvalId !== undefined) await this.deps.approvals?.restore(approvalId, state.decisionId);
    const reservations = state.reservations.splice(0);
    for (const reservation of reservations) {
      try {
        await this.deps.store.rollback(reservation);
      } catch (error) {
        this.deps.log({ level: "error", event: "rollback_failed", decisionId: state.decisionId, message: messageOf(error) });
      }
    }
  }

  private audit(state: CallState, decision: "allow" | "deny", deny: Deny | undefined, outcome: AuditOutcome, latencyMs: number | null): void {
    const sink = this.deps.audit;
    if (!sink) return;
    // The argument digest costs a SHA-256 over the canonical arguments: computed when the record is
    // read (the audit file serializes it after the answer has gone), never for /metrics, which
    // reads only tool, decision, code and latency.
    const args = state.input.args;
    let facts: { argKeys: string[]; argsSha256: string } | undefined;
    const argumentFactsOnce = (): { argKeys: string[]; argsSha256: string } => (facts ??= argumentFacts(args));
    sink({
      time: new Date(state.decidedAtMs).toISOString(),
      decisionId: state.decisionId,
      grant: state.input.grantId ?? null,
      session: state.input.sessionKey,
      tool: state.input.tool,
      decision,
      code: deny?.code ?? null,
      rule: deny?.rule ?? null,
      get argKeys() {
        return argumentFactsOnce().argKeys;
      },
      get argsSha256() {
        return argumentFactsOnce().argsSha256;
      },
      policyVersion: state.policyVersion,
      ...(state.wouldDeny.length > 0 ? { wouldDeny: state.wouldDeny } : {}),
      ...(state.approvalId === undefined ? {} : { approvalId: state.approvalId }),
      latencyMs,
      outcome,
    });
  }
}
