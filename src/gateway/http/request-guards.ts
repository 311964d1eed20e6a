/**
 * The checks a request passes before the front handles it as MCP, each a pure function over
 * header values (and, for the 2026-07-28 header check, the parsed message) that returns
 * `undefined` to let it pass or the `HttpRefusal` to answer with: Origin and Host (DNS rebinding)
 * → 403, a bearer token that names no grant → 401 with `WWW-Authenticate`, `Content-Type` → 415, a
 * declared or read body over the limit → 413, `MCP-Protocol-Version` → 400, `Accept` → 406, and
 * `Mcp-Method`/`Mcp-Name`/`MCP-Protocol-Version` against the body → 400 `HEADER_MISMATCH`.
 */
import { metaRevision } from "../../protocol/eras.js";
import { decodeHeaderValue } from "../../protocol/header-values.js";
import type { JsonObject, JsonRpcId } from "../../protocol/messages.js";
import { HEADER_MISMATCH, INVALID_REQUEST, SERVER_ERROR } from "../../protocol/wire-errors.js";
import type { HttpRefusal } from "./http-refusal.js";
import { hostnameOfHost, isLoopbackHostname, KNOWN_REVISIONS, originAllowed, type AcceptInfo } from "./request-checks.js";

/** What the host's `authenticate` made of the `Authorization` header. */
export type AuthOutcome = { readonly kind: "ok"; readonly grantId: string } | { readonly kind: "missing" | "malformed" | "invalid" };

/** A header as node:http gives it: one value, several, or none. */
export type HeaderValue = string | string[] | undefined;

export function originGuard(origin: string | undefined, allowed: ReadonlySet<string>): HttpRefusal | undefined {
  if (originAllowed(origin, allowed)) return undefined;
  return { status: 403, code: SERVER_ERROR, message: `forbidden: Origin \`${origin}\` is not allowed; allowed are loopback origins and --allowed-origins` };
}

/** For a loopback listener without grants: the `Host` must be a loopback name. */
export function hostGuard(host: string | undefined): HttpRefusal | undefined {
  if (isLoopbackHostname(hostnameOfHost(host ?? ""))) return undefined;
  return { status: 403, code: SERVER_ERROR, message: `forbidden: Host \`${host ?? ""}\` is not a loopback name; this gateway listens on loopback only` };
}

/** 401 for a request without a valid bearer token, with the challenge that says why. */
export function unauthorized(reason: Exclude<AuthOutcome["kind"], "ok">): HttpRefusal {
  const challenge = reason === "missing" ? 'Bearer realm="toolgate"' : 'Bearer realm="toolgate", error="invalid_token"';
  const message =
    reason === "missing"
      ? "unauthorized: send `Authorization: Bearer <token>`"
      : reason === "malformed"
        ? "unauthorized: the Authorization header is not `Bearer <token>`"
        : "unauthorized: the bearer token matches no grant";
  return { status: 401, code: SERVER_ERROR, message, headers: { "www-authenticate": challenge } };
}

export function contentTypeGuard(type: string | undefined): HttpRefusal | undefined {
  if (type !== undefined && type.includes("application/json")) return undefined;
  return { status: 415, code: SERVER_ERROR, message: `unsupported media type: expected \`Content-Type: application/json\`, found \`${type ?? "nothing"}\`` };
}

/** A `Content-Length` over the limit is refused before a byte is read. */
export function declaredLengthGuard(contentLength: string | undefined, maxBodyBytes: number): HttpRefusal | undefined {
  return contentLength !== undefined && Number(contentLength) > maxBodyBytes ? bodyTooLarge(maxBodyBytes) : undefined;
}

/** 413; the connection closes after it (the rest of the body is not read). */
export function bodyTooLarge(maxBodyBytes: number): HttpRefusal {
  return { status: 413, code: INVALID_REQUEST, message: `payload too large: a request body may have at most ${maxBodyBytes} bytes (--max-body-bytes)`, headers: { connection: "close" } };
}

export function protocolVersionGuard(version: HeaderValue): HttpRefusal | undefined {
  if (typeof version !== "string" || KNOWN_REVISIONS.has(version)) return undefined;
  return { status: 400, code: SERVER_ERROR, message: `bad request: unsupported MCP-Protocol-Version \`${version}\`; expected one of ${[...KNOWN_REVISIONS].join(", ")}` };
}

/** A POST's answer is JSON or an SSE stream: the client must take one of them. */
export function acceptGuard(accept: AcceptInfo): HttpRefusal | undefined {
  if (accept.json || accept.sse) return undefined;
  return { status: 406, code: SERVER_ERROR, message: "not acceptable: the client must accept `application/json` or `text/event-stream`" };
}

/** A GET opens an SSE stream. */
export function streamAcceptGuard(accept: AcceptInfo): HttpRefusal | undefined {
  return accept.sse ? undefined : { status: 406, code: SERVER_ERROR, message: "not acceptable: a GET stream needs `Accept: text/event-stream`" };
}

/** Request headers by lowercase name, as node:http gives them. */
export type RequestHeaders = { readonly [name: string]: HeaderValue };

/**
 * 2026-07-28: `Mcp-Method` must match the body, `Mcp-Name` (decoded when it is in its Base64 form)
 * the tool/prompt name or resource URI, `MCP-Protocol-Version` the body's revision.
 */
export function headerMismatchGuard(headers: RequestHeaders, message: { readonly id?: JsonRpcId; readonly method: string; readonly params?: JsonObject }): HttpRefusal | undefined {
  const problem = headerMismatch(headers, message);
  return problem === undefined ? undefined : { status: 400, code: HEADER_MISMATCH, message: problem, id: "id" in message ? message.id : null };
}

function headerMismatch(headers: RequestHeaders, message: { readonly method: string; readonly params?: JsonObject }): string | undefined {
  const method = headers["mcp-method"];
  if (method === undefined) return "header mismatch: a 2026-07-28 request must carry `Mcp-Method`";
  if (method !== message.method) return `header mismatch: \`Mcp-Method: ${String(method)}\` does not match the body's method \`${message.method}\``;
  const params = message.params;
  const name = message.method === "resources/read" ? params?.uri : message.method === "tools/call" || message.method === "prompts/get" ? params?.name : undefined;
  const header = headers["mcp-name"];
  if (typeof name === "string") {
    if (header === undefined) return `header mismatch: a \`${message.method}\` request must carry \`Mcp-Name\``;
    if (typeof header !== "string" || decodeHeaderValue(header) !== name) return `header mismatch: \`Mcp-Name: ${String(header)}\` does not match the body's \`${name}\``;
  }
  const version = headers["mcp-protocol-version"];
  const revision = metaRevision(params);
  if (typeof version === "string" && revision !== undefined && version !== revision) return `header mismatch: \`MCP-Protocol-Version: ${version}\` does not match the body's revision \`${revision}\``;
  return undefined;
}
