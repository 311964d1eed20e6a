/**
 * The two eras of MCP (docs/architecture.md#sessions-and-eras), detected per message. 2025-era revisions open with
 * `initialize` and negotiate once per connection; 2026-07-28 has no handshake: every request
 * names its revision in `params._meta["io.modelcontextprotocol/protocolVersion"]`.
 */
import { isJsonObject, type JsonObject } from "./messages.js";

export type Era = "2025" | "2026-07-28";

export const MODERN_REVISION = "2026-07-28";
export const PROTOCOL_VERSION_META_KEY = "io.modelcontextprotocol/protocolVersion";
export const CLIENT_INFO_META_KEY = "io.modelcontextprotocol/clientInfo";
export const CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";
/** `_meta` key of a 2026-07-28 result naming the server software. */
export const SERVER_INFO_META_KEY = "io.modelcontextprotocol/serverInfo";

/** `_meta` keys that carry a 2026-07-28 caller's revision, identity and capabilities. */
export const ERA_META_KEYS = [PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY] as const;

/** Revisions are dates; anything on or after 2026-07-28 is the modern era. */
export function eraOfRevision(revision: string): Era {
  return revision >= MODERN_REVISION ? "2026-07-28" : "2025";
}

/** The revision a request names in its `_meta`, if any. */
export function metaRevision(params: JsonObject | undefined): string | undefined {
  const meta = params?._meta;
  if (!isJsonObject(meta)) return undefined;
  const revision = meta[PROTOCOL_VERSION_META_KEY];
  return typeof revision === "string" ? revision : undefined;
}

/**
 * The era of one request: its `_meta` revision when present, `server/discover` is modern,
 * `initialize` is 2025-era, anything else inherits the connection's era.
 */
export function requestEra(method: string, params: JsonObject | undefined, connectionEra: Era): Era {
  const revision = metaRevision(params);
  if (revision !== undefined) return eraOfRevision(revision);
  if (method === "server/discover") return "2026-07-28";
  if (method === "initialize") return "2025";
  return connectionEra;
}

/** The era fields of a caller's `_meta`, to copy onto a request the gateway makes on its behalf. */
export function eraMeta(params: JsonObject | undefined): JsonObject | undefined {
  const meta = params?._meta;
  if (!isJsonObject(meta)) return undefined;
  let out: JsonObject | undefined;
  for (const key of ERA_META_KEYS) {
    if (meta[key] !== undefined) (out ??= {})[key] = meta[key];
  }
  return out;
}
