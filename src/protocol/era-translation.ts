/**
 * Translation between the two eras of MCP (docs/architecture.md#sessions-and-eras), as pure functions on JSON-RPC values.
 * The bridge (`gateway/bridge/`) decides when to call them; nothing here does I/O.
 *
 * What maps onto what:
 * - handshake: a 2025-era `initialize` result is built from a 2026-07-28 `server/discover`
 *   result (capabilities, server info, instructions) and the reverse;
 * - requests: the `_meta` envelope (`io.modelcontextprotocol/protocolVersion`, `…/clientInfo`,
 *   `…/clientCapabilities`) is added for a 2026-07-28 server, from what the 2025-era client said in
 *   `initialize`, and stripped for a 2025-era server;
 * - results: `resultType: "complete"` is added for a 2026-07-28 client and removed (with the cache
 *   hints `ttlMs`/`cacheScope` and `_meta` server info) for a 2025-era client. A result that is
 *   not complete (`input_required`…) has no 2025-era form.
 * - client capabilities that announce server-to-client requests (`sampling`, `elicitation`,
 *   `roots`) are not passed across: the bridge does not carry those requests between eras.
 */
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, ERA_META_KEYS, MODERN_REVISION, PROTOCOL_VERSION_META_KEY, SERVER_INFO_META_KEY, eraOfRevision, type Era } from "./eras.js";
import { isJsonObject, type JsonObject, type JsonRpcErrorResponse, type JsonRpcId } from "./messages.js";
import { errorResponse, INVALID_REQUEST, METHOD_NOT_FOUND } from "./wire-errors.js";

/** The newest 2025-era revision; what the bridge offers a 2025-era server. */
export const LATEST_LEGACY_REVISION = "2025-11-25";
/** 2025-era revisions a 2025-era client may ask for and get back unchanged. */
export const LEGACY_REVISIONS: readonly string[] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/** Requests only the 2025 era has (beyond `initialize` and `ping`, which the bridge answers). */
export const LEGACY_ONLY_REQUESTS: ReadonlySet<string> = new Set(["resources/subscribe", "resources/unsubscribe", "logging/setLevel"]);
/** Requests only 2026-07-28 has (beyond `server/discover`, which the bridge answers). */
export const MODERN_ONLY_REQUESTS: ReadonlySet<string> = new Set(["subscriptions/listen"]);
/** Client capabilities that announce server-to-client requests; never passed across eras. */
const SERVER_REQUEST_CAPABILITIES = ["sampling", "elicitation", "roots"];

export interface ClientIdentity {
  readonly clientInfo: JsonObject;
  readonly capabilities: JsonObject;
}

export const TOOLGATE_CLIENT_INFO: JsonObject = { name: "toolgate", version: "0.1.0" };

/** The client's identity as a 2025-era `initialize` states it. */
export function identityFromInitialize(params: JsonObject | undefined): ClientIdentity {
  return {
    clientInfo: isJsonObject(params?.clientInfo) ? params.clientInfo : TOOLGATE_CLIENT_INFO,
    capabilities: bridgeableCapabilities(params?.capabilities),
  };
}

/** The client's identity as a 2026-07-28 request's `_meta` states it. */
export function identityFromMeta(params: JsonObject | undefined): ClientIdentity {
  const meta = isJsonObject(params?._meta) ? params._meta : undefined;
  const info = meta?.[CLIENT_INFO_META_KEY];
  return {
    clientInfo: isJsonObject(info) ? info : TOOLGATE_CLIENT_INFO,
    capabilities: bridgeableCapabilities(meta?.[CLIENT_CAPABILITIES_META_KEY]),
  };
}

function bridgeableCapabilities(value: unknown): JsonObject {
  if (!isJsonObject(value)) return {};
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) if (!SERVER_REQUEST_CAPABILITIES.includes(key)) out[key] = v;
  return out;
}

/** The `_meta` envelope of a 2026-07-28 request made for this client. */
export function modernEnvelope(identity: ClientIdentity): JsonObject {
  return {
    [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
    [CLIENT_INFO_META_KEY]: identity.clientInfo,
    [CLIENT_CAPABILITIES_META_KEY]: identity.capabilities,
  };
}

/** `params` with the envelope merged into `_meta` (the caller's other `_meta` keys, e.g. `progressToken`, kept). */
export function withEnvelope(params: JsonObject | undefined, envelope: JsonObject): JsonObject {
  const meta = isJsonObject(params?._meta) ? params._meta : undefined;
  return { ...params, _meta: meta ? { ...meta, ...envelope } : envelope };
}

/** `params` without the 2026-07-28 envelope keys; `_meta` dropped when nothing else was in it. */
export function withoutEnvelope(params: JsonObject | undefined): JsonObject | undefined {
  const meta = params?._meta;
  if (!isJsonObject(meta) || !ERA_META_KEYS.some((key) => key in meta)) return params;
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(meta)) if (!(ERA_META_KEYS as readonly string[]).includes(key)) rest[key] = value;
  const out: JsonObject = { ...params };
  if (Object.keys(rest).length > 0) out._meta = rest;
  else delete out._meta;
  return out;
}

