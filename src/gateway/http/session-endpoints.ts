/**
 * The 2025-era Streamable HTTP transport on the front: `initialize` opens a session (its own
 * gateway, on a shared or its own upstream connection as the host decides from the handshake;
 * `Mcp-Session-Id` on the answer) when the session caps leave room, a POST with that id reaches
 * it, GET opens its event stream, DELETE ends it. An id is found only for the grant that opened
 * the session (`session-registry.ts`); each miss answers 404 `SESSION_NOT_FOUND`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomHex } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import type { JsonRpcRequest } from "../../protocol/messages.js";
import type { Logger } from "../logger.js";
import type { ValidFrame } from "./body-frame.js";
import { startExchange } from "./exchange.js";
import * as refuse from "./front-refusals.js";
import { writeAccepted, writeRefusal } from "./http-refusal.js";
import type { HttpSession } from "./http-session.js";
import type { OpenGateway, Principal } from "./open-gateway.js";
import { parseAccept } from "./request-checks.js";
import { streamAcceptGuard } from "./request-guards.js";
import type { SessionRegistry } from "./session-registry.js";

export interface SessionEndpointsOptions {
  readonly sessions: SessionRegistry<HttpSession>;
  readonly openGateway: OpenGateway;
  /** The downstream of a new session. */
  readonly newDownstream: (id: string, who: Principal) => HttpSession;
  readonly log: Logger;
  /** True once the front is shutting down (no new GET streams). */
  readonly draining: () => boolean;
}

export class SessionEndpoints {
  constructor(private readonly o: SessionEndpointsOptions) {}

  /** A POST that names its session: a request is answered on `res`, anything else is taken with 202. */
  post(frame: ValidFrame, sid: string, req: IncomingMessage, res: ServerResponse, who: Principal): void {
    const session = this.o.sessions.find(sid, who.owner);
    if (session === undefined) return writeRefusal(res, refuse.sessionNotFound(sid, "POST"));
    this.o.sessions.touch(session);
    session.caller = who.caller;
    if (frame.kind !== "request") {
      session.deliver(frame.message);
      return writeAccepted(res);
    }
    startExchange(session, frame.message, req.headers.accept, res);
  }

  async initialize(request: JsonRpcRequest, req: IncomingMessage, res: ServerResponse, who: Principal): Promise<void> {
    const { grantId } = who;
    const { sessions, log } = this.o;
    const full = sessions.refusalFor(grantId);
    if (full === "full") return writeRefusal(res, refuse.tooManySessions(sessions.size));
    if (full === "grant_full") {
      log.warn("refused a session: the grant holds its share of the sessions", { event: "grant_sessions_full", grant: grantId, max: sessions.maxPerGrant });
      return writeRefusal(res, refuse.tooManySessionsForGrant(grantId, sessions.maxPerGrant));
    }
    const id = randomHex(16);
    const session = this.o.newDownstream(id, who);
    try {
      const gateway = this.o.openGateway({ grantId, sessionKey: id, downstream: session, stateless: false, callerOf: () => session.caller, ...(request.params ? { initialize: request.params } : {}) });
      session.gateway = gateway;
      sessions.add(id, session);
      await gateway.start();
    } catch (error) {
      sessions.remove(id);
      log.error("could not open the upstream for a new session", { event: "session_failed", grant: grantId, error: messageOf(error) });
      return writeRefusal(res, refuse.upstreamNotOpened(messageOf(error)));
    }
    log.info("session opened", { event: "session_opened", session: id, grant: grantId });
    session.caller = who.caller;
    startExchange(session, request, req.headers.accept, res, { "mcp-session-id": id });
  }

  /** GET: the session's event stream (one at a time). */
  get(req: IncomingMessage, res: ServerResponse, who: Principal): void {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string") return writeRefusal(res, refuse.STREAM_NEEDS_SESSION);
    const session = this.o.sessions.find(sid, who.owner);
    if (session === undefined) return writeRefusal(res, refuse.sessionNotFound(sid, "GET"));
    const refusal = streamAcceptGuard(parseAccept(req.headers.accept)) ?? (this.o.draining() ? refuse.shuttingDown(false) : undefined);
    if (refusal) return writeRefusal(res, refusal);
    this.o.sessions.touch(session);
    if (!session.openStream(res)) writeRefusal(res, refuse.STREAM_ALREADY_OPEN);
  }

  /** DELETE: the session ends (its gateway and upstream close) before the 200. */
  async remove(req: IncomingMessage, res: ServerResponse, who: Principal): Promise<void> {
    const sid = req.headers["mcp-session-id"];
    if (typeof sid !== "string") return writeRefusal(res, refuse.DELETE_NEEDS_SESSION);
    const session = this.o.sessions.find(sid, who.owner);
    if (session === undefined) return writeRefusal(res, refuse.sessionNotFound(sid, "DELETE"));
    this.o.sessions.remove(sid);
    await session.gateway?.close();
    res.writeHead(200);
    res.end();
  }
}
