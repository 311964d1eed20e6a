/**
 * `CallTracer` on the OpenTelemetry API, named by the OpenTelemetry MCP semantic conventions:
 * a SERVER span `{mcp.method.name} {target}` per governed request (`tools/call stop_salesbot`)
 * with `mcp.method.name`, `gen_ai.operation.name` (`execute_tool` for a tool call),
 * `gen_ai.tool.name` / `gen_ai.prompt.name` / `mcp.resource.uri`, `mcp.session.id`,
 * `mcp.protocol.version`, `jsonrpc.request.id`, `network.transport`, `error.type`, and toolgate's
 * own `toolgate.*` attributes for what the conventions lack (server, grant, decision, code, rule,
 * decision id). Child spans: `toolgate.decision` and `toolgate.reservation` (INTERNAL), and the
 * upstream exchange (CLIENT, `{method} {target}`), whose W3C trace context is written into the
 * forwarded request's `params._meta` (`traceparent`, `tracestate`) — and the agent's is read from
 * the same place, so a trace continues from the agent through toolgate to the upstream. The
 * `mcp.server.operation.duration` histogram (seconds, the conventions' buckets) is recorded per call.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Histogram, type Meter, type Span, type Tracer } from "@opentelemetry/api";
import { monotonicNs } from "../../core/clock.js";
import type { TargetKind } from "../../policy/decision.js";
import type { JsonObject } from "../../protocol/messages.js";
import type { CallTrace, CallTraceEnd, CallTraceStart, CallTracer } from "./call-trace.js";

/** The conventions' advised buckets for MCP operation durations, in seconds. */
export const MCP_DURATION_BUCKETS_S = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

const OPERATION: Partial<Record<string, string>> = { "tools/call": "execute_tool" };

/** Reads and writes W3C trace context in a `params._meta` object. */
const metaGetter = { keys: (carrier: JsonObject) => Object.keys(carrier), get: (carrier: JsonObject, key: string) => (typeof carrier[key] === "string" ? (carrier[key] as string) : undefined) };
const metaSetter = { set: (carrier: JsonObject, key: string, value: string) => void (carrier[key] = value) };

export interface OtelCallTracerOptions {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** `pipe` (stdio) or `tcp` (Streamable HTTP). */
  readonly transport: "pipe" | "tcp";
  readonly flush: () => Promise<void>;
}

export class OtelCallTracer implements CallTracer {
  private readonly duration: Histogram;

  constructor(private readonly o: OtelCallTracerOptions) {
    this.duration = o.meter.createHistogram("mcp.server.operation.duration", { unit: "s", description: "MCP request duration as observed by toolgate, from receiving it to sending its answer", advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS_S } });
  }

  start(call: CallTraceStart): CallTrace {
    return new OtelCallTrace(this.o, this.duration, call);
  }

  flush(): Promise<void> {
    return this.o.flush();
  }
}

class OtelCallTrace implements CallTrace {
  private readonly span: Span;
  private readonly ctx: Context;
  private readonly startedNs = monotonicNs();
  private readonly common: Attributes;
  private upstream: Span | undefined;
  /** The context children start in: the call's span, or the phase running now. */
  private current: Context;

  constructor(
    private readonly o: OtelCallTracerOptions,
    private readonly duration: Histogram,
    private readonly call: CallTraceStart,
  ) {
    const parent = call.meta === undefined ? context.active() : propagation.extract(context.active(), call.meta, metaGetter);
    this.common = { "mcp.method.name": call.method, ...targetAttributes(call.kind, call.name, call.method), ...(call.protocolVersion ? { "mcp.protocol.version": call.protocolVersion } : {}) };
    this.span = o.tracer.startSpan(`${call.method} ${call.name}`, {
      kind: SpanKind.SERVER,
      attributes: {
        ...this.common,
        "mcp.session.id": call.sessionId,
        "jsonrpc.request.id": String(call.requestId),
        "network.transport": o.transport,
        ...(call.grant !== undefined ? { "toolgate.grant": call.grant } : {}),
        ...(call.server ? { "toolgate.server": call.server } : {}),
      },
    }, parent);
    this.ctx = trace.setSpan(parent, this.span);
    this.current = this.ctx;
  }

  async phase<T>(name: "decision" | "reservation", fn: () => Promise<T>): Promise<T> {
    // Phases nest (the reservation happens during the decision); one call's phases run one after another.
    const parent = this.current;
    const child = this.o.tracer.startSpan(`toolgate.${name}`, { kind: SpanKind.INTERNAL }, parent);
    this.current = trace.setSpan(parent, child);
    try {
      return await fn();
    } finally {
      child.end();
      this.current = parent;
    }
  }

  upstreamStarted(meta: JsonObject | undefined): JsonObject | undefined {
    this.upstream = this.o.tracer.startSpan(`${this.call.method} ${this.call.name}`, { kind: SpanKind.CLIENT, attributes: { ...this.common, ...(this.call.server ? { "toolgate.server": this.call.server } : {}) } }, this.ctx);
    const carrier: JsonObject = { ...(meta ?? {}) };
    propagation.inject(trace.setSpan(this.ctx, this.upstream), carrier, metaSetter);
    return carrier;
  }

  upstreamEnded(errorType: string | undefined): void {
    const span = this.upstream;
    if (span === undefined) return;
    if (errorType !== undefined) {
      span.setAttribute("error.type", errorType);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
    this.upstream = undefined;
  }

  end(result: CallTraceEnd): void {
    const { span } = this;
    span.setAttributes({
      "toolgate.decision": result.decision,
      "toolgate.decision.id": result.decisionId,
      ...(result.code !== null ? { "toolgate.decision.code": result.code } : {}),
      ...(result.rule !== null ? { "toolgate.decision.rule": result.rule } : {}),
      ...(result.errorType !== undefined ? { "error.type": result.errorType } : {}),
    });
    if (result.errorType !== undefined && result.errorType !== "tool_error") span.setStatus({ code: SpanStatusCode.ERROR });
    this.upstreamEnded(undefined);
    span.end();
    this.duration.record(Number(monotonicNs() - this.startedNs) / 1e9, {
      ...this.common,
      ...(result.errorType !== undefined ? { "error.type": result.errorType } : {}),
      "toolgate.decision": result.decision,
      ...(this.call.server ? { "toolgate.server": this.call.server } : {}),
    });
  }
}

function targetAttributes(kind: TargetKind, name: string, method: string): Attributes {
  const operation = OPERATION[method];
  switch (kind) {
    case "tool":
      return { "gen_ai.tool.name": name, ...(operation ? { "gen_ai.operation.name": operation } : {}) };
    case "prompt":
      return { "gen_ai.prompt.name": name };
    case "resource":
      return { "mcp.resource.uri": name };
    case "method":
      return {};
  }
}
