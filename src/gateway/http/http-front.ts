/**
 * The Streamable HTTP front (`toolgate serve --listen`): a lean node:http server for `/mcp`,
 * `/metrics`, `/health` (alive: 200 while serving, draining included) and `/ready` (200 only when
 * calls can be decided and forwarded, see `../readiness.ts`; 503 with reasons otherwise), and, as
 * an OAuth resource server, the protected resource metadata at its well-known paths, composed of
 * its parts. Per request, in order: the guards
 * (`request-guards.ts`: Origin and, on a loopback listener without grants, Host → 403; bearer
 * token → grant and caller, else 401/403 with a challenge before any MCP handling — every request,
 * stateless ones too; media type, body size, protocol version); the
 * body as one JSON-RPC frame (`read-body.ts`, `body-frame.ts`); then the MCP transport of
 * 2025-11-25, sessions (`session-endpoints.ts` over `session-registry.ts`), or of 2026-07-28,
 * a grant's stateless channel (`stateless-channel.ts`); the request reaches that downstream as an
 * exchange (`exchange.ts`). Every refusal is a value written by `http-refusal.ts`.
 *
 * `/metrics` answers only whom `metrics-access.ts` lets in (on a listener with grants: the
 * metrics token, never a grant token).
 *
 * Each 2025-era MCP session gets its own gateway, so `scope: "session"` means that MCP session;
 * stateless requests share one gateway per grant. Which upstream connection a gateway gets (its
 * grant's shared one, or its own) is the host's choice (`upstream-sharing.ts`). Every gateway
 * shares the one counter store, so `grant` and `global` counters span sessions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../core/clock.js";
import type { JsonRpcMessage } from "../../protocol/messages.js";
import type { Logger } from "../logger.js";
import type { ReadinessReport } from "../readiness.js";
import type { ServerStatus } from "../server-status.js";
import type { Metrics } from "../metrics.js";
import { frameOfBody } from "./body-frame.js";
import { drainCalls } from "./drain.js";
import { startExchange } from "./exchange.js";
import * as refuse from "./front-refusals.js";
import { writeAccepted, writeRefusal } from "./http-refusal.js";
import { HttpSession } from "./http-session.js";
import type { ProtectedResource } from "../identity/protected-resource.js";
import { metricsGuard, type MetricsAccess } from "./metrics-access.js";
import type { OpenGateway, Principal } from "./open-gateway.js";
import { readBody } from "./read-body.js";
import { bodyTooLarge, contentTypeGuard, declaredLengthGuard, headerMismatchGuard, hostGuard, originGuard, protocolVersionGuard, unauthorized, type AuthOutcome, type ChallengeContext } from "./request-guards.js";
import { SessionEndpoints } from "./session-endpoints.js";
import { SessionRegistry } from "./session-registry.js";
import { isStatelessRequest, StatelessChannels } from "./stateless-channel.js";

export type { AuthOutcome } from "./request-guards.js";
export type { OpenGatewayRequest, Principal } from "./open-gateway.js";

export interface HttpFrontOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Extra allowed `Origin` values (exact `scheme://host[:port]`, or `*`); loopback origins always pass. */
  readonly allowedOrigins: readonly string[];
  /** Reject a non-loopback `Host` (a loopback listener without grants). */
  readonly checkHost: boolean;
  /** May answer later: an OAuth token is checked against its issuer's keys (or introspected). */
  readonly authenticate: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
  /** toolgate as an OAuth resource server: its metadata document (RFC 9728), named by every challenge. */
  readonly protectedResource?: ProtectedResource;
  readonly openGateway: OpenGateway;
  readonly metrics: Metrics;
  /** Who may read `/metrics` (`metricsAccessFor`). */
  readonly metricsAccess: MetricsAccess;
  readonly log: Logger;
  readonly clock: Clock;
  readonly maxSessions?: number;
  /** Sessions one grant may hold (default `DEFAULT_MAX_SESSIONS_PER_GRANT`, never more than `maxSessions`). */
  readonly maxSessionsPerGrant?: number;
  /** Sessions idle this long (no request, no GET stream, nothing in flight) are closed. */
  readonly sessionIdleMs?: number;
  /** How long `close()` waits for calls in flight before closing anyway (real time). */
  readonly drainTimeoutMs?: number;
  /** What `/ready` checks besides draining; without it `/ready` follows draining alone. */
  readonly readiness?: () => Promise<ReadinessReport>;
  /** A stack's servers, each with its state and last error, shown by `/health`. */
  readonly servers?: () => readonly ServerStatus[];
}

