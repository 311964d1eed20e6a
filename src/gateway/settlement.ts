/**
 * How a forwarded request ends, and what each ending means for a governed call: the audit
 * outcome, and whether the call's reserved counters and consumed approval are given back
 * (docs/architecture.md#windows-and-counters). Pure: the gateway applies it in one place.
 */
import { isErrorResponse, type JsonRpcResponse } from "../protocol/messages.js";
import { INVALID_PARAMS, METHOD_NOT_FOUND, type UpstreamFailure } from "../protocol/wire-errors.js";
import type { AuditOutcome } from "./audit-log.js";

export type Ending =
  /** The upstream answered (a result, or a JSON-RPC error). */
  | { readonly kind: "answered"; readonly response: JsonRpcResponse }
  /** No answer will come: the wait timed out, the upstream went away, or the request could not be sent (`sent: false`, with the transport's `reason`). */
  | { readonly kind: "failed"; readonly failure: UpstreamFailure; readonly sent: boolean; readonly reason?: string }
  /** The agent cancelled the request after it was sent upstream. */
  | { readonly kind: "cancelled" }
  /** The gateway is closing with the request still in flight. */
  | { readonly kind: "abandoned" };

export function auditOutcome(ending: Ending): AuditOutcome {
  switch (ending.kind) {
    case "answered":
      if (isErrorResponse(ending.response)) return "rpc_error";
      return ending.response.result.isError === true ? "tool_error" : "ok";
    case "failed":
      if (!ending.sent) return "not_sent";
      return ending.failure === "upstream_timeout" ? "timeout" : "upstream_closed";
    case "cancelled":
    case "abandoned":
      return "cancelled";
  }
}

/** The error text for a request that will get no upstream answer; `notSent` when the transport refused to send it, and why. */
export function failureMessage(method: string, failure: UpstreamFailure, timeoutMs: number, notSent?: string): string {
  if (notSent !== undefined) return `\`${method}\` was not sent to the upstream MCP server (${notSent}); it never left the gateway`;
  switch (failure) {
    case "upstream_timeout":
      return `the upstream MCP server did not answer \`${method}\` within ${timeoutMs} ms`;
    case "upstream_closed":
      return `the upstream MCP server went away before answering \`${method}\``;
    case "upstream_unreachable":
    case "schemas_unavailable":
      return `the upstream MCP server could not be reached for \`${method}\``;
  }
}

/**
 * JSON-RPC error codes that say the server did not run the request: it could not read the method
 * or refused the parameters (an unknown tool is `-32602` in MCP) before doing anything.
 */
export const NOT_RUN_CODES: ReadonlySet<number> = new Set([METHOD_NOT_FOUND, INVALID_PARAMS]);

/**
 * True when the call's slot and approval go back: only when the call provably did not run. It
 * never left the gateway (`failed` with `sent: false`), or the upstream refused it with a code in
 * `NOT_RUN_CODES`. Everything else keeps them — a timeout, the upstream dying, a cancellation after
 * sending, any other error, a tool error — because the server may have acted, and a runaway agent
 * must not gain quota from a slow or failing server.
 */
export function givesBack(ending: Ending): boolean {
  switch (ending.kind) {
    case "answered":
      return isErrorResponse(ending.response) && NOT_RUN_CODES.has(ending.response.error.code);
    case "failed":
      return !ending.sent;
    case "cancelled":
    case "abandoned":
      return false;
  }
}
