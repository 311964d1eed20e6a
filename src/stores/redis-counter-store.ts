/**
 * Counters shared by gateway replicas through one Redis primary (DESIGN §2). One Lua script per
 * reservation decides for every counter at once (all or nothing) on Redis's own clock (`TIME`), so
 * replicas agree on window boundaries; see `redis/counter-scripts.ts` for the key layout.
 *
 * Failure: commands time out after `commandTimeoutMs`, nothing is queued while disconnected, and
 * every failure surfaces as `GatewayError("STORE_UNAVAILABLE")`; the caller decides to fail closed
 * or open. The client reconnects on its own in the background.
 */
import { Redis } from "ioredis";
import { GatewayError } from "../core/errors.js";
import type { CounterLevel, CounterRequest, CounterStore, Reservation, ReservationEntry, ReserveResult } from "./counter-store.js";
import { PEEK_LUA, RESERVE_LUA, ROLLBACK_LUA } from "./redis/counter-scripts.js";

export interface RedisCounterStoreOptions {
  /** `redis://[user:password@]host:port/db` (or `rediss://`). */
  readonly url: string;
  /** Prepended to every key; default `toolgate:`. */
  readonly keyPrefix?: string;
  /** Bound on one command's round trip; default 200 ms. */
  readonly commandTimeoutMs?: number;
  /** Bound on opening a connection; default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /** Keys live until their window's end plus this much; default 1000 ms. */
  readonly expiryMarginMs?: number;
  /**
   * When true (default), `connect` resolves only once Redis answers and rejects with
   * STORE_UNAVAILABLE otherwise. When false it resolves at once; calls fail with STORE_UNAVAILABLE
   * until the background connection is up.
   */
  readonly waitForConnection?: boolean;
  /** Called with every connection error (the store already keeps the process alive on them). */
  readonly onError?: (error: Error) => void;
  /**
   * TEST SEAM, never set by the gateway: `"redis"` (default) reads the time from Redis `TIME`
   * inside the scripts; an object (e.g. a `VirtualClock`) supplies `nowMs` instead, so that window
   * boundaries can be tested exactly without sleeping. Replicas only agree on windows with `"redis"`.
   */
  readonly timeSource?: "redis" | { nowMs(): number };
}

interface ScriptedRedis extends Redis {
  toolgateReserve(numKeys: number, ...args: string[]): Promise<unknown>;
  toolgateRollback(numKeys: number, ...args: string[]): Promise<unknown>;
  toolgatePeek(numKeys: number, ...args: string[]): Promise<unknown>;
}

const DEFAULTS = { keyPrefix: "toolgate:", commandTimeoutMs: 200, connectTimeoutMs: 1_000, expiryMarginMs: 1_000 } as const;

export class RedisCounterStore implements CounterStore {
  private closed = false;
  private lastError: Error | undefined;

  private constructor(
    private readonly redis: ScriptedRedis,
    /** The URL without its password, for messages. */
    readonly where: string,
    readonly keyPrefix: string,
    private readonly expiryMarginMs: number,
    private readonly timeSource: "redis" | { nowMs(): number },
  ) {}

