/**
 * The real Redis the store tests run against (REDIS_URL, default redis://127.0.0.1:6379/0): an
 * admin connection for looking at keys, a key prefix of this run's own, and cleanup afterwards.
 * Never skipped for want of Redis: when it is unreachable `assertReachable()` throws the reason,
 * so every test fails with it.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { randomHex } from "../../src/core/clock.js";
import { redactUrl } from "../../src/stores/redis/connection.js";

export interface RedisTestDb {
  readonly url: string;
  /** Every key this run writes starts with it; they are deleted after the file. */
  readonly prefix: string;
  /** The admin connection (set once the file's `beforeAll` has run). */
  readonly admin: Redis;
  assertReachable(): void;
  /** Closes `store` after the file. */
  track<T extends { close(): Promise<void> }>(store: T): T;
}

export function useRedisTestDb(): RedisTestDb {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0";
  const prefix = `toolgate-test:${randomHex(6)}:`;
  const opened: { close(): Promise<void> }[] = [];
  let admin: Redis | undefined;
  let unreachable: Error | undefined;

  beforeAll(async () => {
    admin = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
    let lastError: unknown;
    admin.on("error", (error) => (lastError = error));
    try {
      await admin.connect();
    } catch (cause) {
      unreachable = new Error(`these tests need Redis at \`${redactUrl(url)}\` (set REDIS_URL); it is unreachable: ${String(lastError ?? cause)}`);
    }
  });

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    if (admin?.status === "ready") {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    } else {
      admin?.disconnect();
    }
  });

  return {
    url,
    prefix,
    get admin(): Redis {
      if (!admin) throw new Error("the Redis admin connection is opened in beforeAll");
      return admin;
    },
    assertReachable() {
      if (unreachable) throw unreachable;
    },
    track(store) {
      opened.push(store);
      return store;
    },
  };
}
