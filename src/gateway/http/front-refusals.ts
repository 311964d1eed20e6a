/**
 * What the front answers when a request gets past the guards but cannot be served: an unknown
 * path or method, a session id that names no live session of this grant, a request that needs a
 * session and has none, the session caps (all grants, one grant), an upstream that would not open, a GET stream that
 * cannot be offered, and shutting down.
 */
import { SERVER_ERROR, SESSION_NOT_FOUND } from "../../protocol/wire-errors.js";
import type { HttpRefusal } from "./http-refusal.js";

export function pathNotFound(path: string): HttpRefusal {
  return { status: 404, code: SERVER_ERROR, message: `not found: \`${path}\`; the MCP endpoint is /mcp (also /metrics, /health)` };
}

export function methodNotAllowed(method: string | undefined): HttpRefusal {
  return { status: 405, code: SERVER_ERROR, message: `method not allowed: \`${method}\`; /mcp takes POST, GET and DELETE`, headers: { allow: "GET, POST, DELETE" } };
}

/** A POST names its session: the client may start over. GET and DELETE have nothing to start over. */
export function sessionNotFound(sessionId: string, method: "POST" | "GET" | "DELETE"): HttpRefusal {
  const message = `session not found: \`${sessionId}\` is unknown or has ended${method === "POST" ? "; send initialize again" : ""}`;
  return { status: 404, code: SESSION_NOT_FOUND, message };
}

export const SESSION_REQUIRED: HttpRefusal = {
  status: 400,
  code: SERVER_ERROR,
  message: "bad request: the `Mcp-Session-Id` header is required; send initialize first (or a 2026-07-28 request with `MCP-Protocol-Version: 2026-07-28`)",
};

export const RESPONSE_WITHOUT_SESSION: HttpRefusal = {
  status: 400,
  code: SERVER_ERROR,
  message: "bad request: a response without a session answers nothing (2026-07-28 has no server-to-client requests)",
};

export function tooManySessions(open: number): HttpRefusal {
  return { status: 503, code: SERVER_ERROR, message: `service unavailable: ${open} sessions are open, the most this gateway allows (--max-sessions)` };
}

/** One grant holds its share of the sessions; other grants still get in. */
export function tooManySessionsForGrant(grantId: string, max: number): HttpRefusal {
  return {
    status: 429,
    code: SERVER_ERROR,
    message: `too many sessions: grant \`${grantId}\` has ${max} sessions open, the most one grant may hold (--max-sessions-per-grant); end one with DELETE or let idle ones expire (--session-idle-ms)`,
  };
}

export function upstreamNotOpened(reason: string): HttpRefusal {
  return { status: 502, code: SERVER_ERROR, message: `bad gateway: could not open the upstream MCP server: ${reason}` };
}

export const STREAM_NEEDS_SESSION: HttpRefusal = {
  status: 405,
  code: SERVER_ERROR,
  message: "method not allowed: GET opens a session's event stream; send `Mcp-Session-Id` (no stream is offered without a session)",
  headers: { allow: "POST, DELETE" },
};

export const STREAM_ALREADY_OPEN: HttpRefusal = { status: 409, code: SERVER_ERROR, message: "conflict: this session's event stream is already open" };

export const DELETE_NEEDS_SESSION: HttpRefusal = { status: 400, code: SERVER_ERROR, message: "bad request: DELETE ends a session; send its `Mcp-Session-Id`" };

/** A POSTed request while draining also closes its connection; a GET stream is only refused. */
export function shuttingDown(closeConnection: boolean): HttpRefusal {
  const refusal = { status: 503, code: SERVER_ERROR, message: "service unavailable: the gateway is shutting down" };
  return closeConnection ? { ...refusal, headers: { connection: "close" } } : refusal;
}
