/**
 * One upstream server of a stack: its connection (behind its own era bridge, so each server may
 * speak either era), its state and last error, and restarts with backoff when the connection goes
 * away. The stack (`stack-upstream.ts`) owns routing and ids; a member only connects, sends and
 * reports what it receives and when it dies.
 *
 * States: `starting` (connecting, or replaying the agent's handshake), `ready`, `restarting` (gone,
 * a restart is scheduled), `failing` (start-up failed and the config says to serve the rest:
 * retried like a restart), `stopped` (the stack closed).
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import type { JsonRpcMessage } from "../../protocol/messages.js";
import type { Transport } from "../../protocol/transport.js";
import { EraBridge } from "../bridge/era-bridge.js";

import type { ServerState } from "../server-status.js";

export type MemberState = ServerState;

/** Backoff between restarts: 250 ms doubling to at most 30 s; back to 250 ms after a minute up. */
export const RESTART_BACKOFF_MS = { first: 250, max: 30_000, healthyAfterMs: 60_000 } as const;

export interface MemberEvents {
  message(member: StackMember, message: JsonRpcMessage): void;
  /** The connection went away (before or after it was ready). */
  died(member: StackMember, reason: string): void;
  /** A new connection is up and wants its handshake. */
  connected(member: StackMember): void;
}

export interface StackMemberOptions {
  readonly name: string;
  /** Opens a fresh connection to the server (a child process, an HTTP client). */
  readonly open: () => Transport;
  readonly clock: Clock;
  readonly probeTimeoutMs: number;
  readonly log: (line: object) => void;
  readonly events: MemberEvents;
}

export class StackMember {
  state: MemberState = "starting";
  lastError: string | undefined;
  restarts = 0;
  private transport: Transport | undefined;
  private generation = 0;
  private failuresInARow = 0;
  private upSinceMs = 0;
  private timer: TimerHandle | undefined;
  private everReady = false;

  constructor(private readonly o: StackMemberOptions) {}

  get name(): string {
    return this.o.name;
  }

  async connect(): Promise<void> {
    const generation = ++this.generation;
    const raw = this.o.open();
    const bridge = new EraBridge({ upstream: raw, clock: this.o.clock, probeTimeoutMs: this.o.probeTimeoutMs, log: this.o.log });
    bridge.onmessage = (message) => {
      if (generation === this.generation) this.o.events.message(this, message);
    };
    bridge.onerror = (error) => this.o.log({ level: "warn", event: "upstream_frame_error", server: this.name, message: error.message });
    bridge.onclose = () => {
      if (generation === this.generation) this.gone("the connection closed");
    };
    this.transport = bridge;
    this.state = "starting";
    try {
      await bridge.start();
    } catch (error) {
      if (generation === this.generation) this.gone(`could not start: ${messageOf(error)}`);
      return;
    }
    if (generation === this.generation && this.state === "starting") this.o.events.connected(this);
  }

  /** The handshake (if any) is done: the member serves. */
  markReady(): void {
    this.state = "ready";
    this.everReady = true;
    this.upSinceMs = this.o.clock.nowMs();
  }

  send(message: JsonRpcMessage): void {
    const transport = this.transport;
    if (transport === undefined) throw new Error(`server \`${this.name}\` has no connection`);
    transport.send(message).catch((error: unknown) => this.gone(`a send failed: ${messageOf(error)}`));
  }

  /** The connection failed or closed: report it, and schedule a restart unless stopped. */
  gone(reason: string): void {
    if (this.state === "stopped" || this.state === "restarting" || this.state === "failing") return;
    const wasUpMs = this.state === "ready" ? this.o.clock.nowMs() - this.upSinceMs : 0;
    if (wasUpMs >= RESTART_BACKOFF_MS.healthyAfterMs) this.failuresInARow = 0;
    this.lastError = reason;
    this.state = this.everReady ? "restarting" : "failing";
    const transport = this.transport;
    this.transport = undefined;
    this.generation++;
    void transport?.close().catch(() => undefined);
    this.o.events.died(this, reason);
    const delayMs = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** this.failuresInARow);
    this.failuresInARow++;
    this.o.log({ level: "warn", event: "server_restart_scheduled", server: this.name, message: `server \`${this.name}\` went away (${reason}); restarting in ${delayMs} ms`, delayMs, attempt: this.failuresInARow });
    this.timer = this.o.clock.setTimer(() => {
      this.timer = undefined;
      if (this.state === "stopped") return;
      this.restarts++;
      void this.connect();
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.state = "stopped";
    this.timer?.cancel();
    this.generation++;
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close().catch(() => undefined);
  }
}
