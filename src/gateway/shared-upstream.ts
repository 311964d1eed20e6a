/**
 * One upstream connection shared by many gateways (the HTTP front's sessions of one grant): each
 * gateway gets a lane, a `Transport` of its own, and the connection carries every lane's requests
 * under ids of its own, so an answer goes back to the lane that asked, under that lane's id.
 *
 * - Requests: the id becomes a connection-owned number, and a progress token in `_meta` becomes a
 *   connection-owned string, so two lanes may use the same ids and tokens; answers and
 *   `notifications/progress` are routed back by them, and only to that lane.
 * - The handshake is made once for every lane (`shared-handshake.ts`).
 * - Cancellation: a lane's `notifications/cancelled` is sent under the connection's id; a lane that
 *   closes cancels what it still has upstream.
 * - Subscriptions are counted per URI (`shared-subscriptions.ts`).
 * - List changes (`notifications/*\/list_changed`) reach every lane. Any other server notification
 *   (log messages, …) names no request and is dropped: it might carry another session's data.
 * - Server-to-client requests: `ping` is answered here; every other one is refused with -32601
 *   (which is why only sessions that declared no sampling, elicitation or roots share).
 * - The connection closing (the child died) closes every lane; the owner opens a new connection
 *   for the next lane.
 */
import { assertNever, messageOf } from "../core/errors.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import { errorResponse, METHOD_NOT_FOUND } from "../protocol/wire-errors.js";
import { SharedHandshake } from "./shared-handshake.js";
import { Lane, type LaneHost } from "./shared-lane.js";
import { SharedSubscriptions } from "./shared-subscriptions.js";

const DONE: Promise<void> = Promise.resolve();
const TOKEN_PREFIX = "toolgate-share:";

type AnyMessage = JsonRpcMessage & { id?: JsonRpcId | null; method?: string; params?: JsonObject; result?: unknown };

interface Pending {
  /** Undefined for the connection's own requests (an unsubscribe for a lane that left). */
  readonly lane: Lane | undefined;
  readonly id: JsonRpcId;
  readonly method: string;
  readonly token: string | undefined;
}

export interface SharedUpstreamOptions {
  /** The one real connection (a stdio child, a Streamable HTTP client). */
  readonly upstream: Transport;
  readonly log: (line: object) => void;
}

export class SharedUpstream implements LaneHost {
  private readonly lanes = new Set<Lane>();
  private readonly pending = new Map<number, Pending>();
  private readonly tokens = new Map<string, { readonly lane: Lane; readonly token: string | number }>();
  private readonly subscriptions = new SharedSubscriptions();
  private readonly handshake = new SharedHandshake();
  private nextId = 1;
  private nextToken = 1;
  private starting: Promise<void> | undefined;
  private closed = false;
  private protocolVersion: string | undefined;

  constructor(private readonly o: SharedUpstreamOptions) {}

  /** True once the connection has closed; it takes no more lanes. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Lanes open on this connection. */
  get laneCount(): number {
    return this.lanes.size;
  }

  /** Requests of every lane waiting for the upstream's answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A new lane (one gateway's upstream). */
  lane(): Transport {
    if (this.closed) throw new Error("the shared upstream connection has closed");
    const lane = new Lane(this);
    this.lanes.add(lane);
    return lane;
  }

  /** Closes the connection and with it every lane. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.o.upstream.close().catch(() => {});
    this.upstreamClosed();
  }

  // ── lanes → upstream ────────────────────────────────────────────────────────────────────────

  /** @internal */
  startFor(): Promise<void> {
    if (this.starting === undefined) {
      const upstream = this.o.upstream;
      upstream.onmessage = (message) => this.fromUpstream(message as AnyMessage);
      upstream.onerror = (error) => this.o.log({ level: "warn", event: "upstream_frame_error", shared: true, message: error.message });
      upstream.onclose = () => this.upstreamClosed();
      // A connection that could not start takes no more lanes: the owner opens a new one.
      this.starting = upstream.start().catch((error: unknown) => {
        this.upstreamClosed();
        throw error;
      });
    }
    return this.starting;
  }

  /** @internal */
  setProtocolVersion(version: string): void {
    if (this.protocolVersion === undefined) {
      this.protocolVersion = version;
      this.o.upstream.setProtocolVersion?.(version);
    }
  }

