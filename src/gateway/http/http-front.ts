/**
 * The Streamable HTTP front (`toolgate serve --listen`): a lean node:http server for `/mcp`,
 * `/metrics` and `/health`. Per request, in order: Origin (and, on a loopback listener without
 * grants, Host) against DNS rebinding → 403; bearer token → grant, else 401 with
 * `WWW-Authenticate: Bearer` before any MCP handling; then the MCP transport rules of 2025-11-25
 * (sessions) and 2026-07-28 (stateless requests).
 *
 * Session model: each 2025-era MCP session (`initialize` → `Mcp-Session-Id`) gets its own gateway
 * instance with its own upstream connection (a child process for `--upstream-cmd`, an upstream
 * HTTP session for `--upstream-url`), so server-to-client requests reach the right agent and
 * `scope: "session"` means that MCP session. 2026-07-28 requests without a session share one
 * gateway per grant (its upstream is probed once with `server/discover`; the gateway's era bridge
 * answers that probe from one upstream 2025-era session when the upstream speaks only 2025, see
 * `../bridge/era-bridge.ts`). Every gateway shares the one counter store, so `grant` and `global`
 * counters span sessions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomHex, type Clock } from "../../core/clock.js";
import { eraMeta, eraOfRevision, metaRevision, MODERN_REVISION, CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from "../../protocol/eras.js";
import { classifyFrame, isJsonObject, type JsonObject, type JsonRpcMessage, type JsonRpcRequest } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { errorResponse, HEADER_MISMATCH, INVALID_REQUEST, PARSE_ERROR, SERVER_ERROR as ERROR, SESSION_NOT_FOUND } from "../../protocol/wire-errors.js";
import type { Gateway } from "../gateway.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { HttpSession, type Exchange } from "./http-session.js";
import { hostnameOfHost, isLoopbackHostname, KNOWN_REVISIONS, originAllowed, parseAccept } from "./request-checks.js";
import { messageOf } from "../../core/errors.js";

export type AuthOutcome = { readonly kind: "ok"; readonly grantId: string } | { readonly kind: "missing" | "malformed" | "invalid" };

export interface OpenGatewayRequest {
  readonly grantId: string;
  /** Scope key for `scope: "session"`: the MCP session id, or `stateless:<grant>`. */
  readonly sessionKey: string;
  readonly downstream: Transport;
}

export interface HttpFrontOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Extra allowed `Origin` values (exact `scheme://host[:port]`, or `*`); loopback origins always pass. */
  readonly allowedOrigins: readonly string[];
  /** Reject a non-loopback `Host` (a loopback listener without grants). */
  readonly checkHost: boolean;
  readonly authenticate: (authorization: string | undefined) => AuthOutcome;
  readonly openGateway: (request: OpenGatewayRequest) => Gateway;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly clock: Clock;
  readonly maxSessions?: number;
  /** Sessions idle this long (no request, no GET stream, nothing in flight) are closed. */
  readonly sessionIdleMs?: number;
  /** How long `close()` waits for calls in flight before closing anyway (real time). */
  readonly drainTimeoutMs?: number;
}

export interface HttpFront {
  /** e.g. `http://127.0.0.1:8080/mcp` */
  readonly url: string;
  readonly port: number;
  sessionCount(): number;
  /** Every live gateway (sessions and stateless channels), e.g. to hand them a reloaded policy. */
  gateways(): Array<{ readonly grantId: string; readonly gateway: Gateway }>;
  /** Graceful: stop accepting, finish calls in flight (bounded), close sessions and upstreams. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SESSIONS = 1000;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const SWEEP_EVERY_MS = 60_000;
const PROBE_ID = "toolgate:discover";


/** Why a channel cannot serve: the upstream speaks no 2026-07-28 (kept), or could not be asked (not kept: the next request probes again). */
type ChannelRefusal = { readonly kind: "mismatch" | "unavailable"; readonly reason: string };
type Channel = { state: "probing" | "ready"; session: HttpSession; ready: Promise<ChannelRefusal | undefined> } | { state: "mismatch"; reason: string };

export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  const front = new Front(options);
  return front.listen();
}

