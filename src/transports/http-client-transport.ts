/**
 * Streamable HTTP, client side, for a gateway whose upstream is a URL (`--upstream-url`).
 * Each message is POSTed as JSON; the answer comes back as `application/json` or as a
 * `text/event-stream` carrying the answer and any notifications/requests the server sends
 * meanwhile. The session id (`Mcp-Session-Id`) and the negotiated revision
 * (`MCP-Protocol-Version`) go on every later request; 2026-07-28 requests also carry
 * `Mcp-Method` and `Mcp-Name` (a name that is not plain visible ASCII in its Base64 form,
 * `protocol/header-values.ts`; a method that cannot go in a header is refused before anything is
 * sent). Server-initiated messages outside a request arrive on a GET event
 * stream, opened once the revision is known if the server offers one (405 means it does not).
 *
 * Built on node:http with a keep-alive agent. A failed POST of a request becomes a JSON-RPC error
 * answer for that request, so the caller never waits for an answer that cannot come. Bodies and
 * events that are not JSON are described by position and length, never quoted: they may echo
 * tool arguments.
 */
import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import { systemClock } from "../core/clock.js";
import { metaRevision, eraOfRevision } from "../protocol/eras.js";
import { isJsonObject, type JsonObject, type JsonRpcMessage } from "../protocol/messages.js";
import { FrameError, type Transport } from "../protocol/transport.js";
import { INTERNAL_ERROR, errorResponse } from "../protocol/wire-errors.js";
import { SseParser } from "./sse-parser.js";
import { jsonSyntaxError } from "../core/json-text.js";
import { encodeHeaderValue, isPlainHeaderValue } from "../protocol/header-values.js";

export interface HttpClientTransportOptions {
  readonly url: URL;
  /** Extra headers on every request (e.g. `Authorization`). */
  readonly headers?: Record<string, string>;
  /** Largest JSON body or SSE event accepted (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /** How long `close()` waits for the upstream to answer the DELETE that ends its session (real time; default 2000 ms). */
  readonly closeTimeoutMs?: number;
}

