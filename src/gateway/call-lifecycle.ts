/**
 * One governed request's life on a connection: admitted into the registry, decided by the
 * governor (a `Verdict` value), then either forwarded or answered here; once a forwarded call
 * ends, what it held is given back if the ending says it did not run, and its audit line written
 * (docs/architecture.md#the-path-of-one-call).
 */
import { monotonicNs } from "../core/clock.js";
import { assertNever, messageOf } from "../core/errors.js";
import { denialError, denialResult } from "../protocol/denial.js";
import type { JsonRpcErrorResponse, JsonRpcMessage, JsonRpcRequest } from "../protocol/messages.js";
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
}

export class CallLifecycle {
  constructor(private readonly o: CallLifecycleOptions) {}

  /** A prepared call (or the error its params earned): admitted, decided, then forwarded or answered. */
  govern(request: JsonRpcRequest, prepared: GovernedCall | JsonRpcErrorResponse): void {
    if ("error" in prepared) return this.o.answer(prepared);
    const entry = this.o.admit(request, { kind: "call", call: prepared });
    if (entry === undefined) return;
    void this.o.governor
      .decide(prepared, () => entry.open)
      .then((verdict) => this.decided(entry, prepared, verdict))
      .catch((error: unknown) => this.o.log({ level: "error", event: "internal_error", side: "downstream", message: messageOf(error) }));
  }

  /** A forwarded call ended (it has left the registry): give back what it held if it did not run, and audit it. */
  ended(call: GovernedCall, ending: Ending): void {
    const verdict = call.verdict;
    if (verdict?.kind !== "forward") return;
    if (givesBack(ending)) void this.o.governor.giveBack(verdict.held, call.decisionId);
    const latencyMs = Math.round(Number(monotonicNs() - call.startedNs) / 1_000) / 1_000;
    this.audited(call, callAuditRecord(call, verdict, auditOutcome(ending), latencyMs));
  }

  private audited(call: GovernedCall, record: AuditRecord): void {
    this.o.audit?.(record);
    this.o.record?.({ audit: record, method: call.request.method, args: call.input.args, server: call.input.server, nameAtServer: call.input.tool });
  }

  /** A call's verdict: forward it, or settle it here (it never left the gateway). */
  private decided(entry: Entry, call: GovernedCall, verdict: Verdict): void {
    call.verdict = verdict;
    if (verdict.kind === "forward" && entry.open) {
      call.startedNs = monotonicNs();
      return this.o.exchange.forward(entry, call.request);
    }
    this.o.exchange.close(entry);
    void this.o.governor.giveBack(verdict.held, call.decisionId);
    switch (verdict.kind) {
      case "forward":
      case "cancelled":
        return; // cancelled while being decided: the agent is not waiting for an answer
      case "refuse":
        return this.o.answer(verdict.response);
      case "deny":
        // A tool result is where a model reads a denial; every other method gets a JSON-RPC error.
        if (verdict.answer !== undefined) this.o.answer({ jsonrpc: "2.0", id: call.request.id, result: verdict.answer });
        else if ((call.input.kind ?? "tool") === "tool") this.o.answer({ jsonrpc: "2.0", id: call.request.id, result: denialResult(verdict.decision, call.decisionId, call.era) });
        else this.o.answer(denialError(call.request.id, verdict.decision, call.decisionId));
        return this.audited(call, callAuditRecord(call, verdict, "not_forwarded", null));
      default:
        return assertNever(verdict, "verdict");
    }
  }
}
