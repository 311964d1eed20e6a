/**
 * `?wait=N` on a private `redis-server`: a reservation is admitted only once N replicas acknowledged
 * it; without a replica it fails STORE_UNAVAILABLE saying so and its units are given back at once;
 * with a replica in sync it passes as one pipelined round trip. Real processes on loopback ports.
 */
import { afterAll, expect, test } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { RedisCounterStore } from "../../src/stores/redis-counter-store.js";
import { RedisProcess, withNode } from "../helpers/redis-cluster.js";
import { freeLoopbackPort, PrivateRedisServer } from "../helpers/redis-server.js";
import { pollUntil, requireRedisServerBinary } from "../helpers/redis-replicas.js";

const started: { stop?(): Promise<void>; kill?(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of started.reverse()) await (s.stop ?? s.kill)!.call(s);
});

const FOREVER_MS = 10_000_000_000_000;
const request = { key: "grant:w|wait", windowMs: FOREVER_MS, max: 5, amount: 1 };

test("with wait=1 and no replica a reservation fails store_unavailable and uses nothing; once a replica is in sync it passes", async () => {
  requireRedisServerBinary();
  const primary = await PrivateRedisServer.start();
  started.push(primary);
  const waiting = await RedisCounterStore.connect({ url: `${primary.url}?wait=1`, commandTimeoutMs: 400 });
  const plain = await RedisCounterStore.connect({ url: primary.url, commandTimeoutMs: 2_000 });
  started.push({ stop: () => waiting.close() }, { stop: () => plain.close() });

  const refused = await waiting.reserve([request]).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(refused).toBeInstanceOf(GatewayError);
  expect((refused as GatewayError).code).toBe("STORE_UNAVAILABLE");
  expect((refused as GatewayError).message).toBe(`redis counter store at \`${primary.url}\` could not reserve: 0 of 1 replicas acknowledged the write within 200 ms (\`wait=1\`); a failover could lose it`);
  expect((await plain.peek(request.key, FOREVER_MS)).used, "the unacknowledged reservation was given back").toBe(0);

  const replicaPort = await freeLoopbackPort();
  const replica = new RedisProcess(replicaPort, ["--port", String(replicaPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--replicaof", "127.0.0.1", String(primary.port)]);
  started.push(replica);
  await replica.start();
  await pollUntil(async () => ((await withNode(replicaPort, (r) => r.info("replication")).catch(() => "")).includes("master_link_status:up") ? true : undefined), 10_000, "the replica in sync", 50);
  const admitted = await waiting.reserve([request]);
  expect(admitted.ok).toBe(true);
  expect((await plain.peek(request.key, FOREVER_MS)).used).toBe(1);
  expect(await withNode(replicaPort, (r) => r.hget(waiting.redisKey(request.key, FOREVER_MS), "n")), "the replica holds the reservation").toBe("1");
}, 60_000);