export class HttpClientTransport implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private readonly agent: http.Agent;
  private readonly inflight = new Set<ClientRequest>();
  private eventStream: ClientRequest | undefined;
  private eventStreamTried = false;
  private closed = false;
  private readonly maxBytes: number;

  constructor(private readonly options: HttpClientTransportOptions) {
    const Agent = options.url.protocol === "https:" ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
    this.maxBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
  }

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    if (!this.eventStreamTried) this.openEventStream();
  }

  send(message: JsonRpcMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error("transport closed"));
    let body: string;
    try {
      body = JSON.stringify(message);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const headers = this.headers(message);
    headers["content-type"] = "application/json";
    headers.accept = "application/json, text/event-stream";
    headers["content-length"] = String(Buffer.byteLength(body));
    this.post(message, headers, body, true);
    return Promise.resolve();
  }

  private post(message: JsonRpcMessage, headers: Record<string, string>, body: string, mayRetry: boolean): void {
    const req = this.request("POST", headers, (res) => this.postAnswered(message, res));
    req.on("error", (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed while idle fails at once with ECONNRESET, before
      // the server read anything: send once more on a fresh socket (Node's documented pattern).
      if (mayRetry && req.reusedSocket && error.code === "ECONNRESET" && !this.closed) return this.post(message, headers, body, false);
      this.postFailed(message, `cannot reach the upstream at ${this.options.url.origin}: ${error.message}`);
    });
    req.end(body);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const req of this.inflight) req.destroy();
    this.inflight.clear();
    this.eventStream?.destroy();
    if (this.sessionId !== undefined) {
      await new Promise<void>((resolve) => {
        const req = this.request("DELETE", this.headers(undefined), (res) => {
          res.resume();
          done();
        });
        // An upstream that never answers must not keep the gateway from shutting down.
        const timer = systemClock.setTimer(() => req.destroy(), this.options.closeTimeoutMs ?? 2000);
        function done(): void {
          timer.cancel();
          resolve();
        }
        req.on("error", done);
        req.on("close", done);
        req.end();
      });
    }
    this.agent.destroy();
    this.onclose?.();
  }

  private headers(message: JsonRpcMessage | undefined): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers };
    if (this.sessionId !== undefined) headers["mcp-session-id"] = this.sessionId;
    const params = message && "method" in message ? (message.params as JsonObject | undefined) : undefined;
    const revision = metaRevision(params) ?? this.protocolVersion;
    if (revision !== undefined) headers["mcp-protocol-version"] = revision;
    if (message && "method" in message && revision !== undefined && eraOfRevision(revision) === "2026-07-28") {
      // Method names are ASCII words; one that is not cannot be mirrored, so it is not sent at all.
      if (!isPlainHeaderValue(message.method) || message.method === "") throw new Error("the method name cannot be carried in the `Mcp-Method` header (it is not visible ASCII); the request was not sent");
      headers["mcp-method"] = message.method;
      const name = message.method === "resources/read" ? params?.uri : params?.name;
      if (typeof name === "string") headers["mcp-name"] = encodeHeaderValue(name);
    }
    return headers;
  }

  private request(method: string, headers: Record<string, string>, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const url = this.options.url;
    const lib = url.protocol === "https:" ? https : http;
    const req = lib.request(url, { method, headers, agent: this.agent }, (res) => {
      const session = res.headers["mcp-session-id"];
      if (typeof session === "string" && session !== "") this.sessionId = session;
      onResponse(res);
    });
    this.inflight.add(req);
    req.on("close", () => this.inflight.delete(req));
    return req;
  }

  private postAnswered(message: JsonRpcMessage, res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    const type = String(res.headers["content-type"] ?? "");
    if (status === 202 || status === 204) {
      res.resume();
      return;
    }
    if (type.includes("text/event-stream") && status < 300) {
      // A request's stream must carry its answer; a stream that ends or breaks first answers nothing.
      const id = "method" in message && "id" in message ? message.id : undefined;
      let answered = id === undefined;
      this.readEvents(res, (m) => {
        if (!answered && !("method" in m) && (m as { id?: unknown }).id === id) answered = true;
      });
      res.on("close", () => {
        if (!answered) this.postFailed(message, "the upstream's event stream ended before it carried the answer");
      });
      return;
    }
    this.readBody(res, message, (text) => {
      let value: unknown;
      try {
        value = text === "" ? undefined : JSON.parse(text);
      } catch {
        value = undefined;
      }
      const messages = Array.isArray(value) ? value : value === undefined ? [] : [value];
      const jsonRpc = messages.filter((m) => isJsonObject(m) && m.jsonrpc === "2.0");
      if (status >= 300 && jsonRpc.length === 0) {
        this.postFailed(message, `the upstream answered HTTP ${status}${text ? ` with ${text.length} characters that are not a JSON-RPC answer` : ""}`);
        return;
      }
      if (status < 300 && value === undefined && text !== "") {
        this.onerror?.(new FrameError("parse_error", `the upstream sent a body that is ${jsonSyntaxError(text)}`));
        this.postFailed(message, "the upstream answered with a body that is not JSON");
        return;
      }
      for (const m of jsonRpc) this.onmessage?.(status >= 400 ? answerTo(message, m as JsonObject) : (m as JsonRpcMessage));
    });
  }

  /** A POST that produced no answer: a request gets a JSON-RPC error in its place. */
  private postFailed(message: JsonRpcMessage, reason: string): void {
    if (this.closed) return;
    this.onerror?.(new Error(reason));
    if ("method" in message && "id" in message) {
      this.onmessage?.(errorResponse(message.id, INTERNAL_ERROR, reason, { "toolgate/error": "upstream_unreachable" }));
    }
  }

  private readBody(res: IncomingMessage, posted: JsonRpcMessage, done: (text: string) => void): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    res.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > this.maxBytes) {
        res.destroy(new Error(`answer larger than ${this.maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    let ended = false;
    res.on("end", () => {
      ended = true;
      done(Buffer.concat(chunks).toString("utf8"));
    });
    res.on("error", (error) => this.onerror?.(error));
    // Cut off (the upstream died, or the body was too large): no answer will be read from it.
    res.on("close", () => {
      if (!ended) this.postFailed(posted, "the upstream's answer was cut off before it was complete");
    });
  }

  private readEvents(res: IncomingMessage, seen?: (message: JsonRpcMessage) => void): void {
    const parser = new SseParser(this.maxBytes, (event) => {
      if (event.event !== "message" || event.data === "") return;
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        this.onerror?.(new FrameError("parse_error", `the upstream sent an event that is ${jsonSyntaxError(event.data)}`));
        return;
      }
      seen?.(value as JsonRpcMessage);
      this.onmessage?.(value as JsonRpcMessage);
    }, () => this.onerror?.(new FrameError("too_large", `the upstream sent an event larger than ${this.maxBytes} bytes`)));
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => parser.push(chunk));
    res.on("error", (error) => {
      if (!this.closed) this.onerror?.(error);
    });
  }

  private openEventStream(): void {
    if (this.closed) return;
    this.eventStreamTried = true;
    const headers = this.headers(undefined);
    headers.accept = "text/event-stream";
    const req = this.request("GET", headers, (res) => {
      const type = String(res.headers["content-type"] ?? "");
      if ((res.statusCode ?? 0) !== 200 || !type.includes("text/event-stream")) {
        res.resume(); // 405: the server offers no stream of its own; fine
        return;
      }
      this.readEvents(res);
    });
    req.on("error", (error) => {
      if (!this.closed) this.onerror?.(new Error(`event stream: ${error.message}`));
    });
    req.end();
    this.eventStream = req;
  }
}

/**
 * An HTTP error body that refuses a request without naming it (`"id": null`, as 2025-era servers
 * answer a sessionless request) is that request's answer: it gets the request's id, so the caller
 * is answered instead of waiting for its timeout.
 */
function answerTo(posted: JsonRpcMessage, body: JsonObject): JsonRpcMessage {
  if (!("method" in posted) || !("id" in posted) || !isJsonObject(body.error) || (body.id !== null && body.id !== undefined)) return body as unknown as JsonRpcMessage;
  return { ...body, id: posted.id } as unknown as JsonRpcMessage;
}