export interface HttpFront {
  /** e.g. `http://127.0.0.1:8080/mcp` */
  readonly url: string;
  readonly port: number;
  sessionCount(): number;
  /** Graceful: stop accepting, finish calls in flight (bounded), close sessions and upstreams. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SESSIONS = 1000;
export const DEFAULT_MAX_SESSIONS_PER_GRANT = 100;
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

export async function startHttpFront(options: HttpFrontOptions): Promise<HttpFront> {
  return new Front(options).listen();
}

class Front {
  private readonly sessions: SessionRegistry<HttpSession>;
  private readonly endpoints: SessionEndpoints;
  private readonly channels: StatelessChannels;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly challenge: ChallengeContext | undefined;
  private readonly server: Server;
  private draining = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: HttpFrontOptions) {
    this.allowedOrigins = new Set(o.allowedOrigins);
    this.sessions = new SessionRegistry({ clock: o.clock, maxSessions: o.maxSessions ?? DEFAULT_MAX_SESSIONS, maxPerGrant: o.maxSessionsPerGrant ?? DEFAULT_MAX_SESSIONS_PER_GRANT, idleMs: o.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS, log: o.log });
    this.endpoints = new SessionEndpoints({ sessions: this.sessions, openGateway: o.openGateway, newDownstream: (id, who) => this.downstream(id, who.grantId, who.owner), log: o.log, draining: () => this.draining });
    this.channels = new StatelessChannels({ openGateway: o.openGateway, newDownstream: (grantId, owner) => this.downstream(undefined, grantId, owner), log: o.log });
    const resource = o.protectedResource;
    this.challenge = resource === undefined ? undefined : { resourceMetadata: resource.metadataUrl, requiredScopes: resource.requiredScopes };
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
    this.sessions.startSweep();
    return { url: `http://${host}:${port}/mcp`, port, sessionCount: () => this.sessions.size, close: () => this.close() };
  }

  private async ready(res: ServerResponse): Promise<void> {
    const report: ReadinessReport = this.o.readiness === undefined ? { ready: true, checks: {} } : await this.o.readiness();
    const checks = this.draining ? { ...report.checks, draining: { ok: false, reason: "the process is draining after SIGTERM or SIGINT; it takes no new calls" } } : report.checks;
    const ready = report.ready && !this.draining;
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: ready ? "ready" : "not_ready", checks }));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const h = req.headers;
    const origin = originGuard(h.origin, this.allowedOrigins);
    if (origin) {
      this.o.log.warn("rejected a request from a disallowed Origin", { event: "origin_rejected", origin: h.origin });
      return writeRefusal(res, origin);
    }
    const host = this.o.checkHost ? hostGuard(h.host) : undefined;
    if (host) {
      this.o.log.warn("rejected a request for a non-loopback Host", { event: "host_rejected", host: h.host });
      return writeRefusal(res, host);
    }
    if (path === "/mcp") return void this.mcp(req, res);
    if (this.o.protectedResource?.paths.includes(path) && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify(this.o.protectedResource.document));
      return;
    }
    if (path === "/metrics" && req.method === "GET") {
      const refusal = metricsGuard(h.authorization, this.o.metricsAccess);
      if (refusal) {
        this.o.log.warn("refused a /metrics request", { event: "metrics_refused", status: refusal.status, remote: req.socket.remoteAddress });
        return writeRefusal(res, refusal);
      }
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(this.o.metrics.render());
      return;
    }
    if (path === "/health" && req.method === "GET") {
      const servers = this.o.servers?.().map((s) => ({ name: s.name, state: s.state, lastError: s.lastError ?? null, restarts: s.restarts }));
      const body = JSON.stringify({ status: this.draining ? "draining" : "ok", sessions: this.sessions.size, callsInFlight: this.o.metrics.callsInFlight, ...(servers ? { servers } : {}) });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    if (path === "/ready" && req.method === "GET") return void this.ready(res);
    writeRefusal(res, refuse.pathNotFound(path));
  }

  private async mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let auth: AuthOutcome;
    try {
      auth = await this.o.authenticate(req.headers.authorization);
    } catch (error) {
      this.o.log.error("could not check a bearer token", { event: "auth_failed", message: error instanceof Error ? error.message : String(error) });
      auth = { kind: "unavailable", description: "the token cannot be checked now" };
    }
    if (auth.kind !== "ok") {
      this.o.metrics.authRefused(auth.kind);
      this.o.log.warn("rejected a request without a valid bearer token", { event: "unauthorized", reason: auth.kind, ...("description" in auth && auth.description !== undefined ? { description: auth.description } : {}), remote: req.socket.remoteAddress });
      req.resume(); // the body is not read
      return writeRefusal(res, unauthorized(auth, this.challenge));
    }
    const who: Principal = { grantId: auth.grantId, owner: auth.owner ?? auth.grantId, ...(auth.caller ? { caller: auth.caller } : {}) };
    if (req.method === "POST") return void this.post(req, res, who);
    if (req.method === "GET") return this.endpoints.get(req, res, who);
    if (req.method === "DELETE") return void this.endpoints.remove(req, res, who);
    writeRefusal(res, refuse.methodNotAllowed(req.method));
  }

  private async post(req: IncomingMessage, res: ServerResponse, who: Principal): Promise<void> {
    const h = req.headers;
    const before = contentTypeGuard(h["content-type"]) ?? declaredLengthGuard(h["content-length"], this.o.maxBodyBytes);
    if (before) {
      req.resume(); // discard the body
      return writeRefusal(res, before);
    }
    const body = await readBody(req, this.o.maxBodyBytes);
    if (body.kind === "too_large") return writeRefusal(res, bodyTooLarge(this.o.maxBodyBytes));
    const parsed = frameOfBody(body.text);
    if ("refusal" in parsed) return writeRefusal(res, parsed.refusal);
    const frame = parsed.frame;
    const version = h["mcp-protocol-version"];
    const refusal = protocolVersionGuard(version) ?? (frame.kind === "request" && this.draining ? refuse.shuttingDown(true) : undefined);
    if (refusal) return writeRefusal(res, refusal);
    const sid = h["mcp-session-id"];
    if (typeof sid === "string") return this.endpoints.post(frame, sid, req, res, who);
    if (frame.kind === "request" && frame.message.method === "initialize") return this.endpoints.initialize(frame.message, req, res, who);
    if (isStatelessRequest(version, frame.message)) return this.stateless(frame.message, req, res, who);
    writeRefusal(res, refuse.SESSION_REQUIRED);
  }

  /** Every stateless request has authenticated on its own; its caller is handed over with it. */
  private async stateless(message: JsonRpcMessage, req: IncomingMessage, res: ServerResponse, who: Principal): Promise<void> {
    if (!("method" in message)) return writeRefusal(res, refuse.RESPONSE_WITHOUT_SESSION);
    const mismatch = headerMismatchGuard(req.headers, message);
    if (mismatch) return writeRefusal(res, mismatch);
    const id = "id" in message ? message.id : null;
    const channel = await this.channels.channelFor(who.grantId, id, message.params, who.owner);
    if ("refusal" in channel) return writeRefusal(res, channel.refusal);
    channel.session.caller = who.caller;
    if (!("id" in message)) {
      channel.session.deliver(message);
      return writeAccepted(res);
    }
    startExchange(channel.session, message, req.headers.accept, res);
  }

  /** A session's downstream (`id`), or a stateless channel's (`undefined`). */
  private downstream(id: string | undefined, grantId: string, owner: string): HttpSession {
    return new HttpSession({ id, grantId, owner, metrics: this.o.metrics, log: this.o.log, nowMs: () => this.o.clock.nowMs() });
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      this.draining = true;
      this.sessions.stopSweep();
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await drainCalls(() => this.sessions.inFlight() + this.channels.inFlight(), this.o.clock, this.o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS, this.o.log);
      await Promise.all([this.sessions.closeAll(), this.channels.closeAll()]);
      this.server.closeAllConnections();
      await stopped;
    })();
    return this.closing;
  }
}
