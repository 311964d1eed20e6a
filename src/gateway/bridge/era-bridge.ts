/**
 * The era bridge: a `Transport` the gateway talks to in place of its upstream connection. It finds
 * out which era of MCP the upstream speaks, remembers it for the life of the connection, and,
 * when the agent speaks the other era, hands every message to an `EraTranslator`
 * (`era-translator.ts`) that translates it both ways (docs/architecture.md#sessions-and-eras).
 * When both sides speak the same era it passes messages through untouched.
 *
 * Detection (`era-detection.ts`) runs on the agent's first request that names an era; its probes
 * carry the bridge's own ids (`bridge-probes.ts`), never the agent's.
 *
 * Messages that wait while the upstream is being probed are queued and sent, in order, after;
 * the promise `send` returned for each (the opening request too) settles when it is really sent,
 * or cannot be (`pending-send.ts`).
 * A caller that must know the upstream's era before it sends anything (the HTTP front's
 * stateless channel) asks `upstreamEraFor()`, which runs the same detection as a 2026-07-28 agent.
 */
import type { Clock } from "../../core/clock.js";
import { eraMeta, type Era } from "../../protocol/eras.js";
import { identityFromInitialize, identityFromMeta, modernEnvelope, type ClientIdentity } from "../../protocol/era-translation.js";
import { isJsonObject, type JsonObject, type JsonRpcId, type JsonRpcMessage, type JsonRpcResponse } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { messageOf } from "../../core/errors.js";
import { BridgeProbes } from "./bridge-probes.js";
import { detectForLegacyAgent, detectForModernAgent, openingEra, type Detection, type UpstreamEra } from "./era-detection.js";
import { EraTranslator, type AnyMessage } from "./era-translator.js";
import { PendingSend } from "./pending-send.js";

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

export class EraBridge implements Transport {
  onmessage?: ((message: JsonRpcMessage) => void) | undefined;
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;

  private agentEra: Era | undefined;
  private upstreamEra: Era | undefined;
  /** Set once detection found that the agent's era and the upstream's differ. */
  private translator: EraTranslator | undefined;
  private detecting = false;
  private queue: Array<{ readonly message: JsonRpcMessage; readonly sent: PendingSend }> = [];
  /** The agent's identity, stated on each 2026-07-28 request made for a 2025-era agent. */
  private identity: ClientIdentity | undefined;
  private envelope: JsonObject | undefined;
  private readonly probes: BridgeProbes;
  /** The detection this connection ran (or runs), by whichever request opened it. */
  private detection: Promise<UpstreamEra> | undefined;
  private closed = false;

  constructor(private readonly o: EraBridgeOptions) {
    this.probes = new BridgeProbes({ upstream: o.upstream, clock: o.clock, timeoutMs: o.probeTimeoutMs });
  }

  get state(): BridgeState {
    return { agentEra: this.agentEra, upstreamEra: this.upstreamEra, translating: this.translator !== undefined };
  }

  /** Translated requests waiting for their answer (remembered to name them in an untranslatable answer). */
  get translationsInFlight(): number {
    return this.translator?.inFlight ?? 0;
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
    if (this.translator !== undefined && this.upstreamEra === "2026-07-28") return;
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
      const sent = new PendingSend();
      this.queue.push({ message, sent });
      return sent.promise;
    }
    const m = message as AnyMessage;
    if (this.upstreamEra === undefined && m.method !== undefined && m.id !== undefined && m.id !== null) {
      const era = openingEra(m.method, m.params);
      if (era !== undefined) {
        const sent = new PendingSend();
        this.detection = this.detect(era, () => (era === "2025" ? this.openLegacy(m, m.id!, sent) : this.openModern(m.params, { message: m, sent })));
        return sent.promise;
      }
    }
    const translator = this.translator;
    return translator === undefined ? this.o.upstream.send(message) : translator.down(m);
  }

  // ── upstream → agent (gateway) ──────────────────────────────────────────────────────────────

  private fromUpstream(m: AnyMessage): void {
    if (!isJsonObject(m)) return this.onmessage?.(m);
    const id = m.id;
    if (m.method === undefined) {
      if (BridgeProbes.owns(id)) return this.probes.answer(id, m as JsonRpcResponse);
      if (this.translator !== undefined && id !== undefined && id !== null) {
        const answer = this.translator.up(m, id);
        return this.onmessage?.(answer);
      }
      return this.onmessage?.(m);
    }
    if (this.translator !== undefined && id !== undefined && id !== null && this.upstreamEra === "2025") return this.translator.serverRequest(m.method, id);
    this.onmessage?.(m);
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
      this.o.log({ level: "info", event: "upstream_era", agentEra: this.agentEra, upstreamEra: this.upstreamEra, bridged: this.translator !== undefined });
      const queued = this.queue;
      this.queue = [];
      for (const { message, sent } of queued) sent.follow(() => this.send(message));
    }
    return found;
  }

  /** The agent's `initialize` is answered here, from the probes: it is never sent as such. */
  private async openLegacy(opening: AnyMessage, id: JsonRpcId, sent: PendingSend): Promise<UpstreamEra> {
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
  private async openModern(params: JsonObject | undefined, opening: { readonly message: AnyMessage; readonly sent: PendingSend } | undefined): Promise<UpstreamEra> {
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
    } else {
      const translator = this.translator;
      if (translator !== undefined) await sent.follow(() => translator.down(message));
      else sent.follow(() => this.o.upstream.send(message));
    }
    return detection.found;
  }

  private settle(detection: Detection): void {
    this.upstreamEra = detection.upstreamEra;
    if (!detection.translating) return;
    const { upstream, log } = this.o;
    this.translator = new EraTranslator({ upstream, agentEra: this.agentEra!, upstreamEra: detection.upstreamEra, envelope: this.envelope, handshake: detection.handshake, deliver: (message) => this.deliver(message), log });
  }

  private deliver(message: JsonRpcMessage): Promise<void> {
    if (!this.closed) this.onmessage?.(message);
    return DONE;
  }

  private upstreamClosed(): void {
    this.probes.failAll("the upstream connection closed");
    this.translator?.clear();
    this.onclose?.();
  }
}

/** The answer to the agent's opening handshake, under its own id. */
function answerOf(detection: Detection, id: JsonRpcId): JsonRpcMessage {
  const answer = detection.answer;
  return "result" in answer ? { jsonrpc: "2.0", id, result: answer.result } : { ...answer.refusal, id };
}

/** The upstream's era for a 2026-07-28 caller without a handshake; `unbridged` when `upstream` is no bridge. */
export function upstreamEraOf(upstream: Transport, params: JsonObject | undefined): Promise<UpstreamEra> {
  return upstream instanceof EraBridge ? upstream.upstreamEraFor(params) : Promise.resolve({ kind: "unbridged" });
}
