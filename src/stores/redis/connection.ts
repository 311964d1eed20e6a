/**
 * One fail-fast ioredis connection for a Redis-backed store: short command timeout, no offline
 * queue, no resending of unanswered commands, background reconnect, an `error` listener so a
 * dying Redis never crashes the process, and every failure as `GatewayError("STORE_UNAVAILABLE")`.
 * Scripts are registered with `defineCommand`: EVAL the first time on each socket, EVALSHA after,
 * and EVAL again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 */
import { Redis } from "ioredis";
import { GatewayError, messageOf } from "../../core/errors.js";

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port/db` (or `rediss://`). */
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

type ScriptCommand = (numKeys: number, ...args: string[]) => Promise<unknown>;

export class RedisConnection {
  private closed = false;
  private lastError: Error | undefined;

  private constructor(
    private readonly redis: Redis,
    /** The URL without its password, for messages. */
    readonly where: string,
    /** What the messages call this store, e.g. `redis counter store`. */
    private readonly label: string,
  ) {}

  /** Opens a connection and registers `scripts` (name → Lua text). */
  static async open(options: RedisConnectionOptions, label: string, scripts: Readonly<Record<string, string>>): Promise<RedisConnection> {
    const where = redactUrl(options.url);
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      retryStrategy: (attempt) => Math.min(50 * attempt, 500),
    });
    for (const [name, lua] of Object.entries(scripts)) redis.defineCommand(name, { lua });
    const connection = new RedisConnection(redis, where, label);
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

  /** Runs a registered script; the reply must be an array of strings (the scripts' convention). */
  async script(what: string, name: string, keys: readonly string[], args: readonly string[]): Promise<string[]> {
    this.assertOpen(what);
    const command = (this.redis as unknown as Record<string, ScriptCommand | undefined>)[name];
    if (command === undefined) throw new GatewayError("INTERNAL", `${this.label}: no script named \`${name}\` was registered`);
    let reply: unknown;
    try {
      reply = await command.call(this.redis, keys.length, ...keys, ...args);
    } catch (cause) {
      const detail = this.redis.status === "ready" || this.lastError === undefined ? describe(cause) : `${describe(cause)} (last connection error: ${describe(this.lastError)})`;
      throw new GatewayError("STORE_UNAVAILABLE", `${this.label} at \`${this.where}\` could not ${what}: ${detail}`, { cause });
    }
    if (!Array.isArray(reply) || !reply.every((x) => typeof x === "string")) throw this.badReply(what, reply);
    return reply;
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

function describe(error: unknown): string {
  return messageOf(error);
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
