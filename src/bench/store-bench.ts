/**
 * Counter reservation: µs per `reserve` for the memory store and the Redis store (sequential, one
 * reservation awaited at a time), with one counter (the seed policy) and three. For Redis it also
 * confirms that a reservation is one round trip: a private `redis-server` (loopback, nothing on
 * disk) is watched with MONITOR while N reservations run, counting the commands clients sent
 * (commands a Lua script runs show as `lua` and are counted apart), and a raw PING
 * gives the bare round trip to compare with. The same count on a three-master Redis Cluster is in
 * `cluster-round-trips.ts`.
 */
import { randomHex, monotonicNs, systemClock } from "../core/clock.js";
import type { CounterRequest, CounterStore } from "../stores/counter-store.js";
import { MemoryCounterStore } from "../stores/memory-counter-store.js";
import { RedisCounterStore } from "../stores/redis-counter-store.js";
import { freePort, spawnTracked, stopTree, waitForOutput } from "./processes.js";
import { type ClusterRoundTrips, measureClusterRoundTrips } from "./cluster-round-trips.js";
import { classifyMonitorLines, RawRedis, startMonitor } from "./raw-redis.js";
import { median } from "./stats.js";
import { messageOf } from "../core/errors.js";

export interface StorePlan {
  readonly memoryIterations: number;
  readonly redisIterations: number;
  /** The shared Redis (`REDIS_URL`); undefined → skip it. */
  readonly redisUrl: string | undefined;
  /** Start a private redis-server to count commands per reservation. */
  readonly privateRedis: boolean;
}

export interface StoreCase {
  readonly store: string;
  readonly counters: number;
  readonly usPerReserve: number;
  readonly p99Us?: number;
  readonly iterations: number;
}

export interface StoreReport {
  readonly cases: readonly StoreCase[];
  readonly redisPingUs: number | undefined;
  /** Commands Redis received per reservation (1 = one round trip), by counters per reservation. */
  readonly redisCommandsPerReserve: Readonly<Record<string, number>> | undefined;
  readonly redisCommandBreakdown: Readonly<Record<string, number>> | undefined;
  /** The same on a three-master Redis Cluster (hash-tagged keys), and how many masters were touched. */
  readonly clusterCommandsPerReserve?: Readonly<Record<string, number>>;
  readonly clusterMastersTouched?: Readonly<Record<string, number>>;
  readonly notes: readonly string[];
}

const MAX = 1_000_000_000;

function requests(counters: number, key: string): CounterRequest[] {
  const windows = [60_000, 3_600_000, 86_400_000];
  return Array.from({ length: counters }, (_, i) => ({ key: `${key}|counter_${i}`, windowMs: windows[i % windows.length]!, max: MAX, amount: 1 }));
}

async function timeReserves(store: CounterStore, reqs: readonly CounterRequest[], iterations: number): Promise<{ meanUs: number; p99Us: number }> {
  const samples: number[] = [];
  const t0 = monotonicNs();
  for (let i = 0; i < iterations; i++) {
    const s = monotonicNs();
    const result = await store.reserve(reqs);
    if (!result.ok) throw new Error("bench reservation was refused");
    samples.push(Number(monotonicNs() - s) / 1_000);
  }
  const meanUs = Number(monotonicNs() - t0) / 1_000 / iterations;
  samples.sort((a, b) => a - b);
  return { meanUs, p99Us: samples[Math.ceil(0.99 * samples.length) - 1] ?? Number.NaN };
}

export async function runStoreBench(plan: StorePlan): Promise<StoreReport> {
  const cases: StoreCase[] = [];
  const notes: string[] = [];

  const memory = new MemoryCounterStore({ clock: systemClock });
  for (const counters of [1, 3]) {
    const reqs = requests(counters, "grant:bench");
    await timeReserves(memory, reqs, Math.min(20_000, plan.memoryIterations));
    const results = [];
    for (let round = 0; round < 3; round++) results.push(await timeReserves(memory, reqs, plan.memoryIterations));
    cases.push({ store: "memory", counters, usPerReserve: median(results.map((r) => r.meanUs)), iterations: plan.memoryIterations });
  }
  await memory.close();

  const redisCase = async (label: string, url: string): Promise<RedisCounterStore> => {
    const store = await RedisCounterStore.connect({ url, keyPrefix: `toolgate-bench:${randomHex(4)}:`, commandTimeoutMs: 2_000 });
    for (const counters of [1, 3]) {
      const reqs = requests(counters, "grant:bench");
      await timeReserves(store, reqs, 200);
      const r = await timeReserves(store, reqs, plan.redisIterations);
      cases.push({ store: label, counters, usPerReserve: r.meanUs, p99Us: r.p99Us, iterations: plan.redisIterations });
    }
    return store;
  };

  if (plan.redisUrl !== undefined) {
    try {
      const store = await redisCase("redis (shared)", plan.redisUrl);
      await store.close();
    } catch (error) {
      notes.push(`shared Redis at ${plan.redisUrl} skipped: ${messageOf(error)}`);
    }
  }

  let redisPingUs: number | undefined;
  let redisCommandsPerReserve: Record<string, number> | undefined;
  let redisCommandBreakdown: Record<string, number> | undefined;
  if (plan.privateRedis) {
    const port = await freePort();
    let server;
    try {
      server = spawnTracked("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice"]);
    } catch (error) {
      notes.push(`private redis-server not started: ${messageOf(error)}`);
    }
    if (server) {
      try {
        await waitForOutput(server, /Ready to accept connections/, 5_000);
        const raw = await RawRedis.open("127.0.0.1", port);
        const pings: number[] = [];
        for (let i = 0; i < 500; i++) {
          const s = monotonicNs();
          await raw.command("PING");
          pings.push(Number(monotonicNs() - s) / 1_000);
        }
        redisPingUs = median(pings);
        const store = await redisCase("redis (private)", `redis://127.0.0.1:${port}/0`);
        redisCommandsPerReserve = {};
        redisCommandBreakdown = {};
        const n = 200;
        for (const counters of [1, 3]) {
          const reqs = requests(counters, "grant:count");
          await store.reserve(reqs); // the script is loaded (EVAL once per socket, EVALSHA after)
          const monitor = await startMonitor("127.0.0.1", port);
          for (let i = 0; i < n; i++) await store.reserve(reqs);
          const { client, script } = classifyMonitorLines(await monitor.stop());
          let total = 0;
          for (const [name, count] of client) {
            total += count;
            redisCommandBreakdown[`${counters} counter(s): ${name}`] = count;
          }
          redisCommandBreakdown[`${counters} counter(s): run inside the script`] = script;
          redisCommandsPerReserve[String(counters)] = total / n;
        }
        await store.close();
        raw.close();
      } catch (error) {
        notes.push(`private redis-server: ${messageOf(error)}`);
      } finally {
        await stopTree(server, 2_000);
      }
    }
  }
  let cluster: ClusterRoundTrips | undefined;
  if (plan.privateRedis) {
    try {
      cluster = await measureClusterRoundTrips((counters) => requests(counters, "grant:cluster"));
    } catch (error) {
      notes.push(`private Redis Cluster: ${messageOf(error)}`);
    }
  }
  return {
    cases,
    redisPingUs,
    redisCommandsPerReserve,
    redisCommandBreakdown,
    ...(cluster ? { clusterCommandsPerReserve: cluster.commandsPerReserve, clusterMastersTouched: cluster.mastersTouched } : {}),
    notes,
  };
}
