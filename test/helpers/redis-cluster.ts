/**
 * Private Redis deployments that fail over, for the fleet tests: a Redis Cluster (masters with one
 * replica each, `redis-server --cluster-enabled yes` joined by `redis-cli --cluster create`) and a
 * Sentinel group (one master, one replica, three `redis-server --sentinel`). Loopback only, nothing
 * kept beyond a temp dir, every port picked by the OS, every wait a bounded poll of the servers'
 * own state (CLUSTER INFO, ROLE, SENTINEL get-master-addr-by-name), never a fixed sleep.
 * `stop()` kills every process it started and is safe to call twice.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../src/bench/processes.js";
import { pollUntil } from "./redis-replicas.js";

const START_TIMEOUT_MS = 10_000;

/** One `redis-server` process (data node or Sentinel). */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  log = "";

  constructor(
    readonly port: number,
    private readonly args: readonly string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", [...this.args], { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = undefined;
    });
    const onData = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    await pollUntil(async () => (this.child === undefined ? Promise.reject(new Error(`redis-server on port ${this.port} exited; log:\n${this.log}`)) : (await ping(this.port)) ? true : undefined), START_TIMEOUT_MS, `redis-server on port ${this.port} answering PING`);
  }

  /** SIGKILL (a crash) and wait, bounded, for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, 3_000)))]);
    clearTimeout(timer);
    this.child = undefined;
  }
}

/** A short-lived admin connection (no retries) to one node; always closed. */
export async function withNode<T>(port: number, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000, commandTimeout: 2_000 });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect(false);
  }
}

async function ping(port: number): Promise<boolean> {
  try {
    return (await withNode(port, (r) => r.ping())) === "PONG";
  } catch {
    return false;
  }
}

/** Ports for n servers; a cluster node also needs its bus port, so pairs are taken. */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Fails (never skips) with a clear message when `redis-cli` is not on PATH. */
export function requireRedisCliBinary(): void {
  const probe = spawnSync("redis-cli", ["--version"], { encoding: "utf8", timeout: 5_000 });
  if (probe.error !== undefined || probe.status !== 0) throw new Error(`these tests build a Redis Cluster with \`redis-cli --cluster create\`; running \`redis-cli --version\` failed: ${probe.error?.message ?? probe.stderr}`);
}

/** `min-replicas-to-write 1`: a master without a replica refuses writes at once (NOREPLICAS) instead of writing and then failing `WAIT`. */
const COMMON = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "notice", "--protected-mode", "no", "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];

