/**
 * The gateway: one downstream connection (an agent), one upstream connection (an MCP server).
 * A message-level proxy: every frame is classified; `tools/call` is decided before it is
 * forwarded and `tools/list` results are filtered; everything else (initialize/server/discover,
 * notifications, server-to-client requests and their answers) passes through untouched, with
 * request ids mapped to gateway-owned ids on the way up and back on the way down.
 *
 * Faults: a malformed downstream frame gets its JSON-RPC error and the gateway keeps serving; a
 * request the upstream does not answer within `upstreamTimeoutMs` gets an error; when the upstream
 * goes away every pending request is answered with an error and the gateway closes with exit
 * code 1 (it does not restart the upstream: a restarted server has lost its sessions and state,
 * and the process supervisor that started the agent knows better how to recover).
 */
import type { Clock } from "../core/clock.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import type { PolicySource } from "./policy-source.js";
import type { CounterStore } from "../stores/counter-store.js";
import { eraMeta, eraOfRevision, requestEra, type Era } from "../protocol/eras.js";
import { classifyFrame, isErrorResponse, isJsonObject, type JsonObject, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from "../protocol/messages.js";
import { FrameError, type Transport } from "../protocol/transport.js";
import { errorResponse, INTERNAL_ERROR, invalidRequest, messageTooLarge, parseError, upstreamFailure, type UpstreamFailure } from "../protocol/wire-errors.js";
import type { ApprovalGate } from "./approvals/approval-gate.js";
import type { AuditRecord } from "./audit-log.js";
import { EraBridge, upstreamEraOf, type UpstreamEra } from "./bridge/era-bridge.js";
import { Correlation, type PendingUpstream } from "./correlation.js";
import { newConnectionKey } from "./decision-id.js";
import { filterToolList } from "./tool-list.js";
import { ToolCallGovernor, type ForwardedCall } from "./tool-call.js";
import { UpstreamTools } from "./upstream-tools.js";
import { messageOf } from "../core/errors.js";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;
/** Progress notifications extend a request's wait, but never past this many upstream timeouts. */
export const MAX_WAIT_TIMEOUTS = 10;
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GatewayOptions {
  /** Read on every decision, so a reload needs no call into the gateway (`policy-source.ts`). */
  readonly policies: PolicySource;
  readonly grantId?: string;
  /** Scope key for `scope: "session"`; default: a fresh id for this downstream connection. */
  readonly sessionKey?: string;
  readonly clock: Clock;
  readonly store: CounterStore;
  readonly upstream: Transport;
  readonly downstream: Transport;
  readonly audit?: (record: AuditRecord) => void;
  /** How long a forwarded request may wait for its answer, on `clock` (default 60000). */
  readonly upstreamTimeoutMs?: number;
  /** Reported in the "message too large" error; the transport enforces it (default 4 MiB). */
  readonly maxMessageBytes?: number;
  readonly logger?: (line: object) => void;
  /** When the counter store throws: deny (`closed`, the default) or allow and log (`open`). */
  readonly storeFailMode?: "closed" | "open";
  /** Decide and audit, but forward every call and leave `tools/list` unfiltered. */
  readonly shadow?: boolean;
  /** Pending approvals (step 7), shared by every connection of the process; see `approvals/approval-gate.ts`. */
  readonly approvals?: ApprovalGate;
  /** Translate between MCP eras when the agent's differs from the upstream's (default true; `bridge/era-bridge.ts`). */
  readonly bridgeEras?: boolean;
}

export interface GatewayClosed {
  readonly reason: string;
  readonly exitCode: number;
}

export interface Gateway {
  start(): Promise<void>;
  close(): Promise<void>;
  /** For a downstream that speaks 2026-07-28 with no handshake: the upstream's era, found by the era bridge for a caller with these `params`. */
  upstreamEra(params: JsonObject | undefined): Promise<UpstreamEra>;
  readonly closed: Promise<GatewayClosed>;
}

type Forwarded =
  | { readonly kind: "plain" }
  | { readonly kind: "list"; readonly fullListing: boolean }
  | { readonly kind: "call"; readonly call: ForwardedCall }
  | { readonly kind: "internal"; readonly resolve: (response: JsonRpcResponse) => void };

export function createGateway(options: GatewayOptions): Gateway {
  return new GatewayConnection(options);
}

class GatewayConnection implements Gateway {
  readonly closed: Promise<GatewayClosed>;
  private resolveClosed!: (value: GatewayClosed) => void;
  private readonly correlation = new Correlation<Forwarded>();
  private readonly tools = new UpstreamTools();
  private readonly governor: ToolCallGovernor;
  /** The upstream as the gateway sees it: the era bridge around `options.upstream` (or that itself). */
  private readonly upstream: Transport;
  private readonly timeoutMs: number;
  /** When each forwarded request must be answered by, progress or not (MCP: enforce a maximum). */
  private readonly deadlines = new WeakMap<PendingUpstream<Forwarded>, number>();
  private readonly log: (line: object) => void;
  private connectionEra: Era = "2025";
  private upstreamGone = false;
  private closing = false;
  private finished = false;

  constructor(private readonly options: GatewayOptions) {
    this.timeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    this.log = options.logger ?? (() => {});
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.upstream = options.bridgeEras === false ? options.upstream : new EraBridge({ upstream: options.upstream, clock: options.clock, probeTimeoutMs: this.timeoutMs, log: this.log });
    this.governor = new ToolCallGovernor({
      clock: options.clock,
      store: options.store,
      grantId: options.grantId,
      sessionKey: options.sessionKey ?? newConnectionKey(),
      storeFailMode: options.storeFailMode ?? "closed",
      shadow: options.shadow ?? false,
      policy: () => this.policy,
      tools: this.tools,
      listPage: (cursor, meta) => this.listUpstreamTools(cursor, meta),
      answer: (id, result) => this.answer({ jsonrpc: "2.0", id, result }),
      answerError: (response) => this.answer(response),
      forward: (call, request) => this.forward(request, { kind: "call", call }),
      audit: options.audit,
      log: this.log,
      approvals: options.approvals,
    });
  }

  async start(): Promise<void> {
    const { upstream } = this;
    const { downstream } = this.options;
    upstream.onmessage = (message) => this.guard("upstream", message, () => this.fromUpstream(message));
    upstream.onerror = (error) => this.log({ level: "warn", event: "upstream_frame_error", message: error.message });
    upstream.onclose = () => this.upstreamClosed();
    downstream.onmessage = (message) => this.guard("downstream", message, () => this.fromDownstream(message));
    downstream.onerror = (error) => this.downstreamError(error);
    downstream.onclose = () => void this.shutdown("downstream closed", 0);
    await upstream.start();
    await downstream.start();
  }

  async close(): Promise<void> {
    await this.shutdown("closed by the host", 0);
  }

  upstreamEra(params: JsonObject | undefined): Promise<UpstreamEra> {
    this.connectionEra = "2026-07-28"; // no handshake will say so
    return upstreamEraOf(this.upstream, params);
  }

  private get policy(): CompiledPolicy | undefined {
    return this.options.policies.get(this.options.grantId);
  }

  // ── downstream → upstream ───────────────────────────────────────────────────────────────────

  private fromDownstream(value: JsonRpcMessage): void {
    const frame = classifyFrame(value);
    switch (frame.kind) {
      case "request":
        return this.clientRequest(frame.message);
      case "notification":
        return this.clientNotification(frame.message);
      case "response":
        if (this.correlation.answerServerRequest(frame.message.id ?? null)) return this.sendUpstream(frame.message);
        this.log({ level: "warn", event: "unknown_response_id", side: "downstream", id: frame.message.id, message: "dropped a response whose id answers no open server request" });
        return;
      case "invalid":
        this.log({ level: "warn", event: "invalid_frame", side: "downstream", id: frame.id, message: frame.reason });
        return this.answer(invalidRequest(frame.id, frame.reason));
    }
  }

  private downstreamError(error: Error): void {
    if (error instanceof FrameError) {
      this.log({ level: "warn", event: error.kind, side: "downstream", message: error.message });
      this.answer(error.kind === "too_large" ? messageTooLarge(this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) : parseError(error.message));
      return;
    }
    this.log({ level: "warn", event: "downstream_error", message: error.message });
  }

  private clientRequest(request: JsonRpcRequest): void {
    const era = requestEra(request.method, request.params, this.connectionEra);
    // Only the handshakes set the connection's era; a request naming its revision speaks for itself.
    if (request.method === "initialize" || request.method === "server/discover") this.connectionEra = era;
    if (this.upstreamGone) return this.answer(upstreamFailure(request.id, "upstream_closed", "the upstream MCP server has gone away"));
    if (this.correlation.upstreamIdOf(request.id) !== undefined || this.governor.isDeciding(request.id)) {
      // JSON-RPC ids must be unique among requests in flight: a second one would take over the
      // first's answer and cancellation.
      this.log({ level: "warn", event: "duplicate_request_id", id: request.id, method: request.method, message: "refused a request whose id is already in flight" });
      return this.answer(invalidRequest(request.id, `id ${JSON.stringify(request.id)} is already used by a request in flight`));
    }
    switch (request.method) {
      case "tools/call":
        return this.governor.handle(request, era);
      case "tools/list":
        return this.forward(request, { kind: "list", fullListing: !isJsonObject(request.params) || request.params.cursor === undefined });
      default:
        return this.forward(request, { kind: "plain" });
    }
  }

  private clientNotification(notification: JsonRpcNotification): void {
    if (notification.method === "tools/call") {
      // A JSON-RPC server runs a notification's method and only withholds the answer: forwarding
      // it would let a call reach the server without a decision. Fail closed (there is no id to answer).
      this.log({ level: "warn", event: "ungoverned_notification_dropped", method: notification.method, message: "dropped a `tools/call` sent without an id: a call must be a request so that the policy can decide and answer it" });
      return;
    }
    if (notification.method === "notifications/cancelled" && isJsonObject(notification.params)) {
      const callerId = notification.params.requestId;
      if (typeof callerId === "string" || typeof callerId === "number") {
        if (this.governor.cancelDeciding(callerId)) return; // never reached the upstream
        const upstreamId = this.correlation.upstreamIdOf(callerId);
        if (upstreamId === undefined) return; // already answered or never seen: nothing to cancel
        const pending = this.correlation.take(upstreamId);
        if (pending?.extra.kind === "call") this.governor.finish(pending.extra.call, "cancelled");
        return this.sendUpstream({ ...notification, params: { ...notification.params, requestId: upstreamId } });
      }
    }
    this.sendUpstream(notification);
  }

  /** Sends a request upstream under a gateway-owned id, with a timeout on the clock. */
  private forward(request: JsonRpcRequest, extra: Forwarded): void {
    const callerId = extra.kind === "internal" ? undefined : request.id;
    if (this.upstreamGone) {
      const gone = this.correlation.open(callerId, request.method, undefined, extra);
      this.correlation.take(gone.upstreamId);
      return this.fail(gone, "upstream_closed");
    }
    const meta = isJsonObject(request.params) && isJsonObject(request.params._meta) ? request.params._meta : undefined;
    const token = meta?.progressToken;
    const progressToken = typeof token === "string" || typeof token === "number" ? token : undefined;
    const pending = this.correlation.open(callerId, request.method, progressToken, extra);
    this.deadlines.set(pending, this.options.clock.nowMs() + MAX_WAIT_TIMEOUTS * this.timeoutMs);
    this.armTimer(pending);
    this.upstream.send({ ...request, id: pending.upstreamId }).catch((error: unknown) => {
      this.log({ level: "error", event: "upstream_send_failed", method: request.method, message: messageOf(error) });
      const still = this.correlation.take(pending.upstreamId);
      if (still) this.fail(still, "upstream_unreachable");
    });
  }

  private armTimer(pending: PendingUpstream<Forwarded>): void {
    pending.timer?.cancel();
    const deadlineMs = this.deadlines.get(pending) ?? Number.POSITIVE_INFINITY;
    const delayMs = Math.max(0, Math.min(this.timeoutMs, deadlineMs - this.options.clock.nowMs()));
    pending.timer = this.options.clock.setTimer(() => {
      const timedOut = this.correlation.take(pending.upstreamId);
      if (!timedOut) return;
      this.log({ level: "error", event: "upstream_timeout", method: timedOut.method, timeoutMs: this.timeoutMs, message: `the upstream did not answer \`${timedOut.method}\` within ${this.timeoutMs} ms` });
      this.sendUpstream({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: timedOut.upstreamId, reason: "toolgate: upstream timeout" } });
      this.fail(timedOut, "upstream_timeout");
    }, delayMs);
  }

  /**
   * Answers a pending request that will get no upstream answer. A call the gateway stops waiting
   * for because it is closing (`abandoned`) reached the server and keeps its slot, as a cancelled one does.
   */
  private fail(pending: PendingUpstream<Forwarded>, failure: UpstreamFailure, abandoned = false): void {
    const message =
      failure === "upstream_timeout"
        ? `the upstream MCP server did not answer \`${pending.method}\` within ${this.timeoutMs} ms`
        : failure === "upstream_closed"
          ? `the upstream MCP server went away before answering \`${pending.method}\``
          : `the upstream MCP server could not be reached for \`${pending.method}\``;
    const extra = pending.extra;
    if (extra.kind === "internal") {
      extra.resolve(upstreamFailure(pending.upstreamId, failure, message));
      return;
    }
    if (extra.kind === "call") this.governor.finish(extra.call, abandoned ? "cancelled" : failure === "upstream_timeout" ? "timeout" : "upstream_closed");
    if (pending.callerId !== undefined) this.answer(upstreamFailure(pending.callerId, failure, message));
  }

  /** The gateway's own `tools/list` page, with the caller's era fields for 2026-07-28. */
  private listUpstreamTools(cursor: string | undefined, meta: JsonObject | undefined): Promise<JsonObject> {
    return new Promise((resolve, reject) => {
      const params: JsonObject = {};
      if (cursor !== undefined) params.cursor = cursor;
      const era = eraMeta(meta === undefined ? undefined : { _meta: meta });
      if (era) params._meta = era;
      const request: JsonRpcRequest = { jsonrpc: "2.0", id: 0, method: "tools/list", params };
      this.forward(request, {
        kind: "internal",
        resolve: (response) => {
          if (isErrorResponse(response)) reject(new Error(`tools/list failed: ${response.error.message}`));
          else resolve(response.result);
        },
      });
    });
  }

  // ── upstream → downstream ───────────────────────────────────────────────────────────────────

  private fromUpstream(value: JsonRpcMessage): void {
    const frame = classifyFrame(value);
    switch (frame.kind) {
      case "response":
        return this.upstreamResponse(frame.message);
      case "request":
        this.correlation.rememberServerRequest(frame.message.id);
        return this.answer(frame.message);
      case "notification":
        return this.upstreamNotification(frame.message);
      case "invalid":
        this.log({ level: "warn", event: "invalid_frame", side: "upstream", id: frame.id, message: frame.reason });
        return;
    }
  }

  private upstreamResponse(response: JsonRpcResponse): void {
    const pending = this.correlation.settle(response);
    if (!pending) {
      this.log({ level: "warn", event: "unknown_response_id", side: "upstream", id: response.id, message: "dropped a response whose id answers no pending request" });
      return;
    }
    const extra = pending.extra;
    if (extra.kind === "internal") return extra.resolve(response);
    const callerId = pending.callerId!;
    if (isErrorResponse(response)) {
      if (extra.kind === "call") this.governor.finish(extra.call, "rpc_error");
      return this.answer({ ...response, id: callerId });
    }
    const result = response.result;
    switch (extra.kind) {
      case "call":
        this.answer({ jsonrpc: "2.0", id: callerId, result });
        return this.governor.finish(extra.call, result.isError === true ? "tool_error" : "ok");
      case "list":
        this.tools.remember(result, extra.fullListing);
        return this.answer({ jsonrpc: "2.0", id: callerId, result: this.options.shadow ? result : filterToolList(result, this.policy) });
      case "plain":
        if (pending.method === "initialize" && typeof result.protocolVersion === "string") {
          this.upstream.setProtocolVersion?.(result.protocolVersion);
          this.connectionEra = eraOfRevision(result.protocolVersion);
        }
        return this.answer({ ...response, id: callerId });
    }
  }

  private upstreamNotification(notification: JsonRpcNotification): void {
    const params = notification.params;
    switch (notification.method) {
      case "notifications/tools/list_changed":
        this.tools.invalidate();
        break;
      case "notifications/progress": {
        const token = params?.progressToken;
        const pending = typeof token === "string" || typeof token === "number" ? this.correlation.byProgress(token) : undefined;
        if (pending) this.armTimer(pending); // progress proves the upstream is alive
        break;
      }
      case "notifications/cancelled": {
        const id = params?.requestId;
        if (typeof id === "string" || typeof id === "number") this.correlation.answerServerRequest(id);
        break;
      }
    }
    this.answer(notification);
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** No frame may take the gateway down: a failure is logged and a client request answered. */
  private guard(side: "upstream" | "downstream", message: JsonRpcMessage, handle: () => void): void {
    try {
      handle();
    } catch (error) {
      this.log({ level: "error", event: "internal_error", side, message: messageOf(error) });
      const frame = classifyFrame(message);
      if (side === "downstream" && frame.kind === "request") {
        this.answer(errorResponse(frame.message.id, INTERNAL_ERROR, "toolgate could not handle this request"));
      }
    }
  }

  private answer(message: JsonRpcMessage): void {
    if (this.finished) return;
    this.options.downstream.send(message).catch((error: unknown) => {
      this.log({ level: "warn", event: "downstream_send_failed", message: messageOf(error) });
    });
  }

  private sendUpstream(message: JsonRpcMessage): void {
    if (this.upstreamGone) return;
    this.upstream.send(message).catch((error: unknown) => {
      this.log({ level: "warn", event: "upstream_send_failed", message: messageOf(error) });
    });
  }

  private upstreamClosed(): void {
    if (this.upstreamGone) return;
    this.upstreamGone = true;
    const pending = this.correlation.drain();
    // Closed by us (the agent left, the host closed us): the upstream did not die under the calls.
    for (const p of pending) this.fail(p, "upstream_closed", this.closing);
    if (this.closing) return;
    this.log({ level: "error", event: "upstream_closed", pending: pending.length, message: `the upstream MCP server went away; answered ${pending.length} pending request(s) with an error and shutting down` });
    void this.shutdown("upstream closed", 1);
  }

  private async shutdown(reason: string, exitCode: number): Promise<void> {
    if (this.closing) return this.closed.then(() => undefined);
    this.closing = true;
    await this.upstream.close().catch(() => {});
    this.upstreamClosed();
    this.governor.abandonDeciding();
    this.finished = true;
    await this.options.downstream.close().catch(() => {});
    this.resolveClosed({ reason, exitCode });
  }
}
