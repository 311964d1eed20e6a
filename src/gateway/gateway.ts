/**
 * The gateway: one agent (downstream) and one MCP server (upstream), as a message-level proxy.
 * Every frame is classified; governed requests are decided before they are forwarded
 * (`governed-methods.ts`, `call-lifecycle.ts`), list results are filtered, and everything else
 * passes through untouched with ids mapped both ways (`upstream-exchange.ts`). Each request is
 * settled once, in `settle`. A malformed frame gets its error and serving goes on; how the
 * connection ends (the upstream going away included) is `gateway-shutdown.ts`.
 * The path of one call: docs/architecture.md#the-path-of-one-call.
 */
import { assertNever, messageOf } from "../core/errors.js";
import { eraOfRevision, requestEra, type Era } from "../protocol/eras.js";
import { classifyFrame, isErrorResponse, isJsonObject, type JsonObject, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from "../protocol/messages.js";
import { FrameError, type Transport } from "../protocol/transport.js";
import { errorResponse, INTERNAL_ERROR, invalidParams, invalidRequest, messageTooLarge, parseError, tooManyInFlight, upstreamFailure, type UpstreamFailure } from "../protocol/wire-errors.js";
import { PLAIN, type AgentRequest, type Entry } from "./agent-request.js";
import { EraBridge, upstreamEraOf, type UpstreamEra } from "./bridge/era-bridge.js";
import { CallLifecycle } from "./call-lifecycle.js";
import { ClientRequests } from "./client-requests.js";
import { newConnectionKey } from "./decision-id.js";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_UPSTREAM_TIMEOUT_MS, MAX_WAIT_TIMEOUTS, type Gateway, type GatewayClosed, type GatewayOptions } from "./gateway-options.js";
import { GatewayShutdown } from "./gateway-shutdown.js";
import { routeRequest } from "./governed-methods.js";
import { InFlightBudget } from "./in-flight-budget.js";
import { exposedVisibility, filterList, type Visibility } from "./list-filter.js";
import { agentNotification, readUpstreamNotification } from "./passing-notifications.js";
import { failureMessage, type Ending } from "./settlement.js";
import { ToolCallGovernor } from "./tool-call.js";
import { UpstreamExchange } from "./upstream-exchange.js";
import { SINGLE_SERVER_NAMING, type ServerNaming } from "./server-naming.js";
import { NO_TRACER } from "./tracing/call-trace.js";
import { UpstreamTools } from "./upstream-tools.js";

export * from "./gateway-options.js";

export function createGateway(options: GatewayOptions): Gateway {
  return new GatewayConnection(options);
}

class GatewayConnection implements Gateway {
  readonly closed: Promise<GatewayClosed>;
  private readonly exchange: UpstreamExchange<AgentRequest>;
  /** Requests in flight per grant, shared by every connection of the process when the host passes one. */
  private readonly budget: InFlightBudget;
  private readonly tools = new UpstreamTools();
  private readonly governor: ToolCallGovernor;
  private readonly calls: CallLifecycle;
  private readonly naming: ServerNaming;
  /** Which exposed list entries the agent sees. */
  private readonly visible: Visibility;
  /** The upstream as the gateway sees it: the era bridge around `options.upstream` (or that itself). */
  private readonly upstream: Transport;
  private readonly timeoutMs: number;
  private readonly log: (line: object) => void;
  private connectionEra: Era = "2025";
  /** What the agent's client declared in `initialize` (2025 era). */
  private clientCapabilities: unknown;
  private readonly clientRequests: ClientRequests;
  private readonly end: GatewayShutdown;
  /** Set once the connection has ended: nothing more goes to the agent. */
  private finished = false;

