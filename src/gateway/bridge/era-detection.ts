/**
 * Which era of MCP the upstream speaks, found by asking it (docs/eras.md), on the agent's first
 * request that names an era (`initialize`, `server/discover`, or a request carrying
 * `io.modelcontextprotocol/protocolVersion` in `_meta`). The agent's own era is tried first, so
 * that a server that speaks both is used as the agent expects and nothing is translated; when the
 * server refuses it (any JSON-RPC error: -32022 from a 2026-07-28-only server, -32601 from a
 * 2025-era one, HTTP 400 bodies included), the other era's handshake is tried. If neither works
 * the agent gets the server's first refusal and messages pass through unchanged.
 *
 * These functions only ask (through the bridge's probes) and judge the answers; the era bridge
 * applies what they found to its connection.
 */
import { eraOfRevision, metaRevision, type Era } from "../../protocol/eras.js";
import { discoverResultFromInitialize, discoverSpeaksModern, initializeParams, initializeResultFromDiscover, type ClientIdentity } from "../../protocol/era-translation.js";
import type { JsonObject, JsonRpcResponse } from "../../protocol/messages.js";

/**
 * What detection found, for a 2026-07-28 caller: the upstream serves it (natively, or through
 * translation when `era` is 2025), or it answered `server/discover` without 2026-07-28 and refused
 * `initialize` too (`neither`), or it did not answer `server/discover` (a refusal, a timeout, a
 * closed connection: `unanswered`, worth asking again on a new connection). `unbridged`: the
 * connection has no bridge, nothing was asked and messages pass through.
 */
export type UpstreamEra =
  | { readonly kind: "serves"; readonly era: Era; readonly versions: readonly string[] }
  | { readonly kind: "neither"; readonly versions: readonly string[] }
  | { readonly kind: "unanswered"; readonly message: string }
  | { readonly kind: "unbridged" };

/** What the connection settles on, and what the agent's opening handshake is answered with. */
export interface Detection {
  readonly upstreamEra: Era;
  readonly translating: boolean;
  /** The upstream's own handshake answer when translating (it answers the agent's handshake of the other era). */
  readonly handshake: JsonObject | undefined;
  /** The result for the agent's handshake, or (neither handshake worked) the upstream's own refusal. */
  readonly answer: { readonly result: JsonObject } | { readonly refusal: JsonRpcResponse };
  /** The 2025-era revision a 2025-era upstream agreed to for a 2026-07-28 agent: the session's revision from now on. */
  readonly sessionRevision?: string;
  readonly found: UpstreamEra;
}

/** Sends one probe upstream and resolves with its answer (an error answer on timeout or close). */
export type Ask = (method: string, params: JsonObject | undefined) => Promise<JsonRpcResponse>;

/** A 2025-era agent: its `initialize` first, then `server/discover` with `envelope` (the agent's identity). */
export async function detectForLegacyAgent(ask: Ask, initialize: JsonObject | undefined, envelope: JsonObject): Promise<Detection> {
  const first = await ask("initialize", initialize);
  if (isInitializeResult(first)) {
    return { upstreamEra: "2025", translating: false, handshake: undefined, answer: { result: first.result }, found: { kind: "serves", era: "2025", versions: [first.result.protocolVersion] } };
  }
  const discover = await ask("server/discover", { _meta: envelope });
  if ("result" in discover && discoverSpeaksModern(discover.result)) {
    const result = initializeResultFromDiscover(discover.result, initialize?.protocolVersion);
    return { upstreamEra: "2026-07-28", translating: true, handshake: discover.result, answer: { result }, found: { kind: "serves", era: "2026-07-28", versions: supportedVersions(discover.result) } };
  }
  return { upstreamEra: "2025", translating: false, handshake: undefined, answer: { refusal: first }, found: servesNeither(discover) };
}

/** A 2026-07-28 agent: `server/discover` with `discover` params first, then `initialize` made with its identity. */
export async function detectForModernAgent(ask: Ask, discover: JsonObject | undefined, identity: ClientIdentity): Promise<Detection> {
  const answer = await ask("server/discover", discover);
  if ("result" in answer && discoverSpeaksModern(answer.result)) {
    return { upstreamEra: "2026-07-28", translating: false, handshake: undefined, answer: { result: answer.result }, found: { kind: "serves", era: "2026-07-28", versions: supportedVersions(answer.result) } };
  }
  const init = await ask("initialize", initializeParams(identity));
  if (!isInitializeResult(init)) {
    // Neither handshake worked: pass through, the server's answers reach the agent.
    return { upstreamEra: "2026-07-28", translating: false, handshake: undefined, answer: { refusal: answer }, found: servesNeither(answer) };
  }
  const revision = init.result.protocolVersion;
  return { upstreamEra: "2025", translating: true, handshake: init.result, answer: { result: discoverResultFromInitialize(init.result) }, sessionRevision: revision, found: { kind: "serves", era: "2025", versions: [revision] } };
}

/** The era a request opens a connection in; undefined for a request that names none. */
export function openingEra(method: string, params: JsonObject | undefined): Era | undefined {
  if (method === "initialize") return "2025";
  if (method === "server/discover") return "2026-07-28";
  const revision = metaRevision(params);
  return revision === undefined ? undefined : eraOfRevision(revision);
}

/** A 2025-era server's `initialize` answer names the revision it agreed to. */
function isInitializeResult(answer: JsonRpcResponse): answer is JsonRpcResponse & { result: JsonObject & { protocolVersion: string } } {
  return "result" in answer && typeof answer.result.protocolVersion === "string";
}

/** The revisions a `server/discover` result lists. */
function supportedVersions(result: JsonObject): string[] {
  return Array.isArray(result.supportedVersions) ? result.supportedVersions.filter((v): v is string => typeof v === "string") : [];
}

/** Neither handshake worked: judged by the `server/discover` answer. */
function servesNeither(discover: JsonRpcResponse): UpstreamEra {
  if ("result" in discover) return { kind: "neither", versions: supportedVersions(discover.result) };
  const message: unknown = discover.error.message; // as the upstream sent it, unchecked
  return { kind: "unanswered", message: typeof message === "string" ? message : "no message" };
}
