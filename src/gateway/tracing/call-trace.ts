/**
 * Tracing of governed requests, as an interface the gateway calls at each step of a call's life:
 * one span for the call, with child spans for the decision, the counter reservation and the
 * upstream exchange (docs/architecture.md#tracing). Off by default: `NO_TRACER` hands out one
 * shared `NO_TRACE` whose methods do nothing, so a call costs no allocation and no work for it.
 * The OpenTelemetry implementation lives in `otel-call-tracer.ts`.
 */
import type { DenyCode, TargetKind } from "../../policy/decision.js";
import type { JsonObject, JsonRpcId } from "../../protocol/messages.js";

export interface CallTraceStart {
  readonly method: string;
  readonly kind: TargetKind;
  /** The tool, resource URI, prompt or method as the agent named it. */
  readonly name: string;
  readonly requestId: JsonRpcId;
  readonly sessionId: string;
  readonly grant: string | undefined;
  readonly server: string | undefined;
  readonly protocolVersion: string | undefined;
  /** The request's `params._meta`, which may carry the agent's W3C trace context. */
  readonly meta: JsonObject | undefined;
}

export interface CallTraceEnd {
  readonly decision: "allow" | "deny" | "error";
  readonly code: DenyCode | null;
  readonly rule: string | null;
  readonly decisionId: string;
  /** `tool_error`, a JSON-RPC error code, `timeout`, `upstream_closed`… when the call did not succeed. */
  readonly errorType: string | undefined;
}

export interface CallTrace {
  /** Runs `fn` inside a child span (`decision`, `reservation`). */
  phase<T>(name: "decision" | "reservation", fn: () => Promise<T>): Promise<T>;
  /** The upstream exchange begins: the `_meta` to send upstream (with this trace's context), or `meta` itself. */
  upstreamStarted(meta: JsonObject | undefined): JsonObject | undefined;
  upstreamEnded(errorType: string | undefined): void;
  end(result: CallTraceEnd): void;
}

export interface CallTracer {
  start(call: CallTraceStart): CallTrace;
  /** Exports what is buffered (on shutdown). */
  flush(): Promise<void>;
}

export const NO_TRACE: CallTrace = {
  phase: (_name, fn) => fn(),
  upstreamStarted: (meta) => meta,
  upstreamEnded: () => {},
  end: () => {},
};

export const NO_TRACER: CallTracer = {
  start: () => NO_TRACE,
  flush: () => Promise.resolve(),
};
