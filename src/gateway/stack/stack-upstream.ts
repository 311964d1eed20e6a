/**
 * Several MCP servers as one upstream: a `Transport` the gateway talks to as if it were one server.
 * Handshakes and lists fan out to every ready server and come back merged under exposed names
 * (`stack-naming.ts`); `tools/call`, `prompts/get`, `resources/read|subscribe|unsubscribe` and
 * `completion/complete` go to the one server the name or URI belongs to, under its own name; a
 * server's own requests to the agent (sampling, elicitation, roots) and its notifications come back
 * with their ids and URIs mapped. `list_changed` from any server, and a server going away or
 * coming back, reach the agent as one `list_changed` per list.
 *
 * One server failing never takes the others down: its requests in flight are answered at once with
 * `upstream_unavailable` naming the server, its tools leave the lists, it is restarted with backoff
 * (`stack-member.ts`), and while it is down its calls get the same error, never a hang. A call
 * answered that way was never sent or may have run: the gateway keeps its slot either way.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from "../../protocol/messages.js";
import { requestEra } from "../../protocol/eras.js";
import type { Transport } from "../../protocol/transport.js";
import { errorResponse, INVALID_PARAMS } from "../../protocol/wire-errors.js";
import type { ServerStatus } from "../server-status.js";
import { StackMember } from "./stack-member.js";
import { cannotServeError, forwardedResult, mergedResult, timeoutError, unavailableError } from "./stack-answers.js";
import { Fan, FAN_OUT } from "./stack-fan.js";
import { LIST_CHANGED, ListChanges } from "./stack-lists.js";
import { routeToServer } from "./stack-routes.js";
import type { StackNaming } from "./stack-naming.js";

export interface StackServerLink {
  readonly name: string;
  readonly open: () => Transport;
  /** How long a request to this server may wait before the stack answers `upstream_timeout`. */
  readonly timeoutMs?: number;
  readonly onStartFailure: "fail" | "serve_rest";
}

export interface StackUpstreamOptions {
  readonly servers: readonly StackServerLink[];
  readonly naming: StackNaming;
  readonly clock: Clock;
  readonly probeTimeoutMs: number;
  readonly log: (line: object) => void;
  readonly serverInfo: { readonly name: string; readonly version: string };
}

export type { ServerStatus } from "../server-status.js";


type Pending =
  | { readonly kind: "forward"; readonly gatewayId: JsonRpcId; readonly method: string; readonly modern: boolean; readonly timer: TimerHandle | undefined }
  | { readonly kind: "part"; readonly fan: Fan; readonly page: number; readonly timer: TimerHandle }
  | { readonly kind: "handshake" };

interface StackLink {
  readonly member: StackMember;
  readonly spec: StackServerLink;
  readonly pending: Map<number, Pending>;
}

export class StackUpstream implements Transport {
  onmessage?(message: JsonRpcMessage): void;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private readonly links = new Map<string, StackLink>();
  private nextId = 1;
  /** Server-to-client requests in flight: the id the agent sees → the server and its own id. */
  private readonly serverRequests = new Map<number, { link: StackLink; id: JsonRpcId }>();
  /** The agent's `initialize` params, replayed to a server that restarts; undefined for 2026-07-28 agents. */
  private handshake: JsonObject | undefined;
  private initialized = false;
  /** True once a handshake was answered: from then on no server's failure closes the stack. */
  private served = false;
  private readonly listChanges = new ListChanges((method) => this.toGateway({ jsonrpc: "2.0", method }));
  private closed = false;

  constructor(private readonly o: StackUpstreamOptions) {
    for (const spec of o.servers) {
      const member = new StackMember({
        name: spec.name,
        open: spec.open,
        clock: o.clock,
        probeTimeoutMs: o.probeTimeoutMs,
        log: o.log,
        events: {
          message: (_m, message) => this.fromServer(this.links.get(spec.name)!, message),
          died: (_m, reason) => this.serverDied(this.links.get(spec.name)!, reason),
          connected: () => this.serverConnected(this.links.get(spec.name)!),
        },
      });
      this.links.set(spec.name, { member, spec, pending: new Map() });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Every server's state, for `/health`, `/metrics` and logs. */
  status(): ServerStatus[] {
    return [...this.links.values()].map(({ member }) => ({ name: member.name, state: member.state, lastError: member.lastError, restarts: member.restarts }));
  }

  async start(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.member.connect()));
  }

