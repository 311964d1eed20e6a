/** JSON-RPC error answers the gateway builds itself. Every wire error is made here. */
import type { JsonObject, JsonRpcErrorResponse, JsonRpcId } from "./messages.js";

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Application code (outside the reserved −32768..−32000 band) for a request other than `tools/call` denied by policy. */
export const POLICY_DENIED = -31001;
/** Streamable HTTP: a request the transport refuses (bad headers, method, media type, size; forbidden Origin). */
export const SERVER_ERROR = -32000;
/** Streamable HTTP: the `Mcp-Session-Id` names no live session. */
export const SESSION_NOT_FOUND = -32001;
/** 2026-07-28: `Mcp-Method`, `Mcp-Name` or `MCP-Protocol-Version` disagree with the body. */
export const HEADER_MISMATCH = -32020;

/** Why the gateway answered a forwarded request itself; carried in `error.data["toolgate/error"]`. */
export type UpstreamFailure = "upstream_timeout" | "upstream_closed" | "upstream_unreachable" | "schemas_unavailable";

/** Why the HTTP front refused a sessionless 2026-07-28 request; carried in `error.data["toolgate/error"]`. */
export type StatelessFailure = "era_mismatch" | "upstream_unavailable";

/** The `error.data` that names why toolgate answered a request itself. */
export function failureData(failure: UpstreamFailure | StatelessFailure): JsonObject {
  return { "toolgate/error": failure };
}

export function errorResponse(id: JsonRpcId | null, code: number, message: string, data?: unknown): JsonRpcErrorResponse {
  const error: JsonRpcErrorResponse["error"] = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: "2.0", id, error };
}

export function parseError(detail: string): JsonRpcErrorResponse {
  return errorResponse(null, PARSE_ERROR, `parse error: ${detail}`);
}

export function invalidRequest(id: JsonRpcId | null, reason: string): JsonRpcErrorResponse {
  return errorResponse(id, INVALID_REQUEST, `invalid request: ${reason}`);
}

export function messageTooLarge(maxMessageBytes: number): JsonRpcErrorResponse {
  return errorResponse(null, INVALID_REQUEST, `message too large: a message may have at most ${maxMessageBytes} bytes`);
}

export function invalidParams(id: JsonRpcId, reason: string): JsonRpcErrorResponse {
  return errorResponse(id, INVALID_PARAMS, `invalid params: ${reason}`);
}

/** A request refused because its grant already has the most requests in flight it may have. */
export function tooManyInFlight(id: JsonRpcId, max: number): JsonRpcErrorResponse {
  return errorResponse(id, SERVER_ERROR, `too many requests in flight: this grant already has ${max} waiting for an answer; retry when some have been answered`, { "toolgate/error": "too_many_in_flight" });
}

export function upstreamFailure(id: JsonRpcId, failure: UpstreamFailure, message: string): JsonRpcErrorResponse {
  return errorResponse(id, INTERNAL_ERROR, message, failureData(failure));
}
