/**
 * Deciding one governed `tools/call` (docs/architecture.md#the-path-of-one-call). The policy is read
 * once into a plan (`planCall`); the facts the plan needs are gathered in order — the arguments
 * against the upstream tool's `inputSchema`, a human's approval, the counter reservation — and the
 * pure `concludeCall` turns them into the decision. `decide` returns a `Verdict` value and never
 * throws; what a call holds (reserved counters, a consumed approval) travels in the verdict, so the
 * gateway's one settlement can give it back when the call provably did not run.
 */
import type { CallerOf } from "./caller.js";
import type { Clock } from "../core/clock.js";
import { messageOf } from "../core/errors.js";
import type { Allow, Deny } from "../policy/decision.js";
import { concludeCall, planCall, type CallFacts, type CallInput, type CounterFacts, type CounterOutcome, type Evaluation, type PlannedLimit } from "../policy/evaluate.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import type { Era } from "../protocol/eras.js";
import { isJsonObject, type JsonObject, type JsonRpcErrorResponse, type JsonRpcRequest } from "../protocol/messages.js";
import { errorResponse, INTERNAL_ERROR, invalidParams, upstreamFailure } from "../protocol/wire-errors.js";
import type { CounterStore, Reservation } from "../stores/counter-store.js";
import type { ApprovalGate } from "./approvals/approval-gate.js";
import { runApprovalStep } from "./approvals/approval-step.js";
import { clientApprovalStep, type ClientStepResult, type ViaClient } from "./approvals/client-approval-step.js";
import type { WouldDeny } from "./audit-log.js";
import { NO_TRACE, type CallTrace } from "./tracing/call-trace.js";
import type { GovernedTarget } from "./governed-methods.js";
import { SINGLE_SERVER, type PolicySource } from "./policy-source.js";
import { NO_SERVER, type ServerNaming } from "./server-naming.js";
import { newDecisionId } from "./decision-id.js";
import { findArgumentProblem } from "./unsafe-keys.js";
import type { UpstreamTools } from "./upstream-tools.js";
import { ArgumentValidator } from "./validate-args.js";

/** One `tools/call` from arrival to settlement. */
export interface GovernedCall {
  /** The request as it goes upstream (a 2026-07-28 retry's `inputResponses`/`requestState` are the gateway's, not the server's). */
  readonly request: JsonRpcRequest;
  /** The params as the agent sent them. */
  readonly originalParams: JsonObject | undefined;
  readonly era: Era;
  readonly input: CallInput;
  readonly decisionId: string;
  readonly decidedAtMs: number;
  readonly policy: CompiledPolicy | undefined;
  /** The caller's token `sub` and `client_id`, for the audit line (OAuth callers only). */
  readonly subject?: string;
  readonly clientId?: string;
  /** Set when the call is forwarded (monotonic ns), for the audit line's upstream latency. */
  startedNs: bigint;
  /** The verdict once decided; a forwarded call keeps it until its answer settles it. */
  verdict: Verdict | undefined;
  /** Its trace (a no-op unless tracing is on). */
  trace: CallTrace;
}

/** What a call holds that is given back only if the call provably did not run. */
export interface Held {
  readonly reservations: readonly Reservation[];
  /** A consumed approval. */
  readonly approvalId: string | undefined;
}

export type Verdict =
  | { readonly kind: "forward"; readonly decision: Allow; readonly wouldDeny: readonly WouldDeny[]; readonly held: Held; readonly approvalId: string | undefined }
  /** `answer`: the tool result to send instead of the denial (an `input_required` approval question). */
  | { readonly kind: "deny"; readonly decision: Deny; readonly wouldDeny: readonly WouldDeny[]; readonly held: Held; readonly approvalId: string | undefined; readonly answer?: JsonObject }
  /** The gateway could not decide (schemas unavailable, an internal failure): a JSON-RPC error. */
  | { readonly kind: "refuse"; readonly response: JsonRpcErrorResponse; readonly held: Held }
  /** The agent cancelled the call (or the connection closed) before it was forwarded. */
  | { readonly kind: "cancelled"; readonly held: Held };