  /** @internal */
  fromLane(lane: Lane, message: JsonRpcMessage): Promise<void> {
    if (this.closed || !this.lanes.has(lane)) return Promise.reject(new Error("the shared upstream connection has closed"));
    const m = message as AnyMessage;
    if (m.method === undefined) return DONE; // an answer to a server request: none is ever routed to a lane
    if (m.id === undefined || m.id === null) return this.laneNotification(lane, m);
    const request = m as JsonRpcRequest;
    switch (request.method) {
      case "initialize":
        return this.initialize(lane, request);
      case "resources/subscribe": {
        const uri = request.params?.uri;
        if (typeof uri === "string") this.subscriptions.add(uri, lane);
        return this.forward(lane, request);
      }
      case "resources/unsubscribe": {
        const uri = request.params?.uri;
        // Still held by another lane: answered here.
        if (typeof uri === "string" && !this.subscriptions.remove(uri, lane)) return this.deliver(lane, { jsonrpc: "2.0", id: request.id, result: {} });
        return this.forward(lane, request);
      }
      default:
        return this.forward(lane, request);
    }
  }

  /** @internal The lane's gateway closed it: what it still has upstream is cancelled, its subscriptions dropped. */
  dropLane(lane: Lane): void {
    if (!this.lanes.delete(lane)) return;
    for (const [upstreamId, p] of this.pending) {
      if (p.lane !== lane) continue;
      this.forget(upstreamId, p);
      this.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: upstreamId, reason: "toolgate: the session ended" } });
    }
    for (const uri of this.subscriptions.dropLane(lane)) {
      if (this.closed) continue;
      const upstreamId = this.nextId++;
      this.pending.set(upstreamId, { lane: undefined, id: upstreamId, method: "resources/unsubscribe", token: undefined });
      this.send({ jsonrpc: "2.0", id: upstreamId, method: "resources/unsubscribe", params: { uri } });
    }
  }

  private laneNotification(lane: Lane, m: AnyMessage): Promise<void> {
    switch (m.method) {
      case "notifications/initialized":
        return this.handshake.firstInitialized() ? this.o.upstream.send(m) : DONE;
      case "notifications/cancelled": {
        const requestId = m.params?.requestId;
        const upstreamId = typeof requestId === "string" || typeof requestId === "number" ? lane.upstreamIds.get(requestId) : undefined;
        if (upstreamId === undefined) return DONE;
        const p = this.pending.get(upstreamId);
        if (p) this.forget(upstreamId, p);
        return this.o.upstream.send({ ...m, params: { ...m.params, requestId: upstreamId } } as JsonRpcMessage);
      }
      case "notifications/progress": // progress of a server request: none is routed to a lane
      case "notifications/roots/list_changed": // the shared connection declares no roots
        return DONE;
      default:
        return this.o.upstream.send(m);
    }
  }

  private initialize(lane: Lane, request: JsonRpcRequest): Promise<void> {
    const step = this.handshake.open(lane, request);
    switch (step.kind) {
      case "answer":
        return this.deliver(lane, { jsonrpc: "2.0", id: request.id, result: step.result });
      case "wait":
        return DONE;
      case "send":
        return this.forward(lane, step.request);
      default:
        return assertNever(step, "handshake step");
    }
  }

  private forward(lane: Lane, request: JsonRpcRequest): Promise<void> {
    const upstreamId = this.nextId++;
    let params = request.params;
    let token: string | undefined;
    const meta = isJsonObject(params) && isJsonObject(params._meta) ? params._meta : undefined;
    const callerToken = meta?.progressToken;
    if (typeof callerToken === "string" || typeof callerToken === "number") {
      token = `${TOKEN_PREFIX}${this.nextToken++}`;
      this.tokens.set(token, { lane, token: callerToken });
      params = { ...params, _meta: { ...meta, progressToken: token } };
    }
    this.pending.set(upstreamId, { lane, id: request.id, method: request.method, token });
    lane.upstreamIds.set(request.id, upstreamId);
    const sent = params === undefined ? { ...request, id: upstreamId } : { ...request, id: upstreamId, params };
    let sending: Promise<void>;
    try {
      sending = this.o.upstream.send(sent);
    } catch (error) {
      sending = Promise.reject(error); // a transport that throws has not sent it either
    }
    return sending.catch((error: unknown) => {
      const p = this.pending.get(upstreamId);
      if (p) this.forget(upstreamId, p);
      if (request.method === "initialize") this.handshakeFailed();
      throw error;
    });
  }

  // ── upstream → lanes ────────────────────────────────────────────────────────────────────────

  private fromUpstream(m: AnyMessage): void {
    if (!isJsonObject(m)) return;
    if (m.method === undefined) return this.answer(m);
    if (m.id !== undefined && m.id !== null) return this.serverRequest(m.method, m.id);
    const params = m.params;
    if (m.method === "notifications/progress") {
      const token = params?.progressToken;
      const route = typeof token === "string" ? this.tokens.get(token) : undefined;
      if (route) void this.deliver(route.lane, { ...m, params: { ...params, progressToken: route.token } } as JsonRpcMessage);
      return;
    }
    if (m.method.endsWith("/list_changed")) {
      for (const lane of this.lanes) void this.deliver(lane, m);
      return;
    }
    if (m.method === "notifications/resources/updated") {
      const uri = params?.uri;
      if (typeof uri === "string") for (const lane of this.subscriptions.holders(uri)) void this.deliver(lane, m);
      return;
    }
    this.o.log({ level: "debug", event: "shared_notification_dropped", method: m.method, message: "a server notification on a shared upstream connection names no session; dropped" });
  }

  private answer(m: AnyMessage): void {
    const upstreamId = m.id;
    const p = typeof upstreamId === "number" ? this.pending.get(upstreamId) : undefined;
    if (p === undefined) {
      this.o.log({ level: "warn", event: "unknown_response_id", side: "upstream", shared: true, id: upstreamId, message: "dropped a response whose id answers no pending request" });
      return;
    }
    this.forget(upstreamId as number, p);
    if (p.lane === undefined) return;
    void this.deliver(p.lane, { ...m, id: p.id } as JsonRpcMessage);
    if (p.method !== "initialize") return;
    if (!this.handshake.answered(m.result)) return this.handshakeFailed();
    for (const w of this.handshake.takeWaiting()) void this.initialize(w.lane, w.request);
  }

  /** The handshake was refused (or not sent): the next waiting lane sends its own. */
  private handshakeFailed(): void {
    for (const w of this.handshake.takeWaiting()) if (this.lanes.has(w.lane)) void this.fromLane(w.lane, w.request).catch(() => {});
  }

  private serverRequest(method: string, id: JsonRpcId): void {
    if (method === "ping") return this.send({ jsonrpc: "2.0", id, result: {} });
    this.o.log({ level: "warn", event: "shared_server_request_refused", method, message: `refused the server's \`${method}\` request: this upstream connection is shared by several sessions, so there is no one client to ask` });
    this.send(errorResponse(id, METHOD_NOT_FOUND, `toolgate shares this connection among several MCP sessions and routes no server-to-client requests (\`${method}\`); run it with --upstream-sharing per-session`));
  }

  private forget(upstreamId: number, p: Pending): void {
    this.pending.delete(upstreamId);
    if (p.lane && p.lane.upstreamIds.get(p.id) === upstreamId) p.lane.upstreamIds.delete(p.id);
    if (p.token !== undefined) this.tokens.delete(p.token);
  }

  private deliver(lane: Lane, message: JsonRpcMessage): Promise<void> {
    if (this.lanes.has(lane)) queueMicrotask(() => lane.onmessage?.(message));
    return DONE;
  }

  private send(message: JsonRpcMessage): void {
    if (this.closed) return;
    this.o.upstream.send(message).catch((error: unknown) => this.o.log({ level: "warn", event: "upstream_send_failed", shared: true, message: messageOf(error) }));
  }

  private upstreamClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const lanes = [...this.lanes];
    this.lanes.clear();
    this.pending.clear();
    this.tokens.clear();
    this.subscriptions.clear();
    this.handshake.takeWaiting(); // the lanes that waited for it close with the rest
    if (lanes.length > 0) this.o.log({ level: "error", event: "shared_upstream_closed", lanes: lanes.length, message: `the shared upstream connection closed under ${lanes.length} session(s)` });
    for (const lane of lanes) lane.onclose?.();
  }
}