/** The `initialize` params the bridge sends a 2025-era server for a 2026-07-28 client. */
export function initializeParams(identity: ClientIdentity): JsonObject {
  return { protocolVersion: LATEST_LEGACY_REVISION, capabilities: identity.capabilities, clientInfo: identity.clientInfo };
}

/** The revision to answer a 2025-era client with: its own when it is one we know, else the newest. */
export function legacyRevisionFor(requested: unknown): string {
  return typeof requested === "string" && LEGACY_REVISIONS.includes(requested) ? requested : LATEST_LEGACY_REVISION;
}

/** True when a `server/discover` result says the server speaks 2026-07-28. */
export function discoverSpeaksModern(result: JsonObject): boolean {
  const versions = result.supportedVersions;
  return Array.isArray(versions) && versions.some((v) => typeof v === "string" && eraOfRevision(v) === MODERN_REVISION);
}

/** A 2025-era `initialize` result built from a 2026-07-28 `server/discover` result. */
export function initializeResultFromDiscover(discover: JsonObject, requestedRevision: unknown): JsonObject {
  const meta = isJsonObject(discover._meta) ? discover._meta : undefined;
  const info = meta?.[SERVER_INFO_META_KEY];
  const result: JsonObject = {
    protocolVersion: legacyRevisionFor(requestedRevision),
    capabilities: isJsonObject(discover.capabilities) ? discover.capabilities : {},
    serverInfo: isJsonObject(info) ? info : { name: "unknown", version: "0.0.0" },
  };
  if (typeof discover.instructions === "string") result.instructions = discover.instructions;
  return result;
}

/** A 2026-07-28 `server/discover` result built from a 2025-era `initialize` result. */
export function discoverResultFromInitialize(initialize: JsonObject): JsonObject {
  const result: JsonObject = {
    supportedVersions: [MODERN_REVISION],
    capabilities: isJsonObject(initialize.capabilities) ? initialize.capabilities : {},
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
  };
  if (typeof initialize.instructions === "string") result.instructions = initialize.instructions;
  if (isJsonObject(initialize.serverInfo)) result._meta = { [SERVER_INFO_META_KEY]: initialize.serverInfo };
  return result;
}

/**
 * 2026-07-28 results of these methods are cacheable and must say for how long and for whom
 * (`ttlMs`, `cacheScope`); a 2025-era server says nothing, so the bridge says "do not cache" (0 ms,
 * private), the same defaults the SDK applies.
 */
export const CACHEABLE_RESULT_METHODS: ReadonlySet<string> = new Set(["tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read", "server/discover"]);

/** A 2025-era server's result as a 2026-07-28 client expects it: `resultType`, cache hints, server info. */
export function toModernResult(result: JsonObject, method: string | undefined, serverInfo: JsonObject | undefined): JsonObject {
  const out: JsonObject = { ...result };
  out.resultType ??= "complete";
  if (method !== undefined && CACHEABLE_RESULT_METHODS.has(method)) {
    out.ttlMs ??= 0;
    out.cacheScope ??= "private";
  }
  if (serverInfo !== undefined) {
    const meta = isJsonObject(result._meta) ? result._meta : undefined;
    if (meta?.[SERVER_INFO_META_KEY] === undefined) out._meta = { ...meta, [SERVER_INFO_META_KEY]: serverInfo };
  }
  return out;
}

export type LegacyResult = { readonly ok: true; readonly result: JsonObject } | { readonly ok: false; readonly resultType: string };

/** A 2026-07-28 server's result as a 2025-era client expects it; only complete results have that form. */
export function toLegacyResult(result: JsonObject): LegacyResult {
  const type = result.resultType;
  if (type !== undefined && type !== "complete") return { ok: false, resultType: String(type) };
  if (type === undefined && result.ttlMs === undefined && result.cacheScope === undefined && !hasServerInfo(result)) return { ok: true, result };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(result)) {
    if (key === "resultType" || key === "ttlMs" || key === "cacheScope") continue;
    if (key === "_meta" && isJsonObject(value)) {
      const { [SERVER_INFO_META_KEY]: _info, ...rest } = value;
      if (Object.keys(rest).length > 0) out._meta = rest;
      continue;
    }
    out[key] = value;
  }
  return { ok: true, result: out };
}

function hasServerInfo(result: JsonObject): boolean {
  return isJsonObject(result._meta) && SERVER_INFO_META_KEY in result._meta;
}

export const ERA_LABEL: Readonly<Record<Era, string>> = { "2025": "2025-era MCP (initialize, sessions)", "2026-07-28": "MCP 2026-07-28" };

/**
 * The answer for what has no counterpart in the other era: -32601 for a method the other side does
 * not have, -32600 for a message whose shape cannot be carried across, both with
 * `data["toolgate/error"] = "untranslatable"`.
 */
export function untranslatable(id: JsonRpcId | null, kind: "method" | "shape", method: string, from: Era, to: Era, detail: string): JsonRpcErrorResponse {
  const message = `toolgate cannot translate \`${method}\` from ${ERA_LABEL[from]} to ${ERA_LABEL[to]}: ${detail}`;
  return errorResponse(id, kind === "method" ? METHOD_NOT_FOUND : INVALID_REQUEST, message, { "toolgate/error": "untranslatable", method, from, to });
}
