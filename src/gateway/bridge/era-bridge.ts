/**
 * The era bridge: a `Transport` the gateway talks to in place of its upstream connection. It finds
 * out which era of MCP the upstream speaks, remembers it for the life of the connection, and,
 * when the agent speaks the other era, translates every message both ways (docs/architecture.md#sessions-and-eras). When both
 * sides speak the same era it passes messages through untouched.
 *
 * Detection, on the agent's first request that names an era (`initialize`, `server/discover`, or
 * a request carrying `io.modelcontextprotocol/protocolVersion` in `_meta`): the agent's own era is
 * tried first, so that a server that speaks both is used as the agent expects and nothing is
 * translated; when the server refuses it (any JSON-RPC error: -32022 from a 2026-07-28-only server,
 * -32601 from a 2025-era one, HTTP 400 bodies included), the other era's handshake is tried. The
 * probes carry the bridge's own ids (`toolgate-bridge:N`), never the agent's. If neither works the
 * agent gets the server's first refusal and messages pass through unchanged.
 *
 * Messages that wait while the upstream is being probed are queued and sent, in order, after.
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { eraMeta, metaRevision, eraOfRevision, type Era } from "../../protocol/eras.js";
import {
  discoverResultFromInitialize,
  discoverSpeaksModern,
  identityFromInitialize,
  identityFromMeta,
  initializeParams,
  initializeResultFromDiscover,
  LATEST_LEGACY_REVISION,
  LEGACY_ONLY_REQUESTS,
  MODERN_ONLY_REQUESTS,
  modernEnvelope,
  toLegacyResult,
  toModernResult,
  untranslatable,
  withEnvelope,
  withoutEnvelope,
  type ClientIdentity,
} from "../../protocol/era-translation.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcResponse } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { errorResponse, INTERNAL_ERROR } from "../../protocol/wire-errors.js";
import { messageOf } from "../../core/errors.js";

export interface EraBridgeOptions {
  /** The real upstream connection (stdio child, Streamable HTTP client…). */
  readonly upstream: Transport;
  readonly clock: Clock;
  /** How long one detection probe may wait for the upstream's answer. */
  readonly probeTimeoutMs: number;
  readonly log: (line: object) => void;
}

/** What the bridge knows: the agent's era, the upstream's, and whether it translates. */
export interface BridgeState {
  readonly agentEra: Era | undefined;
  readonly upstreamEra: Era | undefined;
  readonly translating: boolean;
}

const DONE: Promise<void> = Promise.resolve();
const PROBE_PREFIX = "toolgate-bridge:";

type AnyMessage = JsonRpcMessage & { id?: JsonRpcId | null; method?: string; params?: JsonObject; result?: unknown; error?: unknown };