  constructor(private readonly options: GatewayOptions) {
    this.timeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    this.log = options.logger ?? (() => {});
    this.upstream = options.bridgeEras === false ? options.upstream : new EraBridge({ upstream: options.upstream, clock: options.clock, probeTimeoutMs: this.timeoutMs, log: this.log });
    this.budget = options.budget ?? new InFlightBudget();
    const grantKey = options.grantId ?? "";
    const budget = { take: () => this.budget.take(grantKey), release: () => this.budget.release(grantKey) };
    this.exchange = new UpstreamExchange<AgentRequest>({ upstream: this.upstream, clock: options.clock, timeoutMs: this.timeoutMs, maxTimeouts: MAX_WAIT_TIMEOUTS, log: this.log, budget, settle: (entry, ending) => this.settle(entry, ending) });
    const { clock, store, grantId, approvals } = options;
    const sessionKey = options.sessionKey ?? newConnectionKey();
    const listTools = (cursor: string | undefined, meta: JsonObject | undefined): Promise<JsonObject> => this.exchange.listTools(cursor, meta);
    const { policies } = options;
    this.clientRequests = new ClientRequests(clock, (message) => this.answer(message));
    const viaClient = options.approvalViaClient === true ? { ask: (params: JsonObject, timeoutMs: number) => this.clientRequests.ask("elicitation/create", params, timeoutMs), initializeCapabilities: () => this.clientCapabilities } : undefined;
    this.naming = options.naming ?? SINGLE_SERVER_NAMING;
    this.visible = exposedVisibility(this.naming, policies, grantId, options.callerOf);
    this.governor = new ToolCallGovernor({ clock, store, grantId, claims: options.claims, callerOf: options.callerOf, sessionKey, storeFailMode: options.storeFailMode ?? "closed", shadow: options.shadow ?? false, policies, naming: this.naming, tools: this.tools, listTools, log: this.log, approvals, viaClient });
    this.end = new GatewayShutdown({ exchange: this.exchange, upstream: this.upstream, downstream: options.downstream, clientRequests: this.clientRequests, drainOnDownstreamClose: options.drainOnDownstreamClose === true, log: this.log, finish: () => (this.finished = true) });
    this.closed = this.end.closed;
    this.calls = new CallLifecycle({ governor: this.governor, exchange: this.exchange, admit: (request, what) => this.admit(request, what), answer: (message) => this.answer(message), audit: options.audit, record: options.record, log: this.log, tracer: options.tracer ?? NO_TRACER });
  }

  async start(): Promise<void> {
    const { upstream } = this;
    const { downstream } = this.options;
    // No frame may take the gateway down: a failure is logged (and a client request answered).
    upstream.onmessage = (message) => {
      try {
        this.fromUpstream(message);
      } catch (error) {
        this.internalError("upstream", message, error);
      }
    };
    upstream.onerror = (error) => this.log({ level: "warn", event: "upstream_frame_error", message: error.message });
    upstream.onclose = () => this.end.upstreamClosed();
    downstream.onmessage = (message) => {
      try {
        this.fromDownstream(message);
      } catch (error) {
        this.internalError("downstream", message, error);
      }
    };
    downstream.onerror = (error) => this.downstreamError(error);
    downstream.onclose = () => void this.end.downstreamClosed();
    await upstream.start();
    await downstream.start();
  }

  async close(): Promise<void> {
    await this.end.shutdown("closed by the host", 0);
  }

  upstreamEra(params: JsonObject | undefined): Promise<UpstreamEra> {
    this.connectionEra = "2026-07-28"; // no handshake will say so
    return upstreamEraOf(this.upstream, params);
  }

  // ── downstream → upstream ───────────────────────────────────────────────────────────────────

