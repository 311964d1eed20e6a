/**
 * The checks a request passes before the front handles it as MCP, each a pure function over
 * header values (and, for the 2026-07-28 header check, the parsed message) that returns
 * `undefined` to let it pass or the `HttpRefusal` to answer with: Origin and Host (DNS rebinding)
 * → 403, a bearer token that names no grant → 401 with `WWW-Authenticate` (403 `insufficient_scope`,
 * 503 when it cannot be checked now), `Content-Type` → 415, a
 * declared or read body over the limit → 413, `MCP-Protocol-Version` → 400, `Accept` → 406, and
 * `Mcp-Method`/`Mcp-Name`/`MCP-Protocol-Version` against the body → 400 `HEADER_MISMATCH`.
 */
import { metaRevision } from "../../protocol/eras.js";
import { decodeHeaderValue } from "../../protocol/header-values.js";
import type { JsonObject, JsonRpcId } from "../../protocol/messages.js";
import { HEADER_MISMATCH, INVALID_REQUEST, SERVER_ERROR } from "../../protocol/wire-errors.js";
import type { Caller } from "../caller.js";
import { challengeHeader, type Challenge } from "../identity/protected-resource.js";
import type { HttpRefusal } from "./http-refusal.js";
import { hostnameOfHost, isLoopbackHostname, KNOWN_REVISIONS, originAllowed, type AcceptInfo } from "./request-checks.js";

/**
 * What the host's `authenticate` made of the `Authorization` header: a grant (with the caller of
 * an OAuth token, and the `owner` that may reuse its sessions when that is more than the grant),
 * or why not: no, a malformed or an invalid token (401), a valid token without the scope or rule
 * a grant needs (403 `insufficient_scope`), or a token toolgate cannot check now (503).
 */
export type AuthOutcome =
  | { readonly kind: "ok"; readonly grantId: string; readonly owner?: string; readonly caller?: Caller }
  | { readonly kind: "missing" | "malformed" | "invalid"; readonly description?: string }
  | { readonly kind: "forbidden"; readonly description: string; readonly scope?: readonly string[] }
  | { readonly kind: "unavailable"; readonly description: string };

export type AuthRefusal = Exclude<AuthOutcome, { kind: "ok" }>;

/** Where the challenges point when toolgate is an OAuth resource server (RFC 9728). */
export interface ChallengeContext {
  readonly resourceMetadata: string;
  /** Scopes every token needs: named on a 401 without a token. */
  readonly requiredScopes: readonly string[];
}

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

/** 401 (403, 503) for a request without a usable bearer token, with the challenge that says why. */
export function unauthorized(outcome: AuthRefusal | AuthRefusal["kind"], context?: ChallengeContext): HttpRefusal {
  const refusal: AuthRefusal = typeof outcome === "string" ? ({ kind: outcome } as AuthRefusal) : outcome;
  const meta = context === undefined ? {} : { resourceMetadata: context.resourceMetadata };
  const description = "description" in refusal ? refusal.description : undefined;
  const header = (challenge: Challenge) => ({ "www-authenticate": challengeHeader({ ...meta, ...challenge }) });
  switch (refusal.kind) {
    case "missing":
      return { status: 401, code: SERVER_ERROR, message: "unauthorized: send `Authorization: Bearer <token>`", headers: header(context && context.requiredScopes.length > 0 ? { scope: context.requiredScopes } : {}) };
    case "malformed":
      return { status: 401, code: SERVER_ERROR, message: "unauthorized: the Authorization header is not `Bearer <token>`", headers: header({ error: "invalid_token" }) };
    case "invalid":
      return { status: 401, code: SERVER_ERROR, message: `unauthorized: ${description ?? "the bearer token matches no grant"}`, headers: header({ error: "invalid_token", ...(description === undefined ? {} : { description }) }) };
    case "forbidden":
      return { status: 403, code: SERVER_ERROR, message: `forbidden: ${refusal.description}`, headers: header({ error: "insufficient_scope", description: refusal.description, ...(refusal.scope ? { scope: refusal.scope } : {}) }) };
    case "unavailable":
      return { status: 503, code: SERVER_ERROR, message: `service unavailable: ${refusal.description}`, headers: { "retry-after": "30" } };
  }
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
