/**
 * The era bridge: a `Transport` the gateway talks to in place of its upstream connection. It finds
 * out which era of MCP the upstream speaks, remembers it for the life of the connection, and,
 * when the agent speaks the other era, translates every message both ways (docs/architecture.md#sessions-and-eras). When both
 * sides speak the same era it passes messages through untouched.
 *
 * Detection (`era-detection.ts`) runs on the agent's first request that names an era; its probes
 * carry the bridge's own ids (`bridge-probes.ts`), never the agent's.
 *
 * Messages that wait while the upstream is being probed are queued and sent, in order, after;
 * the promise `send` returned for each (the opening request too) settles when it is really sent,
 * so a message that then cannot be sent is the caller's failed send — one answer, "not sent" —
 * and never a silent loss that the caller's deadline would answer a second time.
 * A caller that must know the upstream's era before it sends anything (the HTTP front's
 * stateless channel) asks `upstreamEraFor()`, which runs the same detection as a 2026-07-28 agent.
 */
import type { Clock } from "../../core/clock.js";
import { eraMeta, type Era } from "../../protocol/eras.js";
import {
  discoverResultFromInitialize,
  identityFromInitialize,
  identityFromMeta,
  initializeResultFromDiscover,
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
import { messageOf } from "../../core/errors.js";
import { BridgeProbes } from "./bridge-probes.js";
import { detectForLegacyAgent, detectForModernAgent, openingEra, type Detection, type UpstreamEra } from "./era-detection.js";

export type { UpstreamEra } from "./era-detection.js";

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

type AnyMessage = JsonRpcMessage & { id?: JsonRpcId | null; method?: string; params?: JsonObject; result?: unknown; error?: unknown };

export class EraBridge implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private agentEra: Era | undefined;
  private upstreamEra: Era | undefined;
  private translating = false;
  private detecting = false;
  private queue: Array<{ readonly message: JsonRpcMessage; readonly sent: Sent }> = [];
  /** The agent's identity, stated on each 2026-07-28 request made for a 2025-era agent. */
  private identity: ClientIdentity | undefined;
  private envelope: JsonObject | undefined;
  /** The upstream's own handshake answer, to answer the agent's handshake of the other era. */
  private upstreamHandshake: JsonObject | undefined;
  /** Method of each translated request in flight, by id (to name it in an untranslatable answer). */
  private readonly methods = new Map<JsonRpcId, string>();
  private readonly probes: BridgeProbes;
  /** The detection this connection ran (or runs), by whichever request opened it. */
  private detection: Promise<UpstreamEra> | undefined;
  private closed = false;

  constructor(private readonly o: EraBridgeOptions) {
    this.probes = new BridgeProbes({ upstream: o.upstream, clock: o.clock, timeoutMs: o.probeTimeoutMs });
  }

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

  /**
   * The upstream's era for a 2026-07-28 caller that sends no handshake, with `params` the caller's
   * (its `_meta` names it): detected as that caller's first request would be, unless a request
   * opened the connection already.
   */
  upstreamEraFor(params: JsonObject | undefined): Promise<UpstreamEra> {
    this.detection ??= this.detect("2026-07-28", () => this.openModern(params, undefined));
    return this.detection;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.probes.close("the upstream connection closed");
    await this.o.upstream.close();
  }

  // ── agent (gateway) → upstream ──────────────────────────────────────────────────────────────

  send(message: JsonRpcMessage): Promise<void> {
    if (this.detecting) {
      const sent = new Sent();
      this.queue.push({ message, sent });
      return sent.promise;
    }
    const m = message as AnyMessage;
    if (this.upstreamEra === undefined && m.method !== undefined && m.id !== undefined && m.id !== null) {
      const era = openingEra(m.method, m.params);
      if (era !== undefined) {
        const sent = new Sent();
        this.detection = this.detect(era, () => (era === "2025" ? this.openLegacy(m, m.id!, sent) : this.openModern(m.params, { message: m, sent })));
        return sent.promise;
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
      if (BridgeProbes.owns(id)) return this.probes.answer(id, m as JsonRpcResponse);
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

  private async detect(agentEra: Era, run: () => Promise<UpstreamEra>): Promise<UpstreamEra> {
    this.detecting = true;
    this.agentEra = agentEra;
    let found: UpstreamEra;
    try {
      found = await run();
    } catch (error) {
      this.o.log({ level: "error", event: "era_detection_failed", message: messageOf(error) });
      this.upstreamEra ??= agentEra;
      found = { kind: "unanswered", message: messageOf(error) };
    } finally {
      this.detecting = false;
      this.o.log({ level: "info", event: "upstream_era", agentEra: this.agentEra, upstreamEra: this.upstreamEra, bridged: this.translating });
      const queued = this.queue;
      this.queue = [];
      for (const { message, sent } of queued) sent.follow(() => this.send(message));
    }
    return found;
  }

  /** The agent's `initialize` is answered here, from the probes: it is never sent as such. */
  private async openLegacy(opening: AnyMessage, id: JsonRpcId, sent: Sent): Promise<UpstreamEra> {
    sent.done();
    this.identity = identityFromInitialize(opening.params);
    this.envelope = modernEnvelope(this.identity);
    const detection = await detectForLegacyAgent((method, p) => this.probes.ask(method, p), opening.params, this.envelope);
    this.settle(detection);
    this.deliver(answerOf(detection, id));
    return detection.found;
  }

  /**
   * A 2026-07-28 agent opens the connection, with `params` its own: by its first request `opening`
   * (sent on once the upstream is known), or by asking `upstreamEraFor()` before it sends anything.
   */
  private async openModern(params: JsonObject | undefined, opening: { readonly message: AnyMessage; readonly sent: Sent } | undefined): Promise<UpstreamEra> {
    this.identity = identityFromMeta(params);
    const isDiscover = opening?.message.method === "server/discover";
    let detection: Detection;
    try {
      detection = await detectForModernAgent((method, p) => this.probes.ask(method, p), isDiscover ? params : { _meta: { ...modernEnvelope(this.identity), ...eraMeta(params) } }, this.identity);
    } catch (error) {
      opening?.sent.failed(error); // the opening was never sent: its caller answers it once
      throw error;
    }
    this.settle(detection);
    if (detection.sessionRevision !== undefined) {
      this.o.upstream.setProtocolVersion?.(detection.sessionRevision);
      await this.o.upstream.send({ jsonrpc: "2.0", method: "notifications/initialized" }).catch(() => {});
    }
    if (opening === undefined) return detection.found;
    const { message, sent } = opening;
    if (isDiscover) {
      sent.done();
      this.deliver(answerOf(detection, message.id!));
    } else if (this.translating) await sent.follow(() => this.translateDown(message));
    else sent.follow(() => this.o.upstream.send(message));
    return detection.found;
  }

  private settle(detection: Detection): void {
    this.upstreamEra = detection.upstreamEra;
    this.translating = detection.translating;
    this.upstreamHandshake = detection.handshake;
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
    this.probes.failAll("the upstream connection closed");
    this.methods.clear();
    this.onclose?.();
  }
}

/** The promise `send` gave for a message that waited: settled once the message is really sent, or not. */
class Sent {
  readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  done(): void {
    this.resolve();
  }

  failed(error: unknown): void {
    this.reject(error);
  }

  /** Sends now (a synchronous throw is a failed send too) and settles with the outcome; never rejects itself. */
  follow(send: () => Promise<void>): Promise<void> {
    let sending: Promise<void>;
    try {
      sending = send();
    } catch (error) {
      sending = Promise.reject(error);
    }
    return sending.then(
      () => this.resolve(),
      (error: unknown) => this.reject(error),
    );
  }
}

/** The answer to the agent's opening handshake, under its own id. */
function answerOf(detection: Detection, id: JsonRpcId): JsonRpcMessage {
  const answer = detection.answer;
  return "result" in answer ? { jsonrpc: "2.0", id, result: answer.result } : { ...answer.refusal, id };
}

function withParams(m: AnyMessage, params: JsonObject | undefined): JsonRpcMessage {
  if (params === m.params) return m;
  const { params: _old, ...rest } = m;
  return (params === undefined ? rest : { ...rest, params }) as JsonRpcMessage;
}

/** The upstream's era for a 2026-07-28 caller without a handshake; `unbridged` when `upstream` is no bridge. */
export function upstreamEraOf(upstream: Transport, params: JsonObject | undefined): Promise<UpstreamEra> {
  return upstream instanceof EraBridge ? upstream.upstreamEraFor(params) : Promise.resolve({ kind: "unbridged" });
}