/** Fetches one page of the upstream's `tools/list`, with the calling agent's era fields. */
export type ListTools = (cursor: string | undefined, callerMeta: JsonObject | undefined) => Promise<JsonObject>;

export interface GovernorOptions {
  readonly clock: Clock;
  readonly store: CounterStore;
  readonly grantId: string | undefined;
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
  /** The caller of the request being prepared (per request over HTTP); its claims win over `claims`. */
  readonly callerOf?: CallerOf | undefined;
  readonly sessionKey: string;
  readonly storeFailMode: "closed" | "open";
  readonly shadow: boolean;
  readonly policies: PolicySource;
  readonly naming: ServerNaming;
  readonly tools: UpstreamTools;
  readonly listTools: ListTools;
  readonly log: (line: object) => void;
  /** Step 7 with pending approvals; without it `approval_required` is answered with no approval id. */
  readonly approvals?: ApprovalGate | undefined;
  /** `--approval-via-client`: ask the person at the agent's client when the client can. */
  readonly viaClient?: ViaClient | undefined;
}

export class ToolCallGovernor {
  private readonly validator = new ArgumentValidator();
  private readonly mode;

  constructor(private readonly o: GovernorOptions) {
    this.mode = { shadow: o.shadow, storeFail: o.storeFailMode } as const;
  }

  /** The call's parameters checked before any policy runs; a JSON-RPC error when they are unusable. */
  prepare(request: JsonRpcRequest, era: Era): GovernedCall | JsonRpcErrorResponse {
    const params = request.params;
    const name = params?.name;
    if (typeof name !== "string") return invalidParams(request.id, `tools/call expects \`params.name\` to be a string, found ${name === undefined ? "nothing" : JSON.stringify(name)}`);
    const rawArgs = params?.arguments;
    if (rawArgs !== undefined && !isJsonObject(rawArgs)) return invalidParams(request.id, "tools/call expects `params.arguments` to be an object");
    return this.prepareTarget(request, era, { kind: "tool", name, args: rawArgs ?? {}, reach: false });
  }

  /** Any governed request (a resource, a prompt, another method, or a tool), its target already read from the params. */
  prepareTarget(request: JsonRpcRequest, era: Era, target: GovernedTarget): GovernedCall | JsonRpcErrorResponse {
    const { name, args } = target;
    const { naming } = this.o;
    // Which server the name belongs to, and its name there; methods and unknown names go to the stack's own policy.
    const routed = target.kind === "method" ? (naming.several ? undefined : { server: SINGLE_SERVER, name }) : naming.split(target.kind, name);
    const caller = this.o.callerOf?.();
    const claims = caller?.claims ?? this.o.claims;
    const policy = this.o.policies.get(caller?.policyKey ?? this.o.grantId, routed?.server ?? NO_SERVER);
    const problem = findArgumentProblem(args);
    if (problem !== undefined) {
      this.o.log({ level: "warn", event: "unsafe_arguments", tool: name, path: problem.path, message: problem.message });
      return invalidParams(request.id, problem.message);
    }
    return {
      request: withoutRetryParams(request),
      originalParams: request.params,
      era,
      input: {
        tool: routed?.name ?? name,
        ...(naming.several && routed !== undefined ? { server: routed.server } : {}),
        ...(naming.several ? { exposedName: name } : {}),
        ...(target.kind === "tool" ? {} : { kind: target.kind }),
        ...(target.reach ? { reach: true } : {}),
        args,
        ...(claims === undefined ? {} : { claims }),
        grantId: this.o.grantId,
        sessionKey: this.o.sessionKey,
      },
      decisionId: newDecisionId(),
      decidedAtMs: this.o.clock.nowMs(),
      policy,
      ...(caller?.subject === undefined ? {} : { subject: caller.subject }),
      ...(caller?.clientId === undefined ? {} : { clientId: caller.clientId }),
      startedNs: 0n,
      verdict: undefined,
      trace: NO_TRACE,
    };
  }

