/**
 * The front's 2025-era MCP sessions by `Mcp-Session-Id`. A session is found only by the grant (for a
 * claim grant: the grant and its policy, `owner`)
 * that opened it (another grant's session id is as unknown as a made-up one) and only while it
 * is live; at most `maxSessions` are open, and at most `maxPerGrant` of one grant (so one grant
 * cannot take every slot); a sweep on the injected clock closes sessions idle for `idleMs` (no
 * request, no GET stream, nothing in flight), and runs too before each new session is admitted; a session leaves when its gateway closes; `closeAll()` closes every one (the
 * front's drain).
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../logger.js";

/** The sweep runs this often, or every `idleMs` when that is shorter. */
export const SWEEP_EVERY_MS = 60_000;

/** What the registry needs of a session (`HttpSession` is one). */
export interface RegisteredSession {
  readonly grantId: string;
  /** Who may use the session when that is more than the grant (a claim grant: grant id and policy); default the grant id. */
  readonly owner?: string;
  readonly isClosed: boolean;
  /** Requests waiting for an answer. */
  readonly inFlight: number;
  readonly hasStream: boolean;
  lastUsedMs: number;
  readonly gateway: { close(): Promise<void>; readonly closed: Promise<{ readonly reason: string }> } | undefined;
}

export interface SessionRegistryOptions {
  readonly clock: Clock;
  readonly maxSessions: number;
  /** Sessions one grant may hold at once (default: `maxSessions`). */
  readonly maxPerGrant?: number;
  readonly idleMs: number;
  readonly log: Logger;
}

export class SessionRegistry<S extends RegisteredSession> {
  private readonly sessions = new Map<string, S>();
  private readonly perGrant = new Map<string, number>();
  private sweepTimer: TimerHandle | undefined;
  private sweeping = false;

  constructor(private readonly o: SessionRegistryOptions) {}

  get size(): number {
    return this.sessions.size;
  }

  /** True when no other session may open (`--max-sessions`). */
  get isFull(): boolean {
    return this.sessions.size >= this.o.maxSessions;
  }

  /** Sessions `grantId` holds. */
  countOf(grantId: string): number {
    return this.perGrant.get(grantId) ?? 0;
  }

  get maxPerGrant(): number {
    return Math.min(this.o.maxPerGrant ?? this.o.maxSessions, this.o.maxSessions);
  }

  /**
   * Why `grantId` may not open a session now (`full`: every slot is taken; `grant_full`: the grant
   * holds its share), or undefined. Idle sessions are swept first, so expired ones make room (and
   * expire on the clock's time even when the sweep's timer has not come round).
   */
  refusalFor(grantId: string): "full" | "grant_full" | undefined {
    this.sweepIdle();
    if (this.isFull) return "full";
    return this.countOf(grantId) >= this.maxPerGrant ? "grant_full" : undefined;
  }

  /** The live session `id` of `owner` (a grant id, or a claim grant's owner); undefined for an unknown, ended or other owner's id. */
  find(id: string, owner: string): S | undefined {
    const session = this.sessions.get(id);
    return session === undefined || (session.owner ?? session.grantId) !== owner || session.isClosed ? undefined : session;
  }

  /** The session was used now: its idle time starts again. */
  touch(session: S): void {
    session.lastUsedMs = this.o.clock.nowMs();
  }

  /** Registers a session whose gateway is set; it leaves when that gateway closes. */
  add(id: string, session: S): void {
    this.sessions.set(id, session);
    this.perGrant.set(session.grantId, this.countOf(session.grantId) + 1);
    void session.gateway?.closed.then((closed) => {
      this.delete(id);
      this.o.log.info("session closed", { event: "session_closed", session: id, grant: session.grantId, reason: closed.reason });
    });
  }

  /** Forgets a session at once (DELETE, or a gateway that failed to start). */
  remove(id: string): void {
    this.delete(id);
  }

  /** Requests in flight across every session. */
  inFlight(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.inFlight;
    return n;
  }

  /** Starts the idle sweep; it re-arms itself until `stopSweep()`. */
  startSweep(): void {
    this.sweeping = true;
    this.armSweep();
  }

  stopSweep(): void {
    this.sweeping = false;
    this.sweepTimer?.cancel();
  }

  /** Closes every session's gateway and forgets them all. */
  async closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const s of this.sessions.values()) if (s.gateway) closing.push(s.gateway.close());
    await Promise.allSettled(closing);
    this.sessions.clear();
    this.perGrant.clear();
  }

  /** Closes every session idle for `idleMs` on the clock (no request, no GET stream, nothing in flight). */
  sweepIdle(): void {
    const now = this.o.clock.nowMs();
    for (const [id, s] of this.sessions) {
      if (s.inFlight === 0 && !s.hasStream && now - s.lastUsedMs >= this.o.idleMs) {
        this.delete(id);
        this.o.log.info("closing an idle session", { event: "session_idle", session: id, grant: s.grantId });
        void s.gateway?.close();
      }
    }
  }

  private delete(id: string): void {
    const session = this.sessions.get(id);
    if (session === undefined) return;
    this.sessions.delete(id);
    const n = this.countOf(session.grantId) - 1;
    if (n <= 0) this.perGrant.delete(session.grantId);
    else this.perGrant.set(session.grantId, n);
  }

  private armSweep(): void {
    const idleMs = this.o.idleMs;
    this.sweepTimer = this.o.clock.setTimer(() => {
      this.sweepIdle();
      if (this.sweeping) this.armSweep();
    }, Math.min(SWEEP_EVERY_MS, idleMs));
  }
}