class Front {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly channels = new Map<string, Channel>();
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly server: Server;
  private draining = false;
  private closing: Promise<void> | undefined;
  private sweepTimer: { cancel(): void } | undefined;

  constructor(private readonly o: HttpFrontOptions) {
    this.allowedOrigins = new Set(o.allowedOrigins);
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.handle(req, res));
    o.metrics.setSessions(() => this.sessions.size);
  }

  async listen(): Promise<HttpFront> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.o.port, this.o.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    const host = this.o.host.includes(":") ? `[${this.o.host}]` : this.o.host;
    this.armSweep();
    return {
      url: `http://${host}:${port}/mcp`,
      port,
      sessionCount: () => this.sessions.size,
      gateways: () => this.gateways(),
      close: () => this.close(),
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const h = req.headers;
    if (!originAllowed(h.origin, this.allowedOrigins)) {
      this.o.log.warn("rejected a request from a disallowed Origin", { event: "origin_rejected", origin: h.origin });
      return httpError(res, 403, ERROR, `forbidden: Origin \`${h.origin}\` is not allowed; allowed are loopback origins and --allowed-origins`);
    }
    if (this.o.checkHost && !isLoopbackHostname(hostnameOfHost(h.host ?? ""))) {
      this.o.log.warn("rejected a request for a non-loopback Host", { event: "host_rejected", host: h.host });
      return httpError(res, 403, ERROR, `forbidden: Host \`${h.host ?? ""}\` is not a loopback name; this gateway listens on loopback only`);
    }
    if (path === "/mcp") return this.mcp(req, res);
    if (path === "/metrics" && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(this.o.metrics.render());
      return;
    }
    if (path === "/health" && req.method === "GET") {
      const body = JSON.stringify({ status: this.draining ? "draining" : "ok", sessions: this.sessions.size, callsInFlight: this.o.metrics.callsInFlight });
      res.writeHead(this.draining ? 503 : 200, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    httpError(res, 404, ERROR, `not found: \`${path}\`; the MCP endpoint is /mcp (also /metrics, /health)`);
  }

  private mcp(req: IncomingMessage, res: ServerResponse): void {
    const auth = this.o.authenticate(req.headers.authorization);
    if (auth.kind !== "ok") return this.unauthorized(req, res, auth.kind);
    switch (req.method) {
      case "POST":
        return this.post(req, res, auth.grantId);
      case "GET":
        return this.get(req, res, auth.grantId);
      case "DELETE":
        return void this.remove(req, res, auth.grantId);
      default:
        res.setHeader("allow", "GET, POST, DELETE");
        return httpError(res, 405, ERROR, `method not allowed: \`${req.method}\`; /mcp takes POST, GET and DELETE`);
    }
  }

  private unauthorized(req: IncomingMessage, res: ServerResponse, kind: "missing" | "malformed" | "invalid"): void {
    const challenge = kind === "missing" ? 'Bearer realm="toolgate"' : 'Bearer realm="toolgate", error="invalid_token"';
    const message =
      kind === "missing"
        ? "unauthorized: send `Authorization: Bearer <token>`"
        : kind === "malformed"
          ? "unauthorized: the Authorization header is not `Bearer <token>`"
          : "unauthorized: the bearer token matches no grant";
    this.o.log.warn("rejected a request without a valid bearer token", { event: "unauthorized", reason: kind, remote: req.socket.remoteAddress });
    res.setHeader("www-authenticate", challenge);
    httpError(res, 401, ERROR, message);
  }

  // ── POST ────────────────────────────────────────────────────────────────────────────────────

  private post(req: IncomingMessage, res: ServerResponse, grantId: string): void {
    const h = req.headers;
    const type = h["content-type"];
    if (type === undefined || !type.includes("application/json")) {
      req.resume();
      return httpError(res, 415, ERROR, `unsupported media type: expected \`Content-Type: application/json\`, found \`${type ?? "nothing"}\``);
    }
    const max = this.o.maxBodyBytes;
    const declared = h["content-length"];
    if (declared !== undefined && Number(declared) > max) return this.tooLarge(req, res);
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let over = false;
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > max) {
        over = true;
        first = undefined;
        chunks = undefined;
        return this.tooLarge(req, res);
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on("end", () => {
      if (over) return;
      const text = chunks ? Buffer.concat(chunks).toString("utf8") : first ? first.toString("utf8") : "";
      this.message(req, res, grantId, text);
    });
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    req.resume(); // discard the rest; the connection closes after the answer
    res.setHeader("connection", "close");
    httpError(res, 413, INVALID_REQUEST, `payload too large: a request body may have at most ${this.o.maxBodyBytes} bytes (--max-body-bytes)`);
  }

  private message(req: IncomingMessage, res: ServerResponse, grantId: string, text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return httpError(res, 400, PARSE_ERROR, `parse error: ${messageOf(error)}`);
    }
    if (Array.isArray(value)) return httpError(res, 400, INVALID_REQUEST, "invalid request: batches (JSON arrays) are not supported; send one message per POST");
    const frame = classifyFrame(value);
    if (frame.kind === "invalid") return writeJsonError(res, 400, errorResponse(frame.id, INVALID_REQUEST, `invalid request: ${frame.reason}`));
    const h = req.headers;
    const version = h["mcp-protocol-version"];
    if (typeof version === "string" && !KNOWN_REVISIONS.has(version)) {
      return httpError(res, 400, ERROR, `bad request: unsupported MCP-Protocol-Version \`${version}\`; expected one of ${[...KNOWN_REVISIONS].join(", ")}`);
    }
    if (frame.kind === "request" && this.draining) {
      res.setHeader("connection", "close");
      return httpError(res, 503, ERROR, "service unavailable: the gateway is shutting down");
    }
    const sid = h["mcp-session-id"];
    if (typeof sid === "string") {
      const session = this.sessions.get(sid);
      if (session === undefined || session.grantId !== grantId || session.isClosed) {
        return httpError(res, 404, SESSION_NOT_FOUND, `session not found: \`${sid}\` is unknown or has ended; send initialize again`);
      }
      session.lastUsedMs = this.o.clock.nowMs();
      if (frame.kind !== "request") {
        session.deliver(frame.message);
        return accepted(res);
      }
      return this.toSession(session, frame.message, req, res, undefined);
    }
    if (frame.kind === "request" && frame.message.method === "initialize") return void this.initialize(frame.message, req, res, grantId);
    const message = frame.message;
    const modern = (typeof version === "string" && eraOfRevision(version) === MODERN_REVISION) || ("method" in message && (message.method === "server/discover" || eraOfRevision(metaRevision(message.params) ?? "") === MODERN_REVISION));
    if (modern) return void this.stateless(message, req, res, grantId);
    httpError(res, 400, ERROR, "bad request: the `Mcp-Session-Id` header is required; send initialize first (or a 2026-07-28 request with `MCP-Protocol-Version: 2026-07-28`)");
  }

  private toSession(session: HttpSession, request: JsonRpcRequest, req: IncomingMessage, res: ServerResponse, headers: Exchange["headers"]): void {
    const accept = parseAccept(req.headers.accept);
    if (!accept.json && !accept.sse) {
      return httpError(res, 406, ERROR, "not acceptable: the client must accept `application/json` or `text/event-stream`");
    }
    const meta = request.params?._meta;
    const token = isJsonObject(meta) ? meta.progressToken : undefined;
    session.request(request, {
      res,
      callerId: request.id,
      acceptsJson: accept.json,
      acceptsSse: accept.sse,
      progressToken: typeof token === "string" || typeof token === "number" ? token : undefined,
      isCall: request.method === "tools/call",
      headers,
      sse: false,
      done: false,
    });
  }

  private async initialize(request: JsonRpcRequest, req: IncomingMessage, res: ServerResponse, grantId: string): Promise<void> {
    if (this.sessions.size >= (this.o.maxSessions ?? DEFAULT_MAX_SESSIONS)) {
      return httpError(res, 503, ERROR, `service unavailable: ${this.sessions.size} sessions are open, the most this gateway allows (--max-sessions)`);
    }
    const id = randomHex(16);
    const session = new HttpSession({ id, grantId, metrics: this.o.metrics, log: this.o.log, nowMs: () => this.o.clock.nowMs() });
    let gateway: Gateway;
    try {
      gateway = this.o.openGateway({ grantId, sessionKey: id, downstream: session });
      session.gateway = gateway;
      this.sessions.set(id, session);
      void gateway.closed.then((closed) => {
        this.sessions.delete(id);
        this.o.log.info("session closed", { event: "session_closed", session: id, grant: grantId, reason: closed.reason });
      });
      await gateway.start();
    } catch (error) {
      this.sessions.delete(id);
      this.o.log.error("could not open the upstream for a new session", { event: "session_failed", grant: grantId, error: messageOf(error) });
      return httpError(res, 502, ERROR, `bad gateway: could not open the upstream MCP server: ${messageOf(error)}`);
    }
    this.o.log.info("session opened", { event: "session_opened", session: id, grant: grantId });
    this.toSession(session, request, req, res, { "mcp-session-id": id });
  }

  // ── 2026-07-28 stateless ────────────────────────────────────────────────────────────────────

  private async stateless(message: JsonRpcMessage, req: IncomingMessage, res: ServerResponse, grantId: string): Promise<void> {
    if (!("method" in message)) return httpError(res, 400, ERROR, "bad request: a response without a session answers nothing (2026-07-28 has no server-to-client requests)");
    const problem = headerMismatch(req, message as JsonRpcRequest);
    if (problem !== undefined) return writeJsonError(res, 400, errorResponse("id" in message ? (message as JsonRpcRequest).id : null, HEADER_MISMATCH, problem));
    let channel = this.channels.get(grantId);
    if (channel === undefined) channel = this.openChannel(grantId, message as JsonRpcRequest);
    if (channel.state === "probing") {
      const refusal = await channel.ready;
      if (refusal?.kind === "unavailable") return writeJsonError(res, 502, errorResponse("id" in message ? (message as JsonRpcRequest).id : null, ERROR, refusal.reason, { "toolgate/error": "upstream_unavailable" }));
      if (refusal !== undefined) channel = { state: "mismatch", reason: refusal.reason };
      else channel = this.channels.get(grantId) ?? channel;
    }
    if (channel.state === "mismatch") {
      const id = "id" in message ? (message as JsonRpcRequest).id : null;
      return writeJsonError(res, 400, errorResponse(id, INVALID_REQUEST, channel.reason, { "toolgate/error": "era_mismatch" }));
    }
    if (channel.state !== "ready" || channel.session.isClosed) return httpError(res, 502, ERROR, "bad gateway: the upstream MCP server went away; try again");
    if (!("id" in message)) {
      channel.session.deliver(message);
      return accepted(res);
    }
    this.toSession(channel.session, message as JsonRpcRequest, req, res, undefined);
  }

  private openChannel(grantId: string, first: JsonRpcRequest): Channel {
    const session = new HttpSession({ id: undefined, grantId, metrics: this.o.metrics, log: this.o.log, nowMs: () => this.o.clock.nowMs() });
    const channel: Channel = { state: "probing", session, ready: Promise.resolve(undefined) };
    this.channels.set(grantId, channel);
    channel.ready = (async (): Promise<ChannelRefusal | undefined> => {
      let gateway: Gateway;
      try {
        gateway = this.o.openGateway({ grantId, sessionKey: `stateless:${grantId}`, downstream: session });
        session.gateway = gateway;
        void gateway.closed.then(() => {
          if (this.channels.get(grantId) === channel) this.channels.delete(grantId);
        });
        await gateway.start();
      } catch (error) {
        this.channels.delete(grantId);
        return { kind: "unavailable", reason: `toolgate could not open the upstream MCP server: ${messageOf(error)}` };
      }
      const meta: JsonObject = {
        [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
        [CLIENT_INFO_META_KEY]: { name: "toolgate", version: "0.1.0" },
        [CLIENT_CAPABILITIES_META_KEY]: {},
        ...eraMeta(first.params),
      };
      const answer = await session.ask({ jsonrpc: "2.0", id: PROBE_ID, method: "server/discover", params: { _meta: meta } });
      const result = (answer as { result?: unknown }).result;
      const failure = (answer as { error?: { message?: unknown } }).error;
      if (failure !== undefined) {
        // No answer to judge the upstream's era by (it failed, timed out or went away): refuse this
        // request only; the next one opens a new connection and asks again.
        if (this.channels.get(grantId) === channel) this.channels.delete(grantId);
        void gateway.close();
        const reason = `bad gateway: the upstream MCP server did not answer \`server/discover\`: ${typeof failure.message === "string" ? failure.message : "no message"}; try again`;
        this.o.log.warn("the stateless channel's probe failed; the next request probes again", { event: "stateless_probe_failed", grant: grantId, message: reason });
        return { kind: "unavailable", reason };
      }
      const versions = isJsonObject(result) && Array.isArray(result.supportedVersions) ? result.supportedVersions.filter((v): v is string => typeof v === "string") : [];
      if (versions.some((v) => eraOfRevision(v) === MODERN_REVISION)) {
        (channel as { state: string }).state = "ready";
        this.o.log.info("stateless channel ready", { event: "stateless_ready", grant: grantId, upstreamVersions: versions });
        return undefined;
      }
      const reason = `this request speaks MCP ${MODERN_REVISION} without a session, but the upstream MCP server answered neither ${MODERN_REVISION} \`server/discover\` nor a 2025-era \`initialize\` (server/discover ${versions.length > 0 ? `lists ${versions.join(", ")}` : "failed"}); connect with a 2025-era client (initialize, then Mcp-Session-Id)`;
      this.channels.set(grantId, { state: "mismatch", reason });
      this.o.log.warn("the upstream does not speak 2026-07-28; stateless requests are refused", { event: "era_mismatch", grant: grantId, upstreamVersions: versions });
      void gateway.close();
      return { kind: "mismatch", reason };
    })();
    return channel;
  }

  // ── GET and DELETE ──────────────────────────────────────────────────────────────────────────

  private get(req: IncomingMessage, res: ServerResponse, grantId: string): void {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string") {
      res.setHeader("allow", "POST, DELETE");
      return httpError(res, 405, ERROR, "method not allowed: GET opens a session's event stream; send `Mcp-Session-Id` (no stream is offered without a session)");
    }
    const session = this.sessions.get(sid);
    if (session === undefined || session.grantId !== grantId || session.isClosed) return httpError(res, 404, SESSION_NOT_FOUND, `session not found: \`${sid}\` is unknown or has ended`);
    if (!parseAccept(req.headers.accept).sse) return httpError(res, 406, ERROR, "not acceptable: a GET stream needs `Accept: text/event-stream`");
    if (this.draining) return httpError(res, 503, ERROR, "service unavailable: the gateway is shutting down");
    session.lastUsedMs = this.o.clock.nowMs();
    if (!session.openStream(res)) return httpError(res, 409, ERROR, "conflict: this session's event stream is already open");
  }

  private async remove(req: IncomingMessage, res: ServerResponse, grantId: string): Promise<void> {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string") return httpError(res, 400, ERROR, "bad request: DELETE ends a session; send its `Mcp-Session-Id`");
    const session = this.sessions.get(sid);
    if (session === undefined || session.grantId !== grantId || session.isClosed) return httpError(res, 404, SESSION_NOT_FOUND, `session not found: \`${sid}\` is unknown or has ended`);
    this.sessions.delete(sid);
    await session.gateway?.close();
    res.writeHead(200);
    res.end();
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────

  private gateways(): Array<{ grantId: string; gateway: Gateway }> {
    const out: Array<{ grantId: string; gateway: Gateway }> = [];
    for (const s of this.sessions.values()) if (s.gateway) out.push({ grantId: s.grantId, gateway: s.gateway });
    for (const c of this.channels.values()) if (c.state !== "mismatch" && c.session.gateway) out.push({ grantId: c.session.grantId, gateway: c.session.gateway });
    return out;
  }

  private inFlight(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.inFlight;
    for (const c of this.channels.values()) if (c.state !== "mismatch") n += c.session.inFlight;
    return n;
  }

  private armSweep(): void {
    const idleMs = this.o.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.sweepTimer = this.o.clock.setTimer(() => {
      const now = this.o.clock.nowMs();
      for (const [id, s] of this.sessions) {
        if (s.inFlight === 0 && !s.hasStream && now - s.lastUsedMs >= idleMs) {
          this.sessions.delete(id);
          this.o.log.info("closing an idle session", { event: "session_idle", session: id, grant: s.grantId });
          void s.gateway?.close();
        }
      }
      if (!this.draining) this.armSweep();
    }, Math.min(SWEEP_EVERY_MS, idleMs));
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      this.draining = true;
      this.sweepTimer?.cancel();
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      const waitMs = this.o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
      const pending = this.inFlight();
      if (pending > 0) {
        this.o.log.info("waiting for calls in flight", { event: "draining", inFlight: pending, timeoutMs: waitMs });
        for (let waited = 0; this.inFlight() > 0 && waited < waitMs; waited += 20) await this.o.clock.sleep(20);
        // The answers are written; let them reach the sockets before the sessions close.
        await this.o.clock.sleep(0);
      }
      const left = this.inFlight();
      if (left > 0) this.o.log.warn("closing with calls still in flight", { event: "drain_timeout", inFlight: left });
      const closing: Promise<void>[] = [];
      for (const s of this.sessions.values()) if (s.gateway) closing.push(s.gateway.close());
      for (const c of this.channels.values()) if (c.state !== "mismatch" && c.session.gateway) closing.push(c.session.gateway.close());
      await Promise.allSettled(closing);
      this.sessions.clear();
      this.channels.clear();
      this.server.closeAllConnections();
      await stopped;
    })();
    return this.closing;
  }
}