  async send(message: JsonRpcMessage): Promise<void> {
    if (this.closed) throw new Error("the stack is closed");
    if ("method" in message && "id" in message && message.id !== undefined) return this.request(message as JsonRpcRequest);
    if ("method" in message) return this.notification(message.method, isJsonObject(message.params) ? message.params : undefined);
    return this.response(message as JsonRpcResponse);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.links.values()].map((link) => link.member.stop()));
    this.onclose?.();
  }

  // ── agent → servers ─────────────────────────────────────────────────────────────────────────

  private request(request: JsonRpcRequest): void {
    const params = isJsonObject(request.params) ? request.params : undefined;
    if (request.method === "ping") return this.toGateway({ jsonrpc: "2.0", id: request.id, result: {} });
    if (request.method === "initialize") this.handshake = params;
    if (FAN_OUT.has(request.method)) return this.fanOut(request.id, request.method, params);
    const target = routeToServer(this.o.naming, request.method, params);
    const link = "server" in target ? this.links.get(target.server) : undefined;
    if ("error" in target || link === undefined) return this.toGateway(errorResponse(request.id, "code" in target ? target.code : INVALID_PARAMS, "error" in target ? target.error : "no such server"));
    const { routedParams } = target;
    if (link.member.state !== "ready") return this.toGateway(this.unavailable(request.id, link));
    const id = this.nextId++;
    const timeoutMs = link.spec.timeoutMs;
    const timer = timeoutMs === undefined ? undefined : this.o.clock.setTimer(() => this.timedOut(link, id, request.id, timeoutMs), timeoutMs);
    link.pending.set(id, { kind: "forward", gatewayId: request.id, method: request.method, modern: this.isModern(request.method, params), timer });
    link.member.send({ jsonrpc: "2.0", id, method: request.method, ...(routedParams !== undefined ? { params: routedParams } : {}) });
  }

  private fanOut(id: JsonRpcId, method: string, params: JsonObject | undefined): void {
    const fan = new Fan(id, method, params);
    for (const link of this.links.values()) {
      if (link.member.state !== "ready") fan.skipped(link.spec, link.member.lastError ?? link.member.state);
      else {
        fan.joined();
        this.sendPart(link, fan, params, 0);
      }
    }
    if (fan.done) this.finishFan(fan);
  }

  private sendPart(link: StackLink, fan: Fan, params: JsonObject | undefined, page: number): void {
    const id = this.nextId++;
    // A server that never answers its part leaves the merged answer without it, never hangs it.
    const timeoutMs = link.spec.timeoutMs ?? this.o.probeTimeoutMs;
    const timer = this.o.clock.setTimer(() => {
      if (!link.pending.delete(id)) return;
      fan.failed(link.spec, `did not answer ${fan.method} within ${timeoutMs} ms`);
      if (fan.done) this.finishFan(fan);
    }, timeoutMs);
    link.pending.set(id, { kind: "part", fan, page, timer });
    link.member.send({ jsonrpc: "2.0", id, method: fan.method, ...(params !== undefined ? { params } : {}) });
  }

  private notification(method: string, params: JsonObject | undefined): void {
    if (method === "notifications/initialized") this.initialized = true;
    if (method === "notifications/cancelled") {
      for (const link of this.links.values()) {
        for (const [id, pending] of link.pending) {
          if (pending.kind === "forward" && pending.gatewayId === params?.requestId) {
            pending.timer?.cancel();
            link.pending.delete(id);
            link.member.send({ jsonrpc: "2.0", method, params: { ...params, requestId: id } });
          }
        }
      }
      return;
    }
    for (const link of this.links.values()) if (link.member.state === "ready") link.member.send({ jsonrpc: "2.0", method, ...(params !== undefined ? { params } : {}) });
  }

  private response(response: JsonRpcResponse): void {
    const id = typeof response.id === "number" ? response.id : Number.NaN;
    const open = this.serverRequests.get(id);
    if (open === undefined) return this.o.log({ level: "warn", event: "unknown_response_id", side: "downstream", id: response.id, message: "dropped an answer to no open server request" });
    this.serverRequests.delete(id);
    if (open.link.member.state === "ready") open.link.member.send({ ...response, id: open.id });
  }

  // ── servers → agent ─────────────────────────────────────────────────────────────────────────

  private fromServer(link: StackLink, message: JsonRpcMessage): void {
    if ("method" in message) {
      if ("id" in message && message.id !== undefined) {
        const id = this.nextId++;
        this.serverRequests.set(id, { link, id: message.id });
        return this.toGateway({ ...message, id });
      }
      return this.serverNotification(link, message.method, isJsonObject(message.params) ? message.params : undefined);
    }
    const response = message as JsonRpcResponse;
    const id = typeof response.id === "number" ? response.id : Number.NaN;
    const pending = link.pending.get(id);
    if (pending === undefined) return;
    link.pending.delete(id);
    switch (pending.kind) {
      case "forward":
        pending.timer?.cancel();
        if (!("result" in response) || !isJsonObject(response.result)) return this.toGateway({ ...response, id: pending.gatewayId });
        return this.toGateway({ ...response, id: pending.gatewayId, result: forwardedResult(this.o.naming, link.member.name, pending.method, pending.modern, response.result) });
      case "part": {
        pending.timer.cancel();
        const cursor = pending.fan.answered(link.spec, pending.page, response);
        if (cursor !== undefined) return this.sendPart(link, pending.fan, { ...pending.fan.params, cursor }, pending.page + 1);
        if (pending.fan.done) this.finishFan(pending.fan);
        return;
      }
      case "handshake":
        if ("error" in response) return link.member.gone(`its initialize failed: ${String(response.error?.message)}`);
        link.member.send({ jsonrpc: "2.0", method: "notifications/initialized" });
        link.member.markReady();
        this.o.log({ level: "info", event: "server_ready", server: link.member.name, message: `server \`${link.member.name}\` is back` });
        return this.listChanges.all();
    }
  }

  private serverNotification(link: StackLink, method: string, params: JsonObject | undefined): void {
    if ((LIST_CHANGED as readonly string[]).includes(method)) return this.listChanges.one(method);
    if (method === "notifications/resources/updated" && typeof params?.uri === "string") {
      return this.toGateway({ jsonrpc: "2.0", method, params: { ...params, uri: this.o.naming.exposeUri(link.member.name, params.uri) } });
    }
    if (method === "notifications/cancelled") {
      for (const [id, open] of this.serverRequests) {
        if (open.link === link && open.id === params?.requestId) return this.toGateway({ jsonrpc: "2.0", method, params: { ...params, requestId: id } });
      }
      return;
    }
    this.toGateway({ jsonrpc: "2.0", method, ...(params !== undefined ? { params } : {}) });
  }

  private finishFan(fan: Fan): void {
    if (fan.method === "logging/setLevel") return this.toGateway({ jsonrpc: "2.0", id: fan.id, result: {} });
    if (!fan.isHandshake) return this.answerFan(fan, fan.list(this.o.naming, this.o.log));
    for (const failure of fan.failures) this.o.log({ level: "error", event: "server_start_failed", server: failure.server.name, message: `server \`${failure.server.name}\` did not start: ${failure.reason}` });
    const outcome = fan.handshake(this.served, this.o.serverInfo);
    if (outcome.kind === "merged") {
      this.served = true;
      return this.answerFan(fan, outcome.result);
    }
    this.toGateway(cannotServeError(fan.id, outcome.failure));
    if (outcome.fatal) void this.close();
  }

  // ── servers coming and going ────────────────────────────────────────────────────────────────

  private serverConnected(link: StackLink): void {
    if (this.handshake === undefined) return link.member.markReady();
    const id = this.nextId++;
    link.pending.set(id, { kind: "handshake" });
    link.member.send({ jsonrpc: "2.0", id, method: "initialize", params: this.handshake });
  }

  private serverDied(link: StackLink, reason: string): void {
    for (const [, pending] of link.pending) {
      if (pending.kind === "forward") {
        pending.timer?.cancel();
        this.toGateway(this.unavailable(pending.gatewayId, link, reason));
      } else if (pending.kind === "part") {
        pending.timer.cancel();
        pending.fan.failed(link.spec, reason);
        if (pending.fan.done) this.finishFan(pending.fan);
      }
    }
    link.pending.clear();
    for (const [id, open] of this.serverRequests) if (open.link === link) this.serverRequests.delete(id);
    if (this.initialized) this.listChanges.all();
  }

  private timedOut(link: StackLink, id: number, gatewayId: JsonRpcId, timeoutMs: number): void {
    if (!link.pending.delete(id)) return;
    this.toGateway(timeoutError(gatewayId, link.member.name, timeoutMs));
  }

  private unavailable(id: JsonRpcId, link: StackLink, reason?: string): JsonRpcResponse {
    return unavailableError(id, link.member.name, link.member.state, reason ?? link.member.lastError);
  }

  private answerFan(fan: Fan, result: JsonObject): void {
    this.toGateway({ jsonrpc: "2.0", id: fan.id, result: mergedResult(result, this.isModern(fan.method, fan.params), this.o.serverInfo) });
  }

  /** Whether a request speaks 2026-07-28: by its own `_meta`, else by the stack's handshake (none: modern). */
  private isModern(method: string, params: JsonObject | undefined): boolean {
    return requestEra(method, params, this.handshake === undefined ? "2026-07-28" : "2025") === "2026-07-28";
  }

  private toGateway(message: JsonRpcMessage): void {
    if (this.closed) return;
    queueMicrotask(() => this.onmessage?.(message));
  }
}
