/**
 * Counters shared by gateway replicas through one Redis primary (docs/architecture.md#windows-and-counters). One Lua script per
 * reservation decides for every counter at once (all or nothing) on Redis's own clock (`TIME`), so
 * replicas agree on window boundaries; see `redis/counter-scripts.ts` for the key layout.
 *
 * Failure: commands time out after `commandTimeoutMs`, nothing is queued while disconnected, and
 * every failure surfaces as `GatewayError("STORE_UNAVAILABLE")`; the caller decides to fail closed
 * or open. The client reconnects on its own in the background.
 */
import { GatewayError } from "../core/errors.js";
import type { CounterLevel, CounterRequest, CounterStore, Reservation, ReservationEntry, ReserveResult } from "./counter-store.js";
import { hashTag, RedisConnection, type RedisConnectionOptions, redactUrl, UnacknowledgedWrite } from "./redis/connection.js";
import { PEEK_LUA, RESERVE_LUA, ROLLBACK_LUA } from "./redis/counter-scripts.js";

export { redactUrl };

export interface RedisCounterStoreOptions extends RedisConnectionOptions {
  /** Prepended to every key; default `toolgate:`. */
  readonly keyPrefix?: string;
  /** Keys live until their window's end plus this much; default 1000 ms. */
  readonly expiryMarginMs?: number;
  /**
   * TEST SEAM, never set by the gateway: `"redis"` (default) reads the time from Redis `TIME`
   * inside the scripts; an object (e.g. a `VirtualClock`) supplies `nowMs` instead, so that window
   * boundaries can be tested exactly without sleeping. Replicas only agree on windows with `"redis"`.
   */
  readonly timeSource?: "redis" | { nowMs(): number };
}

const SCRIPTS = { toolgateReserve: RESERVE_LUA, toolgateRollback: ROLLBACK_LUA, toolgatePeek: PEEK_LUA } as const;

export class RedisCounterStore implements CounterStore {
  private constructor(
    private readonly connection: RedisConnection,
    readonly keyPrefix: string,
    /** `{<prefix>counters}`: every counter in one Cluster slot, so one reservation is one script. */
    private readonly tag: string,
    private readonly expiryMarginMs: number,
    private readonly timeSource: "redis" | { nowMs(): number },
  ) {}

  static async connect(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
    const keyPrefix = options.keyPrefix ?? "toolgate:";
    const tag = hashTag(keyPrefix, "counters", "redis counter store");
    const connection = await RedisConnection.open(options, "redis counter store", SCRIPTS);
    return new RedisCounterStore(connection, keyPrefix, tag, options.expiryMarginMs ?? 1_000, options.timeSource ?? "redis");
  }

  /** The URL without its password, for messages. */
  get where(): string {
    return this.connection.where;
  }

  /**
   * The Redis key of one counter: the hash tag (prefix inside), window length, then the caller's key
   * (scope × counter name). One tag for all counters because a reservation may join any of them
   * (a session's counter with the global one), and a script runs on one slot.
   */
  redisKey(key: string, windowMs: number): string {
    return `${this.tag}:${windowMs}:${key}`;
  }

