/**
 * One governed request's life on a connection: admitted into the registry, decided by the
 * governor (a `Verdict` value), then either forwarded or answered here; once a forwarded call
 * ends, what it held is given back if the ending says it did not run, and its audit line written
 * (docs/architecture.md#the-path-of-one-call).
 */
import { monotonicNs } from "../core/clock.js";
import { assertNever, messageOf } from "../core/errors.js";
import { denialError, denialResult } from "../protocol/denial.js";
import { isErrorResponse, isJsonObject, type JsonRpcErrorResponse, type JsonRpcMessage, type JsonRpcRequest } from "../protocol/messages.js";
import { POLICY_DENIED } from "../protocol/wire-errors.js";
import { NO_TRACE, NO_TRACER, type CallTracer } from "./tracing/call-trace.js";
import type { AgentRequest, Entry } from "./agent-request.js";
import type { AuditRecord } from "./audit-log.js";
import { callAuditRecord } from "./call-audit.js";
import type { RecordingInput } from "./recording.js";
import { auditOutcome, givesBack, type Ending } from "./settlement.js";
import type { GovernedCall, ToolCallGovernor, Verdict } from "./tool-call.js";
import type { UpstreamExchange } from "./upstream-exchange.js";

export interface CallLifecycleOptions {
  readonly governor: ToolCallGovernor;
  readonly exchange: UpstreamExchange<AgentRequest>;
  /** Admits a request into the registry, or answers why not (undefined). */
  readonly admit: (request: JsonRpcRequest, what: AgentRequest) => Entry | undefined;
  readonly answer: (message: JsonRpcMessage) => void;
  readonly audit: ((record: AuditRecord) => void) | undefined;
  /** `--record`: the audit facts with the argument values (`recording.ts`). */
  readonly record: ((input: RecordingInput) => void) | undefined;
  readonly log: (line: object) => void;
  readonly tracer: CallTracer;
}

/** `error.type` of a forwarded call's ending, by the conventions: the JSON-RPC code, `tool_error`, or what stopped it. */
function errorTypeOf(ending: Ending): string | undefined {
  switch (ending.kind) {
    case "answered":
      if (isErrorResponse(ending.response)) return String(ending.response.error.code);
      return ending.response.result.isError === true ? "tool_error" : undefined;
    case "failed":
      return ending.failure;
    case "cancelled":
    case "abandoned":
      return "cancelled";
  }
}

export class CallLifecycle {
  constructor(private readonly o: CallLifecycleOptions) {}

  /** A prepared call (or the error its params earned): admitted, decided, then forwarded or answered. */
  govern(request: JsonRpcRequest, prepared: GovernedCall | JsonRpcErrorResponse): void {
    if ("error" in prepared) return this.o.answer(prepared);
    const entry = this.o.admit(request, { kind: "call", call: prepared });
    if (entry === undefined) return;
    const { input } = prepared;
    prepared.trace = this.o.tracer === NO_TRACER ? NO_TRACE : this.o.tracer.start({
      method: request.method,
      kind: input.kind ?? "tool",
      name: input.exposedName ?? input.tool,
      requestId: request.id,
      sessionId: input.sessionKey,
      grant: input.grantId,
      server: input.server,
      protocolVersion: prepared.era,
      meta: isJsonObject(request.params?._meta) ? request.params._meta : undefined,
    });
    void prepared.trace
      .phase("decision", () => this.o.governor.decide(prepared, () => entry.open))
      .then((verdict) => this.decided(entry, prepared, verdict))
      .catch((error: unknown) => this.o.log({ level: "error", event: "internal_error", side: "downstream", message: messageOf(error) }));
  }

  /** A forwarded call ended (it has left the registry): give back what it held if it did not run, and audit it. */
  ended(call: GovernedCall, ending: Ending): void {
    const verdict = call.verdict;
    if (verdict?.kind !== "forward") return;
    if (givesBack(ending)) void this.o.governor.giveBack(verdict.held, call.decisionId);
    if (call.trace !== NO_TRACE) {
      const errorType = errorTypeOf(ending);
      call.trace.upstreamEnded(errorType);
      call.trace.end({ decision: "allow", code: null, rule: null, decisionId: call.decisionId, errorType });
    }
    // Without an audit file or a recording nobody reads the line: do not build it.
    if (this.o.audit === undefined && this.o.record === undefined) return;
    const latencyMs = Math.round(Number(monotonicNs() - call.startedNs) / 1_000) / 1_000;
    this.audited(call, callAuditRecord(call, verdict, auditOutcome(ending), latencyMs));
  }

  private audited(call: GovernedCall, record: AuditRecord): void {
    this.o.audit?.(record);
    this.o.record?.({ audit: record, method: call.request.method, args: call.input.args, server: call.input.server, nameAtServer: call.input.tool });
  }

  /** The request as forwarded: with this call's trace context in `_meta` when tracing is on. */
  private traced(call: GovernedCall): JsonRpcRequest {
    const request = call.request;
    const meta = isJsonObject(request.params?._meta) ? request.params._meta : undefined;
    const traced = call.trace.upstreamStarted(meta);
    return traced === meta ? request : { ...request, params: { ...request.params, _meta: traced } };
  }

  /** A call's verdict: forward it, or settle it here (it never left the gateway). */
  private decided(entry: Entry, call: GovernedCall, verdict: Verdict): void {
    call.verdict = verdict;
    if (verdict.kind === "forward" && entry.open) {
      call.startedNs = monotonicNs();
      return this.o.exchange.forward(entry, this.traced(call));
    }
    this.o.exchange.close(entry);
    void this.o.governor.giveBack(verdict.held, call.decisionId);
    switch (verdict.kind) {
      case "forward":
      case "cancelled":
        // Cancelled while being decided: the agent is not waiting for an answer.
        return call.trace.end({ decision: "error", code: null, rule: null, decisionId: call.decisionId, errorType: "cancelled" });
      case "refuse":
        call.trace.end({ decision: "error", code: null, rule: null, decisionId: call.decisionId, errorType: String(verdict.response.error.code) });
        return this.o.answer(verdict.response);
      case "deny":
        // A tool result is where a model reads a denial; every other method gets a JSON-RPC error.
        if (verdict.answer !== undefined) this.o.answer({ jsonrpc: "2.0", id: call.request.id, result: verdict.answer });
        else if ((call.input.kind ?? "tool") === "tool") this.o.answer({ jsonrpc: "2.0", id: call.request.id, result: denialResult(verdict.decision, call.decisionId, call.era) });
        else this.o.answer(denialError(call.request.id, verdict.decision, call.decisionId));
        call.trace.end({ decision: "deny", code: verdict.decision.code, rule: verdict.decision.rule, decisionId: call.decisionId, errorType: (call.input.kind ?? "tool") === "tool" ? "tool_error" : String(POLICY_DENIED) });
        return this.audited(call, callAuditRecord(call, verdict, "not_forwarded", null));
      default:
        return assertNever(verdict, "verdict");
    }
  }
}
