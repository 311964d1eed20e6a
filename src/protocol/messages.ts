/**
 * JSON-RPC 2.0 frames as MCP uses them, and the one function that classifies a parsed frame.
 * Hand-written guards instead of a schema library: this runs once per message on the hot path
 * and must not allocate more than it has to. Everything that is not a well-formed request,
 * notification or response is classified `invalid` with the id to echo (when there is one).
 */

export type JsonRpcId = string | number;

export type JsonObject = { [key: string]: unknown };

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: JsonObject;
}

export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: JsonObject;
}

export interface JsonRpcResultResponse {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result: JsonObject;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcErrorResponse {
  jsonrpc: "2.0";
  /** Null (JSON-RPC) or absent (the MCP SDK's choice) when the request's id could not be read. */
  id?: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type Frame =
  | { readonly kind: "request"; readonly message: JsonRpcRequest }
  | { readonly kind: "notification"; readonly message: JsonRpcNotification }
  | { readonly kind: "response"; readonly message: JsonRpcResponse }
  | { readonly kind: "invalid"; readonly id: JsonRpcId | null; readonly reason: string };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isJsonRpcId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/**
 * Classifies one parsed JSON value received on a transport. Batches (arrays) are invalid: MCP
 * 2025-06-18 removed JSON-RPC batching and no later revision brought it back.
 */
export function classifyFrame(value: unknown): Frame {
  if (Array.isArray(value)) {
    return { kind: "invalid", id: null, reason: "batches (JSON arrays) are not supported; send one message per line" };
  }
  if (!isJsonObject(value)) {
    return { kind: "invalid", id: null, reason: `expected a JSON-RPC object, found ${describe(value)}` };
  }
  const rawId = value.id;
  const echoId = isJsonRpcId(rawId) ? rawId : null;
  if (value.jsonrpc !== "2.0") {
    return { kind: "invalid", id: echoId, reason: `expected \`jsonrpc\` to be "2.0", found ${describe(value.jsonrpc)}` };
  }
  const method = value.method;
  if (method !== undefined) {
    if (typeof method !== "string" || method === "") {
      return { kind: "invalid", id: echoId, reason: `expected \`method\` to be a non-empty string, found ${describe(method)}` };
    }
    if (value.params !== undefined && !isJsonObject(value.params)) {
      return { kind: "invalid", id: echoId, reason: `expected \`params\` to be an object, found ${kindOf(value.params)}` };
    }
    if (!("id" in value)) return { kind: "notification", message: value as unknown as JsonRpcNotification };
    if (echoId === null) {
      return { kind: "invalid", id: null, reason: `expected \`id\` to be a string or a number, found ${describe(rawId)}` };
    }
    return { kind: "request", message: value as unknown as JsonRpcRequest };
  }
  if ("result" in value || "error" in value) {
    if ("result" in value && "error" in value) {
      return { kind: "invalid", id: echoId, reason: "a response carries either `result` or `error`, not both" };
    }
    if ("error" in value) {
      const error = value.error;
      if (!isJsonObject(error) || typeof error.code !== "number" || typeof error.message !== "string") {
        return { kind: "invalid", id: echoId, reason: "expected `error` to be an object with a numeric `code` and a string `message`" };
      }
      if (rawId !== null && echoId === null) {
        return { kind: "invalid", id: null, reason: `expected \`id\` to be a string, a number or null, found ${describe(rawId)}` };
      }
      return { kind: "response", message: value as unknown as JsonRpcErrorResponse };
    }
    if (echoId === null) {
      return { kind: "invalid", id: null, reason: `expected \`id\` to be a string or a number, found ${describe(rawId)}` };
    }
    if (!isJsonObject(value.result)) {
      return { kind: "invalid", id: echoId, reason: `expected \`result\` to be an object, found ${describe(value.result)}` };
    }
    return { kind: "response", message: value as unknown as JsonRpcResultResponse };
  }
  return { kind: "invalid", id: echoId, reason: "expected a `method` (request or notification) or a `result`/`error` (response)" };
}

export function isErrorResponse(message: JsonRpcResponse): message is JsonRpcErrorResponse {
  return "error" in message;
}

/** What a value is, without any of its content (params may carry tool arguments: never echoed or logged). */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `a string of ${value.length} characters` : `a ${typeof value}`;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string \`${value.length > 40 ? `${value.slice(0, 40)}…` : value}\``;
  return `${typeof value} \`${String(value)}\``;
}
