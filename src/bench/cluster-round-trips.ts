/**
 * Round trips per reservation on a Redis Cluster: three private `redis-server --cluster-enabled`
 * masters on loopback (no replicas, nothing on disk beyond a temp dir), joined by `redis-cli
 * --cluster create`, every node watched with MONITOR while N reservations run through a
 * `redis-cluster://…?wait=0` store. Commands clients sent (less the slot-map refresher's CLUSTER
 * commands) are counted over all nodes; a hash-tagged
 * reservation is one EVALSHA on one master. (`wait=1`, the cluster default, adds a WAIT in the
 * same pipeline: still one round trip; `test/integration/redis-cluster.test.ts` checks that.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../core/clock.js";
import type { CounterRequest } from "../stores/counter-store.js";
import { RedisCounterStore } from "../stores/redis-counter-store.js";
import { freePort, spawnTracked, stopTree, type Tracked, waitForOutput } from "./processes.js";
import { classifyMonitorLines, RawRedis, startMonitor } from "./raw-redis.js";

export interface ClusterRoundTrips {
  /** Commands clients sent per reservation, over all masters, by counters per reservation. */
  readonly commandsPerReserve: Readonly<Record<string, number>>;
  /** How many masters received any of them (1 = one slot, one node). */
  readonly mastersTouched: Readonly<Record<string, number>>;
}

const MASTERS = 3;

export async function measureClusterRoundTrips(requests: (counters: number) => CounterRequest[], n = 200): Promise<ClusterRoundTrips> {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-bench-cluster-"));
  const nodes: Tracked[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < MASTERS; i++) {
      const port = await freePort();
      const bus = await freePort();
      ports.push(port);
      nodes.push(
        spawnTracked("redis-server", ["--port", String(port), "--cluster-enabled", "yes", "--cluster-port", String(bus), "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--dir", dir, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]),
      );
    }
    await Promise.all(nodes.map((node) => waitForOutput(node, /Ready to accept connections/, 10_000)));
    const create = spawnTracked("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"]);
    const created = await create.exited;
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed (exit ${created.code}): ${create.output().slice(-1_000)}`);
    await waitForClusterOk(ports, 20_000);
    const store = await RedisCounterStore.connect({ url: `redis-cluster://${ports.map((p) => `127.0.0.1:${p}`).join(",")}?wait=0`, commandTimeoutMs: 3_000 });
    const commandsPerReserve: Record<string, number> = {};
    const mastersTouched: Record<string, number> = {};
    try {
      for (const counters of [1, 3]) {
        const reqs = requests(counters);
        await store.reserve(reqs); // the script is loaded on the socket of the counters' master
        const monitors = await Promise.all(ports.map((p) => startMonitor("127.0.0.1", p)));
        for (let i = 0; i < n; i++) await store.reserve(reqs);
        let total = 0;
        let touched = 0;
        for (const monitor of monitors) {
          const { client } = classifyMonitorLines(await monitor.stop());
          // CLUSTER SLOTS/INFO come from the client's slot-map refresher, not from a reservation.
          const sent = [...client.entries()].filter(([name]) => name !== "cluster").reduce((a, [, count]) => a + count, 0);
          total += sent;
          if (sent > 0) touched++;
        }
        commandsPerReserve[String(counters)] = total / n;
        mastersTouched[String(counters)] = touched;
      }
    } finally {
      await store.close();
    }
    return { commandsPerReserve, mastersTouched };
  } finally {
    await Promise.all(nodes.map((node) => stopTree(node, 2_000)));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForClusterOk(ports: readonly number[], deadlineMs: number): Promise<void> {
  const startedMs = systemClock.nowMs();
  for (;;) {
    let ok = true;
    for (const port of ports) {
      const raw = await RawRedis.open("127.0.0.1", port);
      try {
        const info = await raw.command("CLUSTER", "INFO");
        if (!/cluster_state:ok/.test(info)) ok = false;
      } finally {
        raw.close();
      }
    }
    if (ok) return;
    if (systemClock.nowMs() - startedMs > deadlineMs) throw new Error(`the bench cluster did not reach cluster_state:ok within ${deadlineMs} ms`);
    await systemClock.sleep(100);
  }
}