  static async connect(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
    const where = redactUrl(options.url);
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? DEFAULTS.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      retryStrategy: (attempt) => Math.min(50 * attempt, 500),
    }) as ScriptedRedis;
    redis.defineCommand("toolgateReserve", { lua: RESERVE_LUA });
    redis.defineCommand("toolgateRollback", { lua: ROLLBACK_LUA });
    redis.defineCommand("toolgatePeek", { lua: PEEK_LUA });
    const store = new RedisCounterStore(
      redis,
      where,
      options.keyPrefix ?? DEFAULTS.keyPrefix,
      options.expiryMarginMs ?? DEFAULTS.expiryMarginMs,
      options.timeSource ?? "redis",
    );
    redis.on("error", (error: Error) => {
      store.lastError = error;
      options.onError?.(error);
    });
    const connecting = redis.connect();
    if (options.waitForConnection === false) {
      connecting.catch(() => undefined); // reported through `error`; retried in the background
      return store;
    }
    try {
      await connecting;
    } catch (cause) {
      redis.disconnect(false);
      const detail = store.lastError === undefined ? describe(cause) : describe(store.lastError);
      throw new GatewayError("STORE_UNAVAILABLE", `redis store at \`${where}\` is unreachable: ${detail}`, { cause: store.lastError ?? cause });
    }
    return store;
  }

  /** The Redis key of one counter: prefix, window length, then the caller's key (scope × counter name). */
  redisKey(key: string, windowMs: number): string {
    return `${this.keyPrefix}counter:${windowMs}:${key}`;
  }

  async reserve(requests: readonly CounterRequest[]): Promise<ReserveResult> {
    this.assertOpen("reserve");
    requests.forEach((r, i) => checkRequest(r, `requests[${i}]`));
    if (requests.length === 0) return { ok: true, reservation: { entries: [] }, levels: [] };
    const keys = requests.map((r) => this.redisKey(r.key, r.windowMs));
    const args = requests.flatMap((r) => [String(r.windowMs), String(r.max), String(r.amount)]);
    const reply = await this.call("reserve", () => this.redis.toolgateReserve(keys.length, ...keys, this.nowArg(), String(this.expiryMarginMs), ...args));
    const [status, nowText, ...rest] = reply;
    const nowMs = Number(nowText);
    if (status === "0") {
      const [index, start, end, used] = rest.map(Number);
      const failedIndex = index ?? -1;
      if (!(failedIndex >= 0 && failedIndex < requests.length)) throw this.badReply("reserve", reply);
      return { ok: false, failedIndex, level: { used: used!, windowStartMs: start!, windowEndMs: end!, nowMs } };
    }
    if (status !== "1" || rest.length !== requests.length * 3) throw this.badReply("reserve", reply);
    const levels: CounterLevel[] = [];
    const entries: ReservationEntry[] = [];
    requests.forEach((r, i) => {
      const [start, end, used] = rest.slice(i * 3, i * 3 + 3).map(Number);
      levels.push({ used: used!, windowStartMs: start!, windowEndMs: end!, nowMs });
      entries.push({ key: r.key, windowMs: r.windowMs, windowStartMs: start!, amount: r.amount });
    });
    return { ok: true, reservation: { entries }, levels };
  }

  async rollback(reservation: Reservation): Promise<void> {
    this.assertOpen("roll back");
    const entries = reservation.entries;
    if (entries.length === 0) return;
    const keys = entries.map((e) => this.redisKey(e.key, e.windowMs));
    const args = entries.flatMap((e) => [String(e.windowMs), String(e.windowStartMs), String(e.amount)]);
    await this.call("roll back", () => this.redis.toolgateRollback(keys.length, ...keys, this.nowArg(), ...args));
  }

  async peek(key: string, windowMs: number): Promise<CounterLevel> {
    checkWindow(windowMs, "windowMs");
    const reply = await this.call("peek", () => this.redis.toolgatePeek(1, this.redisKey(key, windowMs), this.nowArg(), String(windowMs)));
    if (reply.length !== 4) throw this.badReply("peek", reply);
    const [nowMs, start, end, used] = reply.map(Number);
    return { used: used!, windowStartMs: start!, windowEndMs: end!, nowMs: nowMs! };
  }

  /** Quits cleanly when connected; drops the connection (and stops reconnecting) otherwise. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === "ready") {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through: the connection is going away anyway
      }
    }
    this.redis.disconnect(false);
  }

  private nowArg(): string {
    return this.timeSource === "redis" ? "" : String(this.timeSource.nowMs());
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new GatewayError("STORE_UNAVAILABLE", `redis store at \`${this.where}\` is closed; cannot ${what}`);
  }

  private async call(what: string, command: () => Promise<unknown>): Promise<string[]> {
    this.assertOpen(what);
    let reply: unknown;
    try {
      reply = await command();
    } catch (cause) {
      const detail = this.redis.status === "ready" || this.lastError === undefined ? describe(cause) : `${describe(cause)} (last connection error: ${describe(this.lastError)})`;
      throw new GatewayError("STORE_UNAVAILABLE", `redis store at \`${this.where}\` could not ${what}: ${detail}`, { cause });
    }
    if (!Array.isArray(reply) || !reply.every((x) => typeof x === "string")) throw this.badReply(what, reply);
    return reply;
  }

  private badReply(what: string, reply: unknown): GatewayError {
    return new GatewayError("STORE_UNAVAILABLE", `redis store at \`${this.where}\` gave an unexpected reply to ${what}: ${JSON.stringify(reply)}`);
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`; unparsable text is kept as it is. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
