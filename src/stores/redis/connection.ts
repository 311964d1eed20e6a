/**
 * One fail-fast ioredis connection for a Redis-backed store: short command timeout, no offline
 * queue, no resending of unanswered commands, background reconnect, an `error` listener so a
 * dying Redis never crashes the process, and every failure as `GatewayError("STORE_UNAVAILABLE")`.
 * Scripts are registered with `defineCommand`: EVAL the first time on each socket, EVALSHA after,
 * and EVAL again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 *
 * The target (`redis-target.ts`) is one server, a Redis Cluster (ioredis follows MOVED and ASK and
 * re-reads the slot map after a failover) or the primary that Sentinels name (ioredis asks them
 * again after a failover). While a failover is under way commands fail, and so calls fail closed.
 * With `wait` > 0 every script is pipelined with `WAIT wait timeout` (one round trip) and fails
 * unless that many replicas acknowledged it.
 */
import { Cluster, Redis } from "ioredis";
import { GatewayError, messageOf } from "../../core/errors.js";
import { describeTarget, parseRedisTarget, type RedisTarget, redactTarget } from "./redis-target.js";

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port/db` (or `rediss://`), `redis-cluster://…` or `redis-sentinel://…` (see `redis-target.ts`). */
  readonly url: string;
  /** Bound on one command, from being issued to its answer (queueing included); default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Bound on opening a connection; default 1000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * When true (default), opening resolves only once Redis answers and rejects with
   * STORE_UNAVAILABLE otherwise. When false it resolves at once; calls fail with STORE_UNAVAILABLE
   * until the background connection is up.
   */
  readonly waitForConnection?: boolean;
  /** Called with every connection error (the connection already keeps the process alive on them). */
  readonly onError?: (error: Error) => void;
}

/** Pipelines re-sent after a MOVED (each after re-reading the slot map). */
const MAX_MOVED_RETRIES = 3;

/** Re-reads the cluster's slot map; resolves when done or failed (the next command will tell). */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => (cluster as unknown as { refreshSlotsCache(cb: () => void): void }).refreshSlotsCache(() => resolve()));
}

type ScriptCommand = (numKeys: number, ...args: string[]) => Promise<unknown>;

export class RedisConnection {
  private closed = false;
  private lastError: Error | undefined;

  private constructor(
    private readonly redis: Redis | Cluster,
    /** Replicas that must acknowledge each script (`WAIT`); 0 for none. */
    private readonly wait: number,
    private readonly waitTimeoutMs: number,
    /** The URL without its password, for messages. */
    readonly where: string,
    /** What the messages call this store, e.g. `redis counter store`. */
    private readonly label: string,
  ) {}

  /** Opens a connection and registers `scripts` (name → Lua text). */
  static async open(options: RedisConnectionOptions, label: string, scripts: Readonly<Record<string, string>>): Promise<RedisConnection> {
    const parsed = parseRedisTarget(options.url);
    if (!parsed.ok) throw new GatewayError("CONFIG_INVALID", `${label}: ${parsed.message}`);
    const target = parsed.target;
    const where = describeTarget(target);
    const commandTimeoutMs = options.commandTimeoutMs ?? 1_000;
    const redis = createClient(target, commandTimeoutMs, options.connectTimeoutMs ?? 1_000);
    for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(name, { lua });
    // WAIT gives up at half the command bound, so a missing acknowledgement is reported as such, not as a timeout.
    const connection = new RedisConnection(redis, target.wait, Math.max(1, Math.floor(commandTimeoutMs / 2)), where, label);
    redis.on("error", (error: Error) => {
      connection.lastError = error;
      options.onError?.(error);
    });
    const connecting = redis.connect();
    if (options.waitForConnection === false) {
      connecting.catch(() => undefined); // reported through `error`; retried in the background
      return connection;
    }
    try {
      await connecting;
    } catch (cause) {
      redis.disconnect(false);
      const detail = connection.lastError === undefined ? describe(cause) : describe(connection.lastError);
      throw new GatewayError("STORE_UNAVAILABLE", `${label} at \`${where}\` is unreachable: ${detail}`, { cause: connection.lastError ?? cause });
    }
    return connection;
  }

  assertOpen(what: string): void {
    if (this.closed) throw new GatewayError("STORE_UNAVAILABLE", `${this.label} at \`${this.where}\` is closed; cannot ${what}`);
  }

  /**
   * Runs a registered script; the reply must be an array of strings (the scripts' convention).
   * `options.acknowledged: false` skips the `WAIT` (for a best-effort undo). A script that ran
   * but was not acknowledged by enough replicas throws `UnacknowledgedWrite` carrying its reply.
   */
  async script(what: string, name: string, keys: readonly string[], args: readonly string[], options: { acknowledged?: boolean } = {}): Promise<string[]> {
    this.assertOpen(what);
    const command = (this.redis as unknown as Record<string, ScriptCommand | undefined>)[name];
    if (command === undefined) throw new GatewayError("INTERNAL", `${this.label}: no script named \`${name}\` was registered`);
    let reply: unknown;
    try {
      reply = this.wait === 0 || options.acknowledged === false ? await command.call(this.redis, keys.length, ...keys, ...args) : await this.scriptAndWait(name, keys, args);
    } catch (cause) {
      if (cause instanceof UnacknowledgedWrite) {
        const reply = cause.reply;
        throw new UnacknowledgedWrite(`${this.label} at \`${this.where}\` could not ${what}: ${cause.message}`, Array.isArray(reply) && reply.every((x) => typeof x === "string") ? reply : []);
      }
      const detail = this.redis.status === "ready" || this.lastError === undefined ? describe(cause) : `${describe(cause)} (last connection error: ${describe(this.lastError)})`;
      throw new GatewayError("STORE_UNAVAILABLE", `${this.label} at \`${this.where}\` could not ${what}: ${detail}`, { cause });
    }
    if (!Array.isArray(reply) || !reply.every((x) => typeof x === "string")) throw this.badReply(what, reply);
    return reply;
  }