export class PrivateRedisCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: readonly RedisProcess[],
  ) {}

  /** `redis-cluster://…` naming every node (ioredis needs only one). */
  get url(): string {
    return `redis-cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`;
  }

  /** `masters` masters and as many replicas; node timeout 1 s so a replica takes over in a few seconds. */
  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), "toolgate-redis-cluster-"));
    const ports = await freePorts(masters * 4);
    const nodes = Array.from({ length: masters * 2 }, (_, i) => {
      const port = ports[i * 2]!;
      const busPort = ports[i * 2 + 1]!;
      return new RedisProcess(port, [
        "--port", String(port), "--cluster-enabled", "yes", "--cluster-port", String(busPort),
        "--cluster-config-file", join(dir, `nodes-${port}.conf`), "--cluster-node-timeout", "1000",
        "--cluster-replica-validity-factor", "0", "--dir", dir, ...COMMON,
      ]);
    });
    const cluster = new PrivateRedisCluster(dir, nodes);
    try {
      await Promise.all(nodes.map((n) => n.start()));
      const create = spawnSync("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"], { encoding: "utf8", timeout: 30_000 });
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (exit ${create.status}): ${create.stdout}\n${create.stderr}`);
      await cluster.waitUntilHealthy(20_000);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /**
   * Every running node says cluster_state:ok and every slot has a reachable master; with
   * `replicas` (default) every master also has an online replica.
   */
  async waitUntilHealthy(deadlineMs: number, replicas = true): Promise<void> {
    await pollUntil(
      async () => {
        for (const node of this.nodes.filter((n) => n.running)) {
          const info = await withNode(node.port, (r) => r.cluster("INFO") as Promise<string>).catch(() => "");
          if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return undefined;
          // A master whose replica is not yet online would fail every `WAIT 1`.
          const replication = await withNode(node.port, (r) => r.info("replication")).catch(() => "");
          if (replicas && /role:master/.test(replication) && !/slave0:.*state=online/.test(replication)) return undefined;
        }
        return true;
      },
      deadlineMs,
      "every cluster node reporting cluster_state:ok with 16384 slots served, every master with an online replica",
      100,
    );
  }

  /** The node serving `key`'s slot as master, asked of any running node. */
  async masterOf(key: string): Promise<RedisProcess> {
    const asker = this.nodes.find((n) => n.running)!;
    const port = await withNode(asker.port, async (r) => {
      const slot = (await r.cluster("KEYSLOT", key)) as number;
      const slots = (await r.cluster("SLOTS")) as unknown as [number, number, [string, number, string]][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (range === undefined) throw new Error(`no node serves slot ${slot}`);
      return range[2][1];
    });
    return this.nodes.find((n) => n.port === port)!;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class PrivateRedisSentinels {
  private constructor(
    readonly dir: string,
    readonly masterName: string,
    readonly data: readonly RedisProcess[],
    readonly sentinels: readonly RedisProcess[],
  ) {}

  get url(): string {
    return `redis-sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}/${this.masterName}`;
  }

  /** One master, one replica, three Sentinels (quorum 2) that call the master down after 1 s. */
  static async start(masterName = "toolgate-test"): Promise<PrivateRedisSentinels> {
    const dir = mkdtempSync(join(tmpdir(), "toolgate-redis-sentinel-"));
    const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(5);
    const master = new RedisProcess(masterPort!, ["--port", String(masterPort), "--dir", dir, ...COMMON]);
    const replica = new RedisProcess(replicaPort!, ["--port", String(replicaPort), "--replicaof", "127.0.0.1", String(masterPort), "--dir", dir, ...COMMON]);
    const sentinels = sentinelPorts.map((port) => {
      const file = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        file,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          "protected-mode no",
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      return new RedisProcess(port, [file, "--sentinel"]);
    });
    const group = new PrivateRedisSentinels(dir, masterName, [master, replica], sentinels);
    try {
      await master.start();
      await replica.start();
      await pollUntil(async () => ((await withNode(replica.port, (r) => r.info("replication")).catch(() => "")).includes("master_link_status:up") ? true : undefined), START_TIMEOUT_MS, "the replica in sync with the master", 100);
      await Promise.all(sentinels.map((s) => s.start()));
      // Every Sentinel knows the replica and the other Sentinels (else a failover cannot reach quorum).
      await pollUntil(
        async () => {
          for (const s of sentinels) {
            const replicas = (await withNode(s.port, (r) => r.call("SENTINEL", "REPLICAS", masterName) as Promise<unknown[]>).catch(() => [])) as unknown[];
            const peers = (await withNode(s.port, (r) => r.call("SENTINEL", "SENTINELS", masterName) as Promise<unknown[]>).catch(() => [])) as unknown[];
            if (replicas.length < 1 || peers.length < 2) return undefined;
          }
          return true;
        },
        20_000,
        "three Sentinels that know the replica and each other",
        100,
      );
    } catch (error) {
      await group.stop();
      throw error;
    }
    return group;
  }

  /** The port the Sentinels currently name as master. */
  async masterPort(): Promise<number> {
    const s = this.sentinels.find((x) => x.running)!;
    const [, port] = (await withNode(s.port, (r) => r.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", this.masterName))) as [string, string];
    return Number(port);
  }

  dataNode(port: number): RedisProcess {
    return this.data.find((n) => n.port === port)!;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.data].map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