/** 2026-07-28: `Mcp-Method` must match the body, `Mcp-Name` the tool/prompt name or resource URI. */
function headerMismatch(req: IncomingMessage, message: JsonRpcRequest): string | undefined {
  const method = req.headers["mcp-method"];
  if (method === undefined) return "header mismatch: a 2026-07-28 request must carry `Mcp-Method`";
  if (method !== message.method) return `header mismatch: \`Mcp-Method: ${String(method)}\` does not match the body's method \`${message.method}\``;
  const params = message.params;
  const name = message.method === "resources/read" ? params?.uri : message.method === "tools/call" || message.method === "prompts/get" ? params?.name : undefined;
  const header = req.headers["mcp-name"];
  if (typeof name === "string") {
    if (header === undefined) return `header mismatch: a \`${message.method}\` request must carry \`Mcp-Name\``;
    if (header !== name) return `header mismatch: \`Mcp-Name: ${String(header)}\` does not match the body's \`${name}\``;
  }
  const version = req.headers["mcp-protocol-version"];
  const revision = metaRevision(params);
  if (typeof version === "string" && revision !== undefined && version !== revision) return `header mismatch: \`MCP-Protocol-Version: ${version}\` does not match the body's revision \`${revision}\``;
  return undefined;
}

function accepted(res: ServerResponse): void {
  res.writeHead(202, ["content-length", "0"]);
  res.end();
}

function httpError(res: ServerResponse, status: number, code: number, message: string): void {
  writeJsonError(res, status, errorResponse(null, code, message));
}

function writeJsonError(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}