  async reserve(requests: readonly CounterRequest[]): Promise<ReserveResult> {
    this.connection.assertOpen("reserve");
    requests.forEach((r, i) => checkRequest(r, `requests[${i}]`));
    if (requests.length === 0) return { ok: true, reservation: { entries: [] }, levels: [] };
    const keys = requests.map((r) => this.redisKey(r.key, r.windowMs));
    const args = requests.flatMap((r) => [String(r.windowMs), String(r.max), String(r.amount)]);
    const reply = await this.reserveOrUndo(requests, keys, args);
    const [status, nowText, ...rest] = reply;
    const nowMs = Number(nowText);
    if (status === "0") {
      const [index, start, end, used] = rest.map(Number);
      const failedIndex = index ?? -1;
      if (!(failedIndex >= 0 && failedIndex < requests.length)) throw this.connection.badReply("reserve", reply);
      return { ok: false, failedIndex, level: { used: used!, windowStartMs: start!, windowEndMs: end!, nowMs } };
    }
    if (status !== "1" || rest.length !== requests.length * 3) throw this.connection.badReply("reserve", reply);
    const levels: CounterLevel[] = [];
    const entries: ReservationEntry[] = [];
    requests.forEach((r, i) => {
      const [start, end, used] = rest.slice(i * 3, i * 3 + 3).map(Number);
      levels.push({ used: used!, windowStartMs: start!, windowEndMs: end!, nowMs });
      entries.push({ key: r.key, windowMs: r.windowMs, windowStartMs: start!, amount: r.amount });
    });
    return { ok: true, reservation: { entries }, levels };
  }

  /**
   * The reserve script; when it reserved but too few replicas acknowledged it (`wait`), the units
   * are given back at once (best effort, unacknowledged) before failing: a call denied
   * `store_unavailable` during a failover does not use up its limit.
   */
  private async reserveOrUndo(requests: readonly CounterRequest[], keys: readonly string[], args: readonly string[]): Promise<string[]> {
    try {
      return await this.connection.script("reserve", "toolgateReserve", keys, [this.nowArg(), String(this.expiryMarginMs), ...args]);
    } catch (error) {
      const reply = error instanceof UnacknowledgedWrite && Array.isArray(error.reply) ? (error.reply as unknown[]) : [];
      if (reply[0] === "1" && reply.length === 2 + requests.length * 3) {
        const starts = requests.map((_, i) => String(reply[2 + i * 3]));
        const undo = requests.flatMap((r, i) => [String(r.windowMs), starts[i]!, String(r.amount)]);
        await this.connection.script("roll back", "toolgateRollback", keys, [this.nowArg(), ...undo], { acknowledged: false }).catch(() => undefined);
      }
      throw error;
    }
  }

  async rollback(reservation: Reservation): Promise<void> {
    this.connection.assertOpen("roll back");
    const entries = reservation.entries;
    if (entries.length === 0) return;
    const keys = entries.map((e) => this.redisKey(e.key, e.windowMs));
    const args = entries.flatMap((e) => [String(e.windowMs), String(e.windowStartMs), String(e.amount)]);
    await this.connection.script("roll back", "toolgateRollback", keys, [this.nowArg(), ...args]);
  }

  async peek(key: string, windowMs: number): Promise<CounterLevel> {
    checkWindow(windowMs, "windowMs");
    const reply = await this.connection.script("peek", "toolgatePeek", [this.redisKey(key, windowMs)], [this.nowArg(), String(windowMs)]);
    if (reply.length !== 4) throw this.connection.badReply("peek", reply);
    const [nowMs, start, end, used] = reply.map(Number);
    return { used: used!, windowStartMs: start!, windowEndMs: end!, nowMs: nowMs! };
  }

  /** Quits cleanly when connected; drops the connection (and stops reconnecting) otherwise. Idempotent. */
  async close(): Promise<void> {
    await this.connection.close();
  }

  private nowArg(): string {
    return this.timeSource === "redis" ? "" : String(this.timeSource.nowMs());
  }
}

function checkWindow(windowMs: number, path: string): void {
  if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
    throw new GatewayError("INTERNAL", `${path}: expected a whole number of milliseconds ≥ 1, found ${windowMs}`);
  }
}

function checkRequest(r: CounterRequest, path: string): void {
  checkWindow(r.windowMs, `${path}.windowMs`);
  if (!Number.isFinite(r.max)) throw new GatewayError("INTERNAL", `${path}.max: expected a finite number, found ${r.max}`);
  if (!Number.isFinite(r.amount)) throw new GatewayError("INTERNAL", `${path}.amount: expected a finite number, found ${r.amount}`);
}