  /** Gathers the facts the policy needs and decides; `isOpen` turns false when the call is cancelled. */
  async decide(call: GovernedCall, isOpen: () => boolean): Promise<Verdict> {
    const held = { reservations: [] as Reservation[], approvalId: undefined as string | undefined };
    try {
      const plan = planCall(call.policy, call.input);
      const facts: { -readonly [K in keyof CallFacts]: CallFacts[K] } = { argumentIssues: [] };
      // Only tools declare an `inputSchema` to check arguments against.
      if (plan.early === undefined && (call.input.kind ?? "tool") === "tool") {
        const issues = await this.argumentIssues(call);
        if (!isOpen()) return { kind: "cancelled", held };
        if (!Array.isArray(issues)) return { kind: "refuse", response: issues as JsonRpcErrorResponse, held };
        facts.argumentIssues = issues;
      }
      let next: Evaluation = concludeCall(plan, facts, this.mode);
      let approvalId: string | undefined;
      /** With `--approval-via-client`, a 2026-07-28 call still waiting for a human is answered `input_required` instead of the denial. */
      let answer: JsonObject | undefined;
      if (next.kind === "ask-approval") {
        const fact = await this.approval(call, next.required, next.ttlMs, isOpen);
        if (fact === "cancelled") return { kind: "cancelled", held };
        facts.approval = fact;
        approvalId = fact.kind === "approved" ? (held.approvalId = fact.approvalId) : fact.deny.approvalId;
        if (fact.kind === "denied" && fact.inputRequired !== undefined) answer = fact.inputRequired;
        if (!isOpen()) return { kind: "cancelled", held };
        next = concludeCall(plan, facts, this.mode);
      }
      if (next.kind === "reserve") {
        const { enforced, shadow, shadowEvenIfRefused } = next;
        facts.counters = await call.trace.phase("reservation", () => this.reserve(call, enforced, shadow, shadowEvenIfRefused, held.reservations));
        if (!isOpen()) return { kind: "cancelled", held };
        next = concludeCall(plan, facts, this.mode);
      }
      if (next.kind !== "decided") throw new Error(`the evaluation stopped at \`${next.kind}\` with every fact gathered`);
      const wouldDeny = next.wouldDeny.map((d) => ({ code: d.code, rule: d.rule }));
      const decision = next.decision;
      if (decision.decision === "allow") return { kind: "forward", decision, wouldDeny, held, approvalId };
      return answer === undefined || decision.code !== "approval_required" ? { kind: "deny", decision, wouldDeny, held, approvalId } : { kind: "deny", decision, wouldDeny, held, approvalId, answer };
    } catch (error) {
      this.o.log({ level: "error", event: "decision_failed", tool: call.input.tool, message: messageOf(error) });
      return { kind: "refuse", response: errorResponse(call.request.id, INTERNAL_ERROR, "toolgate could not decide this call"), held };
    }
  }

  /** Gives back what a call held (it did not run). Never throws. */
  async giveBack(held: Held, decisionId: string): Promise<void> {
    if (held.approvalId !== undefined) await this.o.approvals?.restore(held.approvalId, decisionId);
    for (const reservation of held.reservations) {
      try {
        await this.o.store.rollback(reservation);
      } catch (error) {
        this.o.log({ level: "error", event: "rollback_failed", decisionId, message: messageOf(error) });
      }
    }
  }

