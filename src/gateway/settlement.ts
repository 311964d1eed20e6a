/**
 * How a forwarded request ends, and what each ending means for a governed call: the audit
 * outcome, and whether the call's reserved counters and consumed approval are given back
 * (docs/architecture.md#windows-and-counters). Pure: the gateway applies it in one place.
 */
import { isErrorResponse, type JsonRpcResponse } from "../protocol/messages.js";
import type { UpstreamFailure } from "../protocol/wire-errors.js";
import type { AuditOutcome } from "./audit-log.js";

export type Ending =
  /** The upstream answered (a result, or a JSON-RPC error). */
  | { readonly kind: "answered"; readonly response: JsonRpcResponse }
  /** No answer will come: the wait timed out, the upstream went away, or the request could not be sent (`sent: false`). */
  | { readonly kind: "failed"; readonly failure: UpstreamFailure; readonly sent: boolean }
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
      return ending.failure === "upstream_timeout" ? "timeout" : "upstream_closed";
    case "cancelled":
    case "abandoned":
      return "cancelled";
  }
}

/** The error text for a request that will get no upstream answer. */
export function failureMessage(method: string, failure: UpstreamFailure, timeoutMs: number): string {
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
 * True when the call's slot and approval go back. A cancelled call and one the gateway abandons
 * while closing reached the server and keep theirs.
 */
export function givesBack(ending: Ending): boolean {
  switch (ending.kind) {
    case "answered":
      return isErrorResponse(ending.response);
    case "failed":
      return true;
    case "cancelled":
    case "abandoned":
      return false;
  }
}