  /**
   * The script and `WAIT` in one pipeline: one round trip; fails unless enough replicas
   * acknowledged. ioredis does not follow a MOVED inside a pipeline holding a command that writes
   * (`WAIT` counts as one), so on MOVED (the script did not run there) the slot map is re-read and
   * the pipeline sent again, at most `MAX_MOVED_RETRIES` times.
   */
  private async scriptAndWait(name: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const pipeline = this.redis.pipeline() as unknown as Record<string, (...a: unknown[]) => unknown> & { wait(n: number, ms: number): unknown; exec(): Promise<[Error | null, unknown][] | null> };
      pipeline[name]!(keys.length, ...keys, ...args);
      pipeline.wait(this.wait, this.waitTimeoutMs);
      const results = await pipeline.exec();
      const [script, wait] = results ?? [];
      if (script === undefined || wait === undefined) throw new Error("the pipeline was discarded");
      if (script[0] !== null) {
        if (this.redis instanceof Cluster && /^MOVED /.test(script[0].message) && attempt < MAX_MOVED_RETRIES) {
          await refreshSlots(this.redis);
          continue;
        }
        throw script[0];
      }
      if (wait[0] !== null) throw wait[0];
      const acknowledged = Number(wait[1]);
      if (!(acknowledged >= this.wait)) throw new UnacknowledgedWrite(`${acknowledged} of ${this.wait} replicas acknowledged the write within ${this.waitTimeoutMs} ms (\`wait=${this.wait}\`); a failover could lose it`, script[1]);
      return script[1];
    }
  }

  badReply(what: string, reply: unknown): GatewayError {
    return new GatewayError("STORE_UNAVAILABLE", `${this.label} at \`${this.where}\` gave an unexpected reply to ${what}: ${JSON.stringify(reply)}`);
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
}

/**
 * A script ran on the primary but fewer replicas than `wait` acknowledged it: the caller must not
 * act on it (a failover could lose it) and may undo it. A STORE_UNAVAILABLE failure.
 */
export class UnacknowledgedWrite extends GatewayError {
  constructor(
    message: string,
    /** The script's own reply (what it did on the primary). */
    readonly reply: unknown,
  ) {
    super("STORE_UNAVAILABLE", message);
  }
}

/** The ioredis client for a target, with the fail-fast options of this file. */
function createClient(target: RedisTarget, commandTimeoutMs: number, connectTimeoutMs: number): Redis | Cluster {
  const failFast = {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
  } as const;
  const retryStrategy = (attempt: number): number => Math.min(50 * attempt, 500);
  switch (target.mode) {
    case "standalone":
      return new Redis(target.url, { lazyConnect: true, ...failFast, retryStrategy });
    case "sentinel":
      return new Redis({
        lazyConnect: true,
        ...failFast,
        sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: target.masterName,
        db: target.db,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
        role: "master",
        sentinelRetryStrategy: retryStrategy,
        retryStrategy,
        // Reconnect at once when a Sentinel announces a new primary, not on the next failed command.
        failoverDetector: true,
        sentinelCommandTimeout: commandTimeoutMs,
      });
    case "cluster":
      return new Cluster(
        target.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          lazyConnect: true,
          enableOfflineQueue: false,
          // A few bounded retries through the slot map while a failover settles; then STORE_UNAVAILABLE.
          maxRedirections: 4,
          retryDelayOnFailover: 100,
          retryDelayOnClusterDown: 100,
          retryDelayOnTryAgain: 100,
          slotsRefreshTimeout: connectTimeoutMs,
          // Also re-read the slot map now and then, so a failover is noticed without a failed call.
          slotsRefreshInterval: 2_000,
          clusterRetryStrategy: retryStrategy,
          scaleReads: "master",
          redisOptions: {
            autoResendUnfulfilledCommands: false,
            maxRetriesPerRequest: 0,
            commandTimeout: commandTimeoutMs,
            connectTimeout: connectTimeoutMs,
            ...(target.username === undefined ? {} : { username: target.username }),
            ...(target.password === undefined ? {} : { password: target.password }),
          },
        },
      );
  }
}

function describe(error: unknown): string {
  return messageOf(error);
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0` (cluster and Sentinel lists too); other text is kept as it is. */
export function redactUrl(url: string): string {
  return redactTarget(url);
}

/**
 * The Cluster hash tag of a store's keys: `{<prefix><what>}`, so that every key one script touches
 * lies in one slot (Redis Cluster runs a script only on keys of one slot). A prefix may not contain
 * braces, or the tag would end early.
 */
export function hashTag(keyPrefix: string, what: string, label: string): string {
  if (/[{}]/.test(keyPrefix)) throw new GatewayError("CONFIG_INVALID", `${label}: keyPrefix \`${keyPrefix}\` contains \`{\` or \`}\`; expected a prefix without braces (the store adds its own Cluster hash tag)`);
  return `{${keyPrefix}${what}}`;
}
