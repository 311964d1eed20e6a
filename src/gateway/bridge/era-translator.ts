/**
 * The translation of one connection's messages between the agent's era and the upstream's, once
 * the era bridge (`era-bridge.ts`) has found that they differ (docs/eras.md): requests and
 * notifications going up get the upstream era's envelope (or lose the agent's), results coming
 * back get the agent era's shape, handshakes of the agent's era are answered from the upstream's
 * own, and what has no form in the other era is answered as untranslatable. The message shapes
 * themselves are pure functions in `protocol/era-translation.ts`.
 */
import type { Era } from "../../protocol/eras.js";
import {
  discoverResultFromInitialize,
  initializeResultFromDiscover,
  LEGACY_ONLY_REQUESTS,
  MODERN_ONLY_REQUESTS,
  toLegacyResult,
  toModernResult,
  untranslatable,
  withEnvelope,
  withoutEnvelope,
} from "../../protocol/era-translation.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";

const DONE: Promise<void> = Promise.resolve();

export type AnyMessage = JsonRpcMessage & { id?: JsonRpcId | null; method?: string; params?: JsonObject; result?: unknown; error?: unknown };

export interface EraTranslatorOptions {
  readonly upstream: Transport;
  readonly agentEra: Era;
  readonly upstreamEra: Era;
  /** The agent's identity as a 2026-07-28 `_meta` envelope (set when the upstream speaks 2026-07-28). */
  readonly envelope: JsonObject | undefined;
  /** The upstream's own handshake answer, to answer the agent's handshake of the other era. */
  readonly handshake: JsonObject | undefined;
  /** Answers the agent from here. */
  readonly deliver: (message: JsonRpcMessage) => Promise<void>;
  readonly log: (line: object) => void;
}

export class EraTranslator {
  /** Method of each translated request in flight, by id (to name it in an untranslatable answer). */
  private readonly methods = new Map<JsonRpcId, string>();
  private readonly toModern: boolean;
  /** The 2025-era server's `serverInfo`, stamped on results for a 2026-07-28 agent. */
  private readonly serverInfo: JsonObject | undefined;

  constructor(private readonly o: EraTranslatorOptions) {
    this.toModern = o.upstreamEra === "2026-07-28";
    const info = o.handshake?.serverInfo;
    this.serverInfo = isJsonObject(info) ? info : undefined;
  }

  /** Translated requests waiting for their answer. */
  get inFlight(): number {
    return this.methods.size;
  }

  /** A message from the agent, sent upstream in the upstream's era (or answered here). */
  down(m: AnyMessage): Promise<void> {
    const { upstream, agentEra: from, upstreamEra: to } = this.o;
    if (m.method === undefined) return upstream.send(m); // an answer to a server request
    if (m.id === undefined || m.id === null) {
      // A cancelled request (by the agent, or by the gateway on its timeout) may never be answered.
      if (m.method === "notifications/cancelled") {
        const cancelled = m.params?.requestId;
        if (typeof cancelled === "string" || typeof cancelled === "number") this.methods.delete(cancelled);
      }
      if (this.toModern) {
        // 2026-07-28 has no handshake to confirm and no roots to announce changes of.
        if (m.method === "notifications/initialized" || m.method === "notifications/roots/list_changed") return DONE;
        return upstream.send(withParams(m, withEnvelope(m.params, this.o.envelope!)));
      }
      return upstream.send(withParams(m, withoutEnvelope(m.params)));
    }
    const id = m.id;
    if (this.toModern) {
      switch (m.method) {
        case "initialize":
          return this.o.deliver({ jsonrpc: "2.0", id, result: initializeResultFromDiscover(this.o.handshake ?? {}, m.params?.protocolVersion) });
        case "ping":
          return this.o.deliver({ jsonrpc: "2.0", id, result: {} });
      }
      if (LEGACY_ONLY_REQUESTS.has(m.method)) return this.o.deliver(untranslatable(id, "method", m.method, from, to, "the method does not exist in MCP 2026-07-28"));
      this.methods.set(id, m.method);
      return upstream.send(withParams(m, withEnvelope(m.params, this.o.envelope!)));
    }
    if (m.method === "server/discover") return this.o.deliver({ jsonrpc: "2.0", id, result: discoverResultFromInitialize(this.o.handshake ?? {}) });
    if (MODERN_ONLY_REQUESTS.has(m.method)) return this.o.deliver(untranslatable(id, "method", m.method, from, to, "the method does not exist in 2025-era MCP"));
    this.methods.set(id, m.method);
    return upstream.send(withParams(m, withoutEnvelope(m.params)));
  }

  /** The upstream's answer to request `id`, as the agent receives it. */
  up(m: AnyMessage, id: JsonRpcId): JsonRpcMessage {
    const method = this.methods.get(id);
    this.methods.delete(id);
    if (!isJsonObject(m.result)) return m;
    if (!this.toModern) return { jsonrpc: "2.0", id, result: toModernResult(m.result, method, this.serverInfo) };
    const legacy = toLegacyResult(m.result);
    if (legacy.ok) return { jsonrpc: "2.0", id, result: legacy.result };
    this.o.log({ level: "warn", event: "untranslatable", method, resultType: legacy.resultType, message: `a 2026-07-28 \`${legacy.resultType}\` result has no 2025-era form` });
    return untranslatable(id, "shape", method ?? "(unknown)", "2026-07-28", "2025", `the server answered with \`resultType: "${legacy.resultType}"\`, which a 2025-era client cannot receive`);
  }

  /** A 2025-era server's request to a 2026-07-28 agent: `ping` is answered here, the rest refused. */
  serverRequest(method: string, id: JsonRpcId): void {
    const { upstream } = this.o;
    if (method === "ping") return void upstream.send({ jsonrpc: "2.0", id, result: {} }).catch(() => {});
    this.o.log({ level: "warn", event: "untranslatable", method, message: `refused the server's \`${method}\` request: 2026-07-28 clients take no server-to-client requests` });
    void upstream.send(untranslatable(id, "method", method, "2025", "2026-07-28", "MCP 2026-07-28 has no server-to-client requests on the wire")).catch(() => {});
  }

  /** The connection closed: no request in flight will be answered. */
  clear(): void {
    this.methods.clear();
  }
}

function withParams(m: AnyMessage, params: JsonObject | undefined): JsonRpcMessage {
  if (params === m.params) return m;
  const { params: _old, ...rest } = m;
  return (params === undefined ? rest : { ...rest, params }) as JsonRpcMessage;
}