export class EraBridge implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private agentEra: Era | undefined;
  private upstreamEra: Era | undefined;
  private translating = false;
  private detecting = false;
  private queue: JsonRpcMessage[] = [];
  /** The agent's identity, stated on each 2026-07-28 request made for a 2025-era agent. */
  private identity: ClientIdentity | undefined;
  private envelope: JsonObject | undefined;
  /** The upstream's own handshake answer, to answer the agent's handshake of the other era. */
  private upstreamHandshake: JsonObject | undefined;
  /** Method of each translated request in flight, by id (to name it in an untranslatable answer). */
  private readonly methods = new Map<JsonRpcId, string>();
  private readonly probes = new Map<string, (answer: JsonRpcResponse) => void>();
  private nextProbe = 1;
  private closed = false;

  constructor(private readonly o: EraBridgeOptions) {}

  get state(): BridgeState {
    return { agentEra: this.agentEra, upstreamEra: this.upstreamEra, translating: this.translating };
  }

  /** Translated requests waiting for their answer (remembered to name them in an untranslatable answer). */
  get translationsInFlight(): number {
    return this.methods.size;
  }

  async start(): Promise<void> {
    const upstream = this.o.upstream;
    upstream.onmessage = (message) => this.fromUpstream(message as AnyMessage);
    upstream.onerror = (error) => this.onerror?.(error);
    upstream.onclose = () => this.upstreamClosed();
    await upstream.start();
  }

  setProtocolVersion(version: string): void {
    // A 2025-era agent answered from a 2026-07-28 server: there is no session revision to send.
    if (this.translating && this.upstreamEra === "2026-07-28") return;
    this.o.upstream.setProtocolVersion?.(version);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failProbes("the upstream connection closed");
    await this.o.upstream.close();
  }

  // ── agent (gateway) → upstream ──────────────────────────────────────────────────────────────

  send(message: JsonRpcMessage): Promise<void> {
    if (this.detecting) {
      this.queue.push(message);
      return DONE;
    }
    const m = message as AnyMessage;
    if (this.upstreamEra === undefined && m.method !== undefined && m.id !== undefined && m.id !== null) {
      const era = openingEra(m.method, m.params);
      if (era !== undefined) {
        void this.detect(m, m.id, era);
        return DONE;
      }
    }
    return this.translating ? this.translateDown(m) : this.o.upstream.send(message);
  }

  private translateDown(m: AnyMessage): Promise<void> {
    const toModern = this.upstreamEra === "2026-07-28";
    const from = this.agentEra!;
    const to = this.upstreamEra!;
    if (m.method === undefined) return this.o.upstream.send(m); // an answer to a server request
    if (m.id === undefined || m.id === null) {
      // A cancelled request (by the agent, or by the gateway on its timeout) may never be answered.
      if (m.method === "notifications/cancelled") {
        const cancelled = m.params?.requestId;
        if (typeof cancelled === "string" || typeof cancelled === "number") this.methods.delete(cancelled);
      }
      if (toModern) {
        // 2026-07-28 has no handshake to confirm and no roots to announce changes of.
        if (m.method === "notifications/initialized" || m.method === "notifications/roots/list_changed") return DONE;
        return this.o.upstream.send(withParams(m, withEnvelope(m.params, this.envelope!)));
      }
      return this.o.upstream.send(withParams(m, withoutEnvelope(m.params)));
    }
    const id = m.id;
    if (toModern) {
      switch (m.method) {
        case "initialize":
          return this.deliver({ jsonrpc: "2.0", id, result: initializeResultFromDiscover(this.upstreamHandshake ?? {}, m.params?.protocolVersion) });
        case "ping":
          return this.deliver({ jsonrpc: "2.0", id, result: {} });
      }
      if (LEGACY_ONLY_REQUESTS.has(m.method)) return this.deliver(untranslatable(id, "method", m.method, from, to, "the method does not exist in MCP 2026-07-28"));
      this.methods.set(id, m.method);
      return this.o.upstream.send(withParams(m, withEnvelope(m.params, this.envelope!)));
    }
    if (m.method === "server/discover") return this.deliver({ jsonrpc: "2.0", id, result: discoverResultFromInitialize(this.upstreamHandshake ?? {}) });
    if (MODERN_ONLY_REQUESTS.has(m.method)) return this.deliver(untranslatable(id, "method", m.method, from, to, "the method does not exist in 2025-era MCP"));
    this.methods.set(id, m.method);
    return this.o.upstream.send(withParams(m, withoutEnvelope(m.params)));
  }

  // ── upstream → agent (gateway) ──────────────────────────────────────────────────────────────

  private fromUpstream(m: AnyMessage): void {
    if (!isJsonObject(m)) return this.onmessage?.(m);
    const id = m.id;
    if (m.method === undefined) {
      if (typeof id === "string" && id.startsWith(PROBE_PREFIX)) {
        const resolve = this.probes.get(id);
        if (resolve) {
          this.probes.delete(id);
          resolve(m as JsonRpcResponse);
        }
        return;
      }
      if (this.translating && id !== undefined && id !== null) return this.translateUp(m, id);
      return this.onmessage?.(m);
    }
    if (this.translating && id !== undefined && id !== null && this.upstreamEra === "2025") return this.serverRequest(m.method, id);
    this.onmessage?.(m);
  }

  private translateUp(m: AnyMessage, id: JsonRpcId): void {
    const method = this.methods.get(id);
    this.methods.delete(id);
    if (!isJsonObject(m.result)) return this.onmessage?.(m);
    if (this.upstreamEra === "2025") return this.onmessage?.({ jsonrpc: "2.0", id, result: toModernResult(m.result, method, this.serverInfo()) });
    const legacy = toLegacyResult(m.result);
    if (legacy.ok) return this.onmessage?.({ jsonrpc: "2.0", id, result: legacy.result });
    this.o.log({ level: "warn", event: "untranslatable", method, resultType: legacy.resultType, message: `a 2026-07-28 \`${legacy.resultType}\` result has no 2025-era form` });
    this.onmessage?.(untranslatable(id, "shape", method ?? "(unknown)", "2026-07-28", "2025", `the server answered with \`resultType: "${legacy.resultType}"\`, which a 2025-era client cannot receive`));
  }

  /** A 2025-era server's request to a 2026-07-28 agent: `ping` is answered here, the rest refused. */
  private serverRequest(method: string, id: JsonRpcId): void {
    if (method === "ping") return void this.o.upstream.send({ jsonrpc: "2.0", id, result: {} }).catch(() => {});
    this.o.log({ level: "warn", event: "untranslatable", method, message: `refused the server's \`${method}\` request: 2026-07-28 clients take no server-to-client requests` });
    void this.o.upstream.send(untranslatable(id, "method", method, "2025", "2026-07-28", "MCP 2026-07-28 has no server-to-client requests on the wire")).catch(() => {});
  }

  // ── detection ───────────────────────────────────────────────────────────────────────────────

  private async detect(opening: AnyMessage, id: JsonRpcId, agentEra: Era): Promise<void> {
    this.detecting = true;
    this.agentEra = agentEra;
    try {
      if (agentEra === "2025") await this.detectForLegacyAgent(opening, id);
      else await this.detectForModernAgent(opening, id);
    } catch (error) {
      this.o.log({ level: "error", event: "era_detection_failed", message: messageOf(error) });
      this.upstreamEra ??= agentEra;
    } finally {
      this.detecting = false;
      this.o.log({ level: "info", event: "upstream_era", agentEra: this.agentEra, upstreamEra: this.upstreamEra, bridged: this.translating });
      const queued = this.queue;
      this.queue = [];
      for (const message of queued) void this.send(message).catch(() => {});
    }
  }

  private async detectForLegacyAgent(opening: AnyMessage, id: JsonRpcId): Promise<void> {
    const first = await this.probe("initialize", opening.params);
    if (isInitializeResult(first)) {
      this.upstreamEra = "2025";
      return void this.deliver({ jsonrpc: "2.0", id, result: first.result });
    }
    this.identity = identityFromInitialize(opening.params);
    this.envelope = modernEnvelope(this.identity);
    const discover = await this.probe("server/discover", { _meta: this.envelope });
    if ("result" in discover && discoverSpeaksModern(discover.result)) {
      this.upstreamEra = "2026-07-28";
      this.translating = true;
      this.upstreamHandshake = discover.result;
      return void this.deliver({ jsonrpc: "2.0", id, result: initializeResultFromDiscover(discover.result, opening.params?.protocolVersion) });
    }
    this.upstreamEra = "2025"; // neither handshake worked: the agent sees the server's own refusal
    this.deliver({ ...first, id });
  }

  private async detectForModernAgent(opening: AnyMessage, id: JsonRpcId): Promise<void> {
    this.identity = identityFromMeta(opening.params);
    const isDiscover = opening.method === "server/discover";
    const discover = await this.probe("server/discover", isDiscover ? opening.params : { _meta: { ...modernEnvelope(this.identity), ...eraMeta(opening.params) } });
    if ("result" in discover && discoverSpeaksModern(discover.result)) {
      this.upstreamEra = "2026-07-28";
      if (isDiscover) return void this.deliver({ jsonrpc: "2.0", id, result: discover.result });
      return void this.o.upstream.send(opening).catch((error: unknown) => this.answerUnreachable(id, error));
    }
    const init = await this.probe("initialize", initializeParams(this.identity));
    if (!isInitializeResult(init)) {
      this.upstreamEra = "2026-07-28"; // neither handshake worked: pass through, the server's answers reach the agent
      if (isDiscover) return void this.deliver({ ...discover, id });
      return void this.o.upstream.send(opening).catch((error: unknown) => this.answerUnreachable(id, error));
    }
    this.upstreamEra = "2025";
    this.translating = true;
    this.upstreamHandshake = init.result;
    const revision = init.result.protocolVersion;
    this.o.upstream.setProtocolVersion?.(typeof revision === "string" ? revision : LATEST_LEGACY_REVISION);
    await this.o.upstream.send({ jsonrpc: "2.0", method: "notifications/initialized" }).catch(() => {});
    if (isDiscover) return void this.deliver({ jsonrpc: "2.0", id, result: discoverResultFromInitialize(init.result) });
    await this.translateDown(opening).catch((error: unknown) => this.answerUnreachable(id, error));
  }

  /** Sends one request of the bridge's own and resolves with its answer (an error answer on timeout or close). */
  private probe(method: string, params: JsonObject | undefined): Promise<JsonRpcResponse> {
    const id = `${PROBE_PREFIX}${this.nextProbe++}`;
    return new Promise((resolve) => {
      if (this.closed) return resolve(errorResponse(id, INTERNAL_ERROR, "the upstream connection closed") as JsonRpcResponse);
      let timer: TimerHandle | undefined;
      const settle = (answer: JsonRpcResponse): void => {
        timer?.cancel();
        resolve(answer);
      };
      this.probes.set(id, settle);
      timer = this.o.clock.setTimer(() => {
        if (this.probes.delete(id)) resolve(errorResponse(id, INTERNAL_ERROR, `the upstream did not answer \`${method}\` within ${this.o.probeTimeoutMs} ms`) as JsonRpcResponse);
      }, this.o.probeTimeoutMs);
      const request = params === undefined ? { jsonrpc: "2.0" as const, id, method } : { jsonrpc: "2.0" as const, id, method, params };
      this.o.upstream.send(request).catch((error: unknown) => {
        if (this.probes.delete(id)) settle(errorResponse(id, INTERNAL_ERROR, `cannot send \`${method}\` upstream: ${messageOf(error)}`) as JsonRpcResponse);
      });
    });
  }

  private failProbes(reason: string): void {
    const open = [...this.probes];
    this.probes.clear();
    for (const [id, resolve] of open) resolve(errorResponse(id, INTERNAL_ERROR, reason) as JsonRpcResponse);
  }

  private answerUnreachable(id: JsonRpcId, error: unknown): void {
    this.deliver(errorResponse(id, INTERNAL_ERROR, `the upstream MCP server could not be reached: ${messageOf(error)}`, { "toolgate/error": "upstream_unreachable" }));
  }

  /** The 2025-era server's `serverInfo`, stamped on results for a 2026-07-28 agent. */
  private serverInfo(): JsonObject | undefined {
    const info = this.upstreamHandshake?.serverInfo;
    return isJsonObject(info) ? info : undefined;
  }

  private deliver(message: JsonRpcMessage): Promise<void> {
    if (!this.closed) this.onmessage?.(message);
    return DONE;
  }

  private upstreamClosed(): void {
    this.failProbes("the upstream connection closed");
    this.methods.clear();
    this.onclose?.();
  }
}

/** A 2025-era server's `initialize` answer names the revision it agreed to. */
function isInitializeResult(answer: JsonRpcResponse): answer is JsonRpcResponse & { result: JsonObject } {
  return "result" in answer && typeof answer.result.protocolVersion === "string";
}

/** The era a request opens a connection in; undefined for a request that names none. */
function openingEra(method: string, params: JsonObject | undefined): Era | undefined {
  if (method === "initialize") return "2025";
  if (method === "server/discover") return "2026-07-28";
  const revision = metaRevision(params);
  return revision === undefined ? undefined : eraOfRevision(revision);
}

function withParams(m: AnyMessage, params: JsonObject | undefined): JsonRpcMessage {
  if (params === m.params) return m;
  const { params: _old, ...rest } = m;
  return (params === undefined ? rest : { ...rest, params }) as JsonRpcMessage;
}
