/**
 * The downstream end of one gateway instance on the HTTP front: a `Transport` whose `send` writes
 * to the HTTP responses waiting for it. A 2025-era MCP session (`Mcp-Session-Id`) has one; the
 * 2026-07-28 stateless requests of one grant share one (`stateless`), with request ids rewritten
 * so that callers cannot collide.
 *
 * Where a message from the gateway goes:
 * - a response: the POST exchange that carried the request, as `application/json` when the
 *   client accepts it and nothing else was sent on that exchange, else as an SSE event;
 * - `notifications/progress`: the exchange whose request carried that progress token (the
 *   exchange switches to SSE), else the GET stream;
 * - any other server-initiated message (sampling, elicitation, logging, list changes): the newest
 *   exchange still open that accepts SSE, else the session's GET stream, else a short queue that
 *   the next GET stream receives. A stdio upstream does not say which request a message belongs
 *   to; the newest open request is the likeliest. Stateless channels drop these (2026-07-28 has no
 *   server-to-client requests on the wire, and their callers are unrelated).
 */
import type { ServerResponse } from "node:http";
import type { OutgoingHttpHeaders } from "node:http";
import { isJsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcRequest } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { errorResponse, INTERNAL_ERROR, INVALID_REQUEST } from "../../protocol/wire-errors.js";
import type { Caller } from "../caller.js";
import type { Gateway } from "../gateway.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { Exchange } from "./exchange.js";
import { rateLimitFields } from "./rate-limit-headers.js";

const DONE: Promise<void> = Promise.resolve();
/** Server-initiated messages kept for a GET stream that is not open yet. */
export const MAX_QUEUED_MESSAGES = 100;

const JSON_HEADERS = "application/json";
const SSE_HEADERS: OutgoingHttpHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", connection: "keep-alive" };

export interface HttpSessionOptions {
  /** The MCP session id (2025 era); undefined for a stateless channel. */
  readonly id: string | undefined;
  readonly grantId: string;
  /** Who may use this downstream when that is more than the grant (`session-registry.ts`). */
  readonly owner?: string;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly nowMs: () => number;
}

