/**
 * Every request in flight through one gateway connection, in one registry, from arrival to its
 * settlement: an agent's request is admitted under its own id while the gateway decides it
 * (`deciding`), gets a gateway-owned numeric id when it is sent upstream (`forwarded`), and leaves
 * the registry exactly once (`close`), whoever settles it first — its answer, a timeout, a
 * cancellation, the upstream going away. The gateway's own requests (schema listing) are entries
 * without a caller id. Deadlines live here too: a forwarded request must be answered within
 * `timeoutMs`, progress notifications restart the wait, but never past `maxTimeouts` timeouts in all.
 *
 * Server-to-client requests keep their ids (the gateway originates none towards the agent); their
 * ids are remembered only to tell a genuine answer from a stray one.
 */
import type { Clock, TimerHandle } from "../core/clock.js";
import type { JsonRpcId } from "../protocol/messages.js";

export type Phase = "deciding" | "forwarded";

export interface InFlight<Extra> {
  /** The agent's id; undefined for the gateway's own requests. */
  readonly callerId: JsonRpcId | undefined;
  readonly method: string;
  readonly extra: Extra;
  readonly phase: Phase;
  /** The gateway-owned id upstream, once forwarded. */
  readonly upstreamId: number | undefined;
  /** False once the request has left the registry (settled, cancelled, timed out). */
  readonly open: boolean;
}

interface Entry<Extra> extends InFlight<Extra> {
  phase: Phase;
  upstreamId: number | undefined;
  open: boolean;
  progressToken: string | number | undefined;
  deadlineMs: number;
  timer: TimerHandle | undefined;
}

export interface InFlightOptions<Extra> {
  readonly clock: Clock;
  /** How long a forwarded request may wait for its answer. */
  readonly timeoutMs: number;
  /** Progress extends the wait, but never past this many timeouts in all. */
  readonly maxTimeouts: number;
  /** A forwarded request's deadline passed; it has already left the registry. */
  readonly onTimeout: (entry: InFlight<Extra>) => void;
  /** Bounds the agent's requests in flight (its grant's share, across connections); one unit per admitted request. */
  readonly budget?: { take(): boolean; release(): void };
}

/** Why a request was not admitted: its id is in flight already, or its grant has too many in flight. */
export type AdmitRefusal = "duplicate" | "busy";

/** Bound on remembered server-to-client request ids; the oldest are forgotten first. */
export const MAX_SERVER_REQUESTS = 10_000;

export class InFlightRequests<Extra> {
  private nextId = 1;
  private readonly byCaller = new Map<JsonRpcId, Entry<Extra>>();
  private readonly byUpstream = new Map<number, Entry<Extra>>();
  private readonly byProgressToken = new Map<string | number, Entry<Extra>>();
  private readonly own = new Set<Entry<Extra>>();
  private readonly serverRequests = new Set<JsonRpcId>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: InFlightOptions<Extra>) {}

  /** Registers a request on arrival, or says why not. The gateway's own requests are never refused. */
  admit(callerId: JsonRpcId | undefined, method: string, extra: Extra): InFlight<Extra> | AdmitRefusal {
    if (callerId !== undefined && this.byCaller.has(callerId)) return "duplicate";
    if (callerId !== undefined && this.options.budget !== undefined && !this.options.budget.take()) return "busy";
    const entry: Entry<Extra> = { callerId, method, extra, phase: "deciding", upstreamId: undefined, open: true, progressToken: undefined, deadlineMs: Number.POSITIVE_INFINITY, timer: undefined };
    if (callerId === undefined) this.own.add(entry);
    else this.byCaller.set(callerId, entry);
    return entry;
  }

  /** Gives an open request its upstream id and starts its deadline; returns the id. */
  forward(handle: InFlight<Extra>, progressToken: string | number | undefined): number {
    const entry = handle as Entry<Extra>;
    const upstreamId = this.nextId++;
    entry.phase = "forwarded";
    entry.upstreamId = upstreamId;
    this.byUpstream.set(upstreamId, entry);
    if (progressToken !== undefined) {
      entry.progressToken = progressToken;
      this.byProgressToken.set(progressToken, entry);
    }
    const { clock, timeoutMs, maxTimeouts } = this.options;
    entry.deadlineMs = clock.nowMs() + maxTimeouts * timeoutMs;
    this.arm(entry);
    return upstreamId;
  }

  /** Takes a request out of the registry; false when it had already left (someone else settled it). */
  close(handle: InFlight<Extra>): boolean {
    const entry = handle as Entry<Extra>;
    if (!entry.open) return false;
    entry.open = false;
    entry.timer?.cancel();
    entry.timer = undefined;
    if (entry.callerId === undefined) this.own.delete(entry);
    else {
      if (this.byCaller.get(entry.callerId) === entry) this.byCaller.delete(entry.callerId);
      this.options.budget?.release();
    }
    if (entry.upstreamId !== undefined) this.byUpstream.delete(entry.upstreamId);
    if (entry.progressToken !== undefined && this.byProgressToken.get(entry.progressToken) === entry) this.byProgressToken.delete(entry.progressToken);
    if (this.size === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    return true;
  }

  /** Resolves once the registry is empty (at once when it is). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The open request an agent's id names (for `notifications/cancelled`). */
  ofCaller(callerId: JsonRpcId): InFlight<Extra> | undefined {
    return this.byCaller.get(callerId);
  }

  /** The forwarded request an upstream answer's id names. */
  ofUpstream(upstreamId: JsonRpcId | null): InFlight<Extra> | undefined {
    return typeof upstreamId === "number" ? this.byUpstream.get(upstreamId) : undefined;
  }

  /** A progress notification for a forwarded request: its wait starts again (up to its deadline). */
  progressed(token: string | number): void {
    const entry = this.byProgressToken.get(token);
    if (entry !== undefined) this.arm(entry);
  }

  /** Every open request, in arrival order of their kind; they stay open (the caller settles each). */
  all(): InFlight<Extra>[] {
    return [...this.byCaller.values(), ...this.own];
  }

  get size(): number {
    return this.byCaller.size + this.own.size;
  }

  rememberServerRequest(id: JsonRpcId): void {
    if (this.serverRequests.size >= MAX_SERVER_REQUESTS) {
      const oldest = this.serverRequests.values().next();
      if (!oldest.done) this.serverRequests.delete(oldest.value);
    }
    this.serverRequests.add(id);
  }

  /** True (and forgotten) when `id` answers a server-to-client request still open. */
  answerServerRequest(id: JsonRpcId | null): boolean {
    return id !== null && this.serverRequests.delete(id);
  }

  private arm(entry: Entry<Extra>): void {
    entry.timer?.cancel();
    const { clock, timeoutMs } = this.options;
    const delayMs = Math.max(0, Math.min(timeoutMs, entry.deadlineMs - clock.nowMs()));
    entry.timer = clock.setTimer(() => {
      if (this.close(entry)) this.options.onTimeout(entry);
    }, delayMs);
  }
}
