/**
 * How the stack shapes what it answers itself or passes on: merged and forwarded results in the
 * era of the request they answer, URIs inside answers under their exposed form, and the errors that
 * name a server (`upstream_unavailable`, `upstream_timeout`).
 */
import { SERVER_INFO_META_KEY } from "../../protocol/eras.js";
import { toModernResult } from "../../protocol/era-translation.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcResponse } from "../../protocol/messages.js";
import { errorResponse, INTERNAL_ERROR } from "../../protocol/wire-errors.js";
import type { StackNaming } from "./stack-naming.js";

/**
 * 2026-07-28 cache hints on what the stack merges or rewrites: `ttlMs: 0`, `cacheScope: "private"`,
 * so no client (or shared cache) reuses a list that depends on servers' states and a grant's
 * policy. A 2025-era request gets none (its revision has no such fields).
 */
export const MODERN_CACHE_HINTS: JsonObject = { ttlMs: 0, cacheScope: "private" };

/**
 * A merged answer in the request's era: for 2026-07-28 it is complete, not to be cached by anyone
 * else, and names toolgate as the server in `_meta`, where that era carries it (never as a
 * 2025-era `serverInfo`).
 */
export function mergedResult(result: JsonObject, modern: boolean, serverInfo: { readonly name: string; readonly version: string }): JsonObject {
  if (!modern) return result;
  const { serverInfo: _legacyServerInfo, ...rest } = result;
  const meta = isJsonObject(rest._meta) ? rest._meta : {};
  return { ...rest, resultType: "complete", ...MODERN_CACHE_HINTS, _meta: { ...meta, [SERVER_INFO_META_KEY]: { ...serverInfo } } };
}

/**
 * One server's result as the agent gets it: URIs exposed; for a 2026-07-28 request complete in
 * its era, whichever era the server's bridge negotiated on a shared connection, and a read (its
 * URIs rewritten) not to be cached by anyone else.
 */
export function forwardedResult(naming: StackNaming, server: string, method: string, modern: boolean, result: JsonObject): JsonObject {
  const exposed = exposeResultUris(naming, server, method, result);
  if (!modern) return exposed;
  return { ...toModernResult(exposed, method, undefined), ...(method === "resources/read" ? MODERN_CACHE_HINTS : {}) };
}

/**
 * URIs inside a server's answer, under their exposed form so the agent can use them again: a
 * read's `contents`, and a tool result's resource links and embedded resources.
 */
export function exposeResultUris(naming: StackNaming, server: string, method: string, result: JsonObject): JsonObject {
  const expose = (item: unknown): unknown => (isJsonObject(item) && typeof item.uri === "string" ? { ...item, uri: naming.exposeUri(server, item.uri) } : item);
  if (method === "resources/read" && Array.isArray(result.contents)) return { ...result, contents: result.contents.map(expose) };
  if (method === "tools/call" && Array.isArray(result.content)) {
    return {
      ...result,
      content: result.content.map((item) => {
        if (!isJsonObject(item)) return item;
        if (item.type === "resource_link") return expose(item);
        if (item.type === "resource" && isJsonObject(item.resource)) return { ...item, resource: expose(item.resource) };
        return item;
      }),
    };
  }
  return result;
}

export function unavailableError(id: JsonRpcId, server: string, state: string, why: string | undefined): JsonRpcResponse {
  return errorResponse(id, INTERNAL_ERROR, `server \`${server}\` is unavailable (${state}${why !== undefined ? `: ${why}` : ""}); retry later`, { "toolgate/error": "upstream_unavailable", "toolgate/server": server });
}

export function timeoutError(id: JsonRpcId, server: string, timeoutMs: number): JsonRpcResponse {
  return errorResponse(id, INTERNAL_ERROR, `server \`${server}\` did not answer within ${timeoutMs} ms`, { "toolgate/error": "upstream_timeout", "toolgate/server": server });
}

/** The handshake failed: no server started, or one the config needs (`onStartFailure: fail`) did not. */
export function cannotServeError(id: JsonRpcId, failed: { readonly server: string; readonly reason: string } | undefined): JsonRpcResponse {
  const what = failed === undefined ? "no server is configured" : `server \`${failed.server}\` did not start (${failed.reason})`;
  return errorResponse(id, INTERNAL_ERROR, `the gateway cannot serve: ${what}`, { "toolgate/error": "upstream_unavailable" });
}