export class HttpSession implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  gateway: Gateway | undefined;
  /**
   * The caller of the message being handed to the gateway: the front sets it just before
   * `request`/`deliver`, which hand the message over synchronously, so the gateway reads each
   * request's own caller even when several share this downstream.
   */
  caller: Caller | undefined;
  lastUsedMs: number;
  private readonly pending = new Map<JsonRpcId, Exchange>();
  private readonly progress = new Map<string | number, Exchange>();
  private stream: ServerResponse | undefined;
  private queued: JsonRpcMessage[] = [];
  private nextId = 1;
  private closed = false;
  private readonly stateless: boolean;

  constructor(readonly options: HttpSessionOptions) {
    this.stateless = options.id === undefined;
    this.lastUsedMs = options.nowMs();
  }

  get id(): string | undefined {
    return this.options.id;
  }

  get grantId(): string {
    return this.options.grantId;
  }

  get owner(): string {
    return this.options.owner ?? this.options.grantId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Requests waiting for an answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  get hasStream(): boolean {
    return this.stream !== undefined;
  }

  async start(): Promise<void> {}

  // ── from the client ─────────────────────────────────────────────────────────────────────────

  /** A request from a POST: registered, then handed to the gateway; answered through `send`. */
  request(request: JsonRpcRequest, exchange: Exchange): void {
    if (this.closed) {
      return writeJson(exchange, errorResponse(exchange.callerId, INTERNAL_ERROR, "the MCP session ended (its upstream went away); send initialize again"), undefined);
    }
    let key: JsonRpcId = request.id;
    if (this.stateless) {
      key = this.nextId++;
      request.id = key;
    } else if (this.pending.has(key)) {
      return writeJson(exchange, errorResponse(exchange.callerId, INVALID_REQUEST, `invalid request: id ${JSON.stringify(exchange.callerId)} is already in use by a request in flight`), undefined);
    }
    this.pending.set(key, exchange);
    if (exchange.progressToken !== undefined) this.progress.set(exchange.progressToken, exchange);
    if (exchange.isCall) this.options.metrics.callStarted();
    exchange.res.once("close", () => {
      if (exchange.done) return;
      // The client went away first; its answer, if any, is dropped (not a cancellation: spec).
      this.forget(key, exchange);
    });
    this.onmessage?.(request);
  }

  /** A notification or a response from a POST (answered 202 by the front). */
  deliver(message: JsonRpcMessage): void {
    if (this.stateless && "method" in message && message.method === "notifications/cancelled") {
      // Ids were rewritten and callers share this channel: a caller's request id names nothing here.
      this.options.log.line({ level: "debug", event: "cancel_dropped", message: "a stateless caller's cancellation cannot be matched to its request; dropped" });
      return;
    }
    if (!this.stateless && "method" in message && message.method === "notifications/cancelled" && isJsonObject(message.params)) {
      const id = message.params.requestId;
      this.onmessage?.(message);
      if (typeof id === "string" || typeof id === "number") {
        const exchange = this.pending.get(id);
        if (exchange) {
          this.forget(id, exchange);
          end(exchange, 202);
        }
      }
      return;
    }
    this.onmessage?.(message);
  }

  /** The GET stream: false when one is open already (the front answers 409). */
  openStream(res: ServerResponse): boolean {
    if (this.stream !== undefined || this.closed) return false;
    this.stream = res;
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    res.once("close", () => {
      if (this.stream === res) this.stream = undefined;
    });
    const queued = this.queued;
    this.queued = [];
    for (const message of queued) writeEvent(res, message);
    return true;
  }

  // ── to the client (the gateway calls send) ──────────────────────────────────────────────────

  send(message: JsonRpcMessage): Promise<void> {
    if ("method" in message) {
      this.serverMessage(message);
      return DONE;
    }
    const id = message.id;
    const exchange = id === undefined || id === null ? undefined : this.pending.get(id);
    if (exchange === undefined) {
      this.options.log.line({ level: "debug", event: "answer_dropped", session: this.options.id, message: "dropped an answer whose HTTP request is gone" });
      return DONE;
    }
    this.forget(id!, exchange);
    if (this.stateless) (message as { id: JsonRpcId }).id = exchange.callerId;
    if (exchange.sse) {
      writeEvent(exchange.res, message);
      exchange.res.end();
    } else if (exchange.acceptsJson) {
      writeJson(exchange, message, rateLimitFields(message));
    } else {
      const fields = rateLimitFields(message);
      exchange.res.writeHead(200, fields ? { ...SSE_HEADERS, ...exchange.headers, ...fields } : exchange.headers ? { ...SSE_HEADERS, ...exchange.headers } : SSE_HEADERS);
      writeEvent(exchange.res, message);
      exchange.res.end();
    }
    return DONE;
  }

  private serverMessage(message: JsonRpcMessage & { method: string }): void {
    const params = (message as { params?: unknown }).params;
    if (message.method === "notifications/progress") {
      const token = isJsonObject(params) ? params.progressToken : undefined;
      const exchange = typeof token === "string" || typeof token === "number" ? this.progress.get(token) : undefined;
      if (exchange && exchange.acceptsSse) return this.onExchange(exchange, message);
      if (this.stream && !this.stateless) writeEvent(this.stream, message);
      return;
    }
    if (this.stateless) {
      this.options.log.line({ level: "warn", event: "server_message_dropped", method: message.method, message: "a server-initiated message on the stateless channel has no caller to go to; dropped" });
      return;
    }
    let newest: Exchange | undefined;
    for (const exchange of this.pending.values()) if (exchange.acceptsSse) newest = exchange;
    if (newest) return this.onExchange(newest, message);
    if (this.stream) return writeEvent(this.stream, message);
    if (this.queued.length >= MAX_QUEUED_MESSAGES) this.queued.shift();
    this.queued.push(message);
  }

  private onExchange(exchange: Exchange, message: JsonRpcMessage): void {
    if (!exchange.sse) {
      exchange.sse = true;
      exchange.res.writeHead(200, exchange.headers ? { ...SSE_HEADERS, ...exchange.headers } : SSE_HEADERS);
    }
    writeEvent(exchange.res, message);
  }

  private forget(key: JsonRpcId, exchange: Exchange): void {
    exchange.done = true;
    if (this.pending.get(key) === exchange) this.pending.delete(key);
    if (exchange.progressToken !== undefined && this.progress.get(exchange.progressToken) === exchange) this.progress.delete(exchange.progressToken);
    if (exchange.isCall) this.options.metrics.callFinished();
  }

  /** Ends every open exchange (with an error answer) and the GET stream; fires `onclose` once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [key, exchange] of [...this.pending]) {
      this.forget(key, exchange);
      const answer = errorResponse(exchange.callerId, INTERNAL_ERROR, "the MCP session ended before this request was answered");
      if (exchange.sse) {
        writeEvent(exchange.res, answer);
        exchange.res.end();
      } else if (!exchange.res.headersSent) writeJson(exchange, answer, undefined);
      else exchange.res.end();
    }
    this.progress.clear();
    this.stream?.end();
    this.stream = undefined;
    this.queued = [];
    this.onclose?.();
  }
}

function writeEvent(res: ServerResponse, message: JsonRpcMessage): void {
  res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
}

function writeJson(exchange: Exchange, message: JsonRpcMessage, fields: object | undefined): void {
  exchange.done = true;
  const body = JSON.stringify(message);
  const res = exchange.res;
  if (fields === undefined && exchange.headers === undefined) {
    res.writeHead(200, ["content-type", JSON_HEADERS, "content-length", String(Buffer.byteLength(body))]);
  } else {
    res.writeHead(200, { "content-type": JSON_HEADERS, "content-length": String(Buffer.byteLength(body)), ...exchange.headers, ...fields });
  }
  res.end(body);
}

function end(exchange: Exchange, status: number): void {
  if (exchange.res.headersSent) exchange.res.end();
  else {
    exchange.res.writeHead(status);
    exchange.res.end();
  }
}