  private fromDownstream(value: JsonRpcMessage): void {
    const frame = classifyFrame(value);
    switch (frame.kind) {
      case "request":
        return this.clientRequest(frame.message);
      case "notification":
        return agentNotification(frame.message, this.exchange, this.log);
      case "response":
        if (this.clientRequests.answered(frame.message)) return;
        if (this.exchange.answerServerRequest(frame.message.id ?? null)) return this.exchange.send(frame.message);
        this.log({ level: "warn", event: "unknown_response_id", side: "downstream", id: frame.message.id, message: "dropped a response whose id answers no open server request" });
        return;
      case "invalid":
        this.log({ level: "warn", event: "invalid_frame", side: "downstream", id: frame.id, message: frame.reason });
        return this.answer(invalidRequest(frame.id, frame.reason));
      default:
        return assertNever(frame, "frame");
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
    if (request.method === "initialize") this.clientCapabilities = request.params?.capabilities;
    if (this.exchange.isGone) return this.answer(upstreamFailure(request.id, "upstream_closed", "the upstream MCP server has gone away"));
    if (this.exchange.ofCaller(request.id) !== undefined) {
      // JSON-RPC ids must be unique among requests in flight: a second one would take over the
      // first's answer and cancellation.
      this.log({ level: "warn", event: "duplicate_request_id", id: request.id, method: request.method, message: "refused a request whose id is already in flight" });
      return this.answer(invalidRequest(request.id, `id ${JSON.stringify(request.id)} is already used by a request in flight`));
    }
    const route = routeRequest(request);
    switch (route.kind) {
      case "call":
        return this.calls.govern(request, this.governor.prepare(request, era));
      case "govern":
        return this.calls.govern(request, this.governor.prepareTarget(request, era, route.target));
      case "list":
        return this.forwardAdmitted(request, { kind: "list", list: route.list, fullListing: !isJsonObject(request.params) || request.params.cursor === undefined });
      case "pass":
        return this.forwardAdmitted(request, PLAIN);
      case "invalid":
        return this.answer(invalidParams(request.id, route.reason));
      default:
        return assertNever(route, "route");
    }
  }

  /** Admits a request into the registry, or answers why not; undefined when refused. */
  private admit(request: JsonRpcRequest, what: AgentRequest): Entry | undefined {
    const entry = this.exchange.admit(request.id, request.method, what);
    if (typeof entry !== "string") return entry;
    if (entry === "duplicate") {
      this.answer(invalidRequest(request.id, `id ${JSON.stringify(request.id)} is already used by a request in flight`));
      return undefined;
    }
    const max = this.budget.maxPerGrant;
    this.log({ level: "warn", event: "too_many_in_flight", method: request.method, grant: this.options.grantId ?? null, max, message: `refused a request: the grant already has ${max} requests in flight (--max-in-flight)` });
    this.answer(tooManyInFlight(request.id, max));
    return undefined;
  }

  private forwardAdmitted(request: JsonRpcRequest, what: AgentRequest): void {
    const entry = this.admit(request, what);
    if (entry !== undefined) this.exchange.forward(entry, request);
  }

  // ── upstream → downstream ───────────────────────────────────────────────────────────────────

  private fromUpstream(value: JsonRpcMessage): void {
    const frame = classifyFrame(value);
    switch (frame.kind) {
      case "response":
        return this.exchange.answered(frame.message);
      case "request":
        this.exchange.rememberServerRequest(frame.message.id);
        return this.answer(frame.message);
      case "notification":
        readUpstreamNotification(frame.message, this.exchange, this.tools);
        return this.answer(frame.message);
      case "invalid":
        this.log({ level: "warn", event: "invalid_frame", side: "upstream", id: frame.id, message: frame.reason });
        return;
      default:
        return assertNever(frame, "frame");
    }
  }

  // ── settlement ──────────────────────────────────────────────────────────────────────────────

  /** Ends a forwarded request that has left the registry: answer it, give back what it held if it did not run, audit it. */
  private settle(entry: Entry, ending: Ending): void {
    const request = entry.extra;
    if (request.kind === "call") this.calls.ended(request.call, ending);
    switch (ending.kind) {
      case "answered":
        return this.answered(entry, ending.response);
      case "failed":
        return this.failed(entry, ending.failure, ending.sent ? undefined : ending.reason);
      case "abandoned":
        return this.failed(entry, "upstream_closed");
      case "cancelled":
        return; // the agent is not waiting for an answer
      default:
        return assertNever(ending, "ending");
    }
  }

  private answered(entry: Entry, response: JsonRpcResponse): void {
    const request = entry.extra;
    if (request.kind === "own") return request.resolve(response);
    const callerId = entry.callerId!;
    if (isErrorResponse(response)) return this.answer({ ...response, id: callerId });
    const result = response.result;
    switch (request.kind) {
      case "call":
        return this.answer({ jsonrpc: "2.0", id: callerId, result });
      case "list":
        if (request.list === "tools") this.tools.remember(result, request.fullListing);
        return this.answer({ jsonrpc: "2.0", id: callerId, result: this.options.shadow ? result : filterList(result, request.list, this.visible) });
      case "plain":
        if (entry.method === "initialize" && typeof result.protocolVersion === "string") {
          this.upstream.setProtocolVersion?.(result.protocolVersion);
          this.connectionEra = eraOfRevision(result.protocolVersion);
        }
        return this.answer({ ...response, id: callerId });
      default:
        return assertNever(request, "request");
    }
  }

  /** Answers a request that will get no upstream answer (`notSent`: the transport refused it, and why). */
  private failed(entry: Entry, failure: UpstreamFailure, notSent?: string): void {
    const message = failureMessage(entry.method, failure, this.timeoutMs, notSent);
    const request = entry.extra;
    if (request.kind === "own") return request.resolve(upstreamFailure(0, failure, message));
    this.answer(upstreamFailure(entry.callerId!, failure, message));
  }

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  /** Handling a frame threw: logged, and a client request answered. */
  private internalError(side: "upstream" | "downstream", message: JsonRpcMessage, error: unknown): void {
    this.log({ level: "error", event: "internal_error", side, message: messageOf(error) });
    const frame = classifyFrame(message);
    if (side === "downstream" && frame.kind === "request") {
      this.answer(errorResponse(frame.message.id, INTERNAL_ERROR, "toolgate could not handle this request"));
    }
  }

  private answer(message: JsonRpcMessage): void {
    if (this.finished) return;
    this.options.downstream.send(message).catch((error: unknown) => {
      this.log({ level: "warn", event: "downstream_send_failed", message: messageOf(error) });
    });
  }
}