  /** Step 4's fact: problems with the arguments, or the error answer when the schemas cannot be learned. */
  private async argumentIssues(call: GovernedCall): Promise<readonly string[] | JsonRpcErrorResponse> {
    const { tools } = this.o;
    // The upstream's tools as the gateway sees them: by the name the agent used.
    const tool = call.input.exposedName ?? call.input.tool;
    let lookup = tools.lookup(tool);
    if (!lookup.known && !tools.isComplete) {
      const callerMeta = isJsonObject(call.request.params?._meta) ? call.request.params._meta : undefined;
      try {
        await tools.ensure((cursor) => this.o.listTools(cursor, callerMeta));
      } catch (error) {
        const message = `toolgate could not learn the upstream's tool schemas to check \`${tool}\`: ${messageOf(error)}`;
        this.o.log({ level: "error", event: "schemas_unavailable", tool, message });
        return upstreamFailure(call.request.id, "schemas_unavailable", message);
      }
      lookup = tools.lookup(tool);
    }
    // A tool the upstream does not list is forwarded unvalidated: the upstream answers it itself.
    if (!lookup.known || lookup.inputSchema === undefined) return [];
    return this.validator.validate(lookup.inputSchema, call.input.args);
  }

  private async approval(call: GovernedCall, required: Deny, ttlMs: number, isOpen: () => boolean): Promise<(NonNullable<CallFacts["approval"]> & { inputRequired?: JsonObject }) | "cancelled"> {
    const gate = this.o.approvals;
    if (gate === undefined || call.policy === undefined) return { kind: "denied", deny: required };
    const context = { decisionId: call.decisionId, cancelled: () => !isOpen(), log: this.o.log };
    const via = this.o.viaClient;
    const step: ClientStepResult = via === undefined ? await runApprovalStep(gate, call.policy, call.input, required, ttlMs, context) : await clientApprovalStep(gate, call.policy, call.input, required, ttlMs, context, { era: call.era, params: call.originalParams }, via);
    switch (step.kind) {
      case "proceed":
        return { kind: "approved", approvalId: step.approvalId };
      case "deny":
        return step.inputRequired !== undefined ? { kind: "denied", deny: step.deny, inputRequired: step.inputRequired } : { kind: "denied", deny: step.deny };
      case "cancelled":
        return "cancelled";
    }
  }

  /** Step 8's fact: the enforced counters all or nothing, then the shadow ones. Reservations made go into `reserved`. */
  private async reserve(call: GovernedCall, enforced: readonly PlannedLimit[], shadow: readonly PlannedLimit[], shadowEvenIfRefused: boolean, reserved: Reservation[]): Promise<CounterFacts> {
    const first = await this.reserveGroup(call, enforced, false, reserved);
    const second = first.kind === "refused" && !shadowEvenIfRefused ? SKIPPED : await this.reserveGroup(call, shadow, true, reserved);
    return { enforced: first, shadow: second };
  }

  private async reserveGroup(call: GovernedCall, limits: readonly PlannedLimit[], shadow: boolean, reserved: Reservation[]): Promise<CounterOutcome> {
    if (limits.length === 0) return SKIPPED;
    const { tool } = call.input;
    try {
      const result = await this.o.store.reserve(limits.map((l) => l.request));
      if (!result.ok) return { kind: "refused", index: result.failedIndex, level: result.level };
      reserved.push(result.reservation);
      return RESERVED;
    } catch (error) {
      const message = messageOf(error);
      if (this.o.storeFailMode === "open" || shadow) {
        this.o.log({ level: "warn", event: "store_unavailable", failMode: "open", tool, decisionId: call.decisionId, message: `counter store failed, allowing the call (--store-fail open): ${message}` });
      } else {
        this.o.log({ level: "error", event: "store_unavailable", failMode: "closed", tool, decisionId: call.decisionId, message });
      }
      return UNAVAILABLE;
    }
  }
}

const SKIPPED: CounterOutcome = { kind: "skipped" };
const RESERVED: CounterOutcome = { kind: "reserved" };
const UNAVAILABLE: CounterOutcome = { kind: "unavailable" };

/** The request without the multi-round-trip retry fields (they answer the gateway's own question). */
function withoutRetryParams(request: JsonRpcRequest): JsonRpcRequest {
  const params = request.params;
  if (params === undefined || (params.inputResponses === undefined && params.requestState === undefined)) return request;
  const { inputResponses: _responses, requestState: _state, ...rest } = params;
  return { ...request, params: rest };
}
