/**
 * What the Cluster and Sentinel tests share: two `toolgate serve --listen --store <url>` replicas in
 * front of one `kommo-sim`, a `stop_salesbot` limit per grant over a billion-second window (no
 * window boundary inside a run, so every count is exact), a burst of concurrent calls, and a
 * failover run: workers call in a loop, the master holding the counters is killed once some calls
 * were admitted, the deployment fails over, the dead node is started again (it rejoins as a
 * replica, so `WAIT 1` can be answered again), and the run ends once the limit denies again.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { RedisCounterStore } from "../../src/stores/redis-counter-store.js";
import { tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { startHttpGateway, type HttpGateway } from "../integration/gateway-http-process.js";
import { readEffectsFile, startKommoSimHttp, type KommoSimHttpProcess } from "./kommo-sim-process.js";
import { connectClients, outcomeOf, SEED_BOT_ARGS, writeGrants } from "./redis-replicas.js";

/** A billion seconds (~31.7 years). */
export const LONG_WINDOW_MS = 1_000_000_000_000;
export const COUNTER = "stop_salesbot_rate";

export interface Fleet {
  readonly replicas: readonly HttpGateway[];
  readonly sim: KommoSimHttpProcess;
  readonly effectsFile: string;
  readonly clients: Client[];
  /** Stop effects the simulator logged (what reached the CRM). */
  stops(): number;
  /** The replicas' store log lines, for failure messages. */
  storeLog(): string;
  stop(): Promise<void>;
}

/** Two gateway replicas on `storeUrl` in front of one simulator; `grants` each get `max` stops. */
export async function startFleet(storeUrl: string, grants: readonly string[], max: number, name: string): Promise<Fleet> {
  const dir = tempDir(`toolgate-${name}-`);
  const effectsFile = join(dir, "effects.jsonl");
  const policy = writeJson(dir, "policy.json", {
    version: "1",
    default: "deny",
    tools: { stop_salesbot: { limits: [{ counter: COUNTER, window: LONG_WINDOW_MS / 1_000, max, scope: "grant" }] } },
  });
  const { file } = writeGrants(dir, grants);
  const replicas: HttpGateway[] = [];
  const clients: Client[] = [];
  let sim: KommoSimHttpProcess | undefined;
  const stop = async (): Promise<void> => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(replicas.map((g) => g.stop()));
    await sim?.stop();
  };
  try {
    sim = await startKommoSimHttp(["--kommo-rps", "0", "--effects-file", effectsFile]);
    const args = ["--grants", file, "--policy", policy, "--upstream-url", sim.url, "--store", storeUrl, "--store-timeout-ms", "3000"];
    replicas.push(...(await Promise.all([startHttpGateway(args), startHttpGateway(args)])));
  } catch (error) {
    await stop();
    throw error;
  }
  const stops = (): number => readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop").length;
  const storeLog = (): string =>
    replicas
      .flatMap((g) => g.stderr().split("\n"))
      .filter((l) => l.includes('"event":"store'))
      .slice(-20)
      .join("\n");
  return { replicas, sim: sim!, effectsFile, clients, stops, storeLog, stop };
}

const seed = loadDefaultSeed();
const ARGS = SEED_BOT_ARGS(seed.salesbots[0]!.id, seed.leads[0]!.id);
const tokenOf = (grant: string): string => `token-${grant}-0123456789`;

async function sessions(fleet: Fleet, grant: string, perReplica: number): Promise<Client[][]> {
  const all = await Promise.all(fleet.replicas.map((g, i) => connectClients(g.url, tokenOf(grant), perReplica, `replica${i}-${grant}`)));
  fleet.clients.push(...all.flat());
  return all;
}

const call = async (client: Client): Promise<string> => outcomeOf((await client.callTool({ name: "stop_salesbot", arguments: ARGS })) as CallToolResult);

/** `calls` calls split over both replicas (five sessions each), all started before any is awaited. */
export async function burst(fleet: Fleet, grant: string, calls: number): Promise<string[]> {
  const perReplica = await sessions(fleet, grant, 5);
  const pending: Promise<string>[] = [];
  for (let k = 0; k < calls; k++) pending.push(call(perReplica[k % 2]![Math.floor(k / 2) % 5]!));
  return Promise.all(pending);
}

/** When a call started: before the kill, while `kill()` ran (failover), or after it finished. */
export type Phase = "before" | "failover" | "after";

export interface FailoverRun {
  readonly outcomes: readonly { readonly outcome: string; readonly phase: Phase }[];
  readonly admittedBeforeKill: number;
}

/**
 * Workers (per replica) call in a loop. Once `killAfter` calls were admitted, `kill()` runs (it kills
 * the master, waits for the failover and starts the dead node again); the workers go on until a
 * call started after `kill()` finished is denied `rate_limited`, or `deadlineMs` passes.
 */
export async function failoverRun(fleet: Fleet, grant: string, options: { killAfter: number; workersPerReplica: number; deadlineMs: number; kill(): Promise<void> }): Promise<FailoverRun> {
  const perReplica = await sessions(fleet, grant, options.workersPerReplica);
  const outcomes: { outcome: string; phase: Phase }[] = [];
  let admitted = 0;
  let admittedBeforeKill = -1;
  let killing: Promise<void> | undefined;
  let recovered = false;
  let killError: unknown;
  let killDone = false;
  const startedMs = performance.now();
  const worker = async (client: Client): Promise<void> => {
    while (!recovered && performance.now() - startedMs < options.deadlineMs && killError === undefined) {
      const phase: Phase = killing === undefined ? "before" : killDone ? "after" : "failover";
      const outcome = await call(client);
      outcomes.push({ outcome, phase });
      if (outcome === "allowed") admitted++;
      if (outcome === "rate_limited" && phase === "after") recovered = true;
      if (killing === undefined && admitted >= options.killAfter) {
        admittedBeforeKill = admitted;
        killing = options.kill().then(
          () => void (killDone = true),
          (error: unknown) => void (killError = error),
        );
      }
    }
  };
  await Promise.all(perReplica.flat().map((c) => worker(c)));
  await killing;
  if (killError !== undefined) throw killError;
  if (!recovered) throw new Error(`no rate_limited denial after the failover within ${options.deadlineMs} ms; outcomes: ${JSON.stringify(tallyAfter(outcomes))}`);
  return { outcomes, admittedBeforeKill };
}

/** Outcomes counted per phase, e.g. `{ "before:allowed": 5, "failover:store_unavailable": 80 }`. */
export function tallyAfter(outcomes: readonly { outcome: string; phase: Phase }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[`${o.phase}:${o.outcome}`] = (counts[`${o.phase}:${o.outcome}`] ?? 0) + 1;
  return counts;
}

/** The grant's counter as the (new) master holds it, read through a store on the same URL. */
export async function counterUsed(storeUrl: string, grant: string): Promise<number> {
  const store = await RedisCounterStore.connect({ url: storeUrl, commandTimeoutMs: 3_000 });
  try {
    return (await store.peek(`grant:${grant}|${COUNTER}`, LONG_WINDOW_MS)).used;
  } finally {
    await store.close();
  }
}

/** The Redis key of the grant's counter (for finding the master of its slot). */
export function counterKey(grant: string): string {
  return `{toolgate:counters}:${LONG_WINDOW_MS}:grant:${grant}|${COUNTER}`;
}

/**
 * What a failover run must show. Worst case the design allows (`wait=1`, one replica per master):
 * NO over-admission, since an admission is answered only after a replica acknowledged its
 * reservation and the deployment promotes that replica; so at most `max` stops reach the CRM.
 * Calls during the failover are denied `store_unavailable` (fail closed), and each of those may
 * have reserved before its answer was lost (under-admission, bounded by their number). Once the
 * replica took over and the dead node rejoined, calls are decided by the limit again: the counter
 * ends at exactly `max` and a call started after recovery is denied `rate_limited`.
 */
export async function expectFailoverFacts(fleet: Fleet, run: FailoverRun, o: { storeUrl: string; grant: string; max: number; stopsBefore: number; label: string }): Promise<void> {
  const { expect } = await import("vitest");
  const counts = tallyAfter(run.outcomes);
  console.info(`[${o.label}] failover run: ${JSON.stringify(counts)}; admitted when the kill began: ${run.admittedBeforeKill}`);
  const of = (outcome: string): number => run.outcomes.filter((x) => x.outcome === outcome).length;
  for (const x of run.outcomes) expect(["allowed", "rate_limited", "store_unavailable"]).toContain(x.outcome);
  expect(fleet.stops() - o.stopsBefore, "stops the CRM saw equal the admitted calls").toBe(of("allowed"));
  expect(of("allowed"), "no over-admission").toBeLessThanOrEqual(o.max);
  expect(of("allowed"), "under-admission at most the calls denied store_unavailable").toBeGreaterThanOrEqual(o.max - of("store_unavailable"));
  expect(counts["failover:store_unavailable"] ?? 0, "calls during the failover fail closed").toBeGreaterThan(0);
  expect(counts["after:rate_limited"] ?? 0, "after recovery the limit decides again").toBeGreaterThan(0);
  expect(await counterUsed(o.storeUrl, o.grant)).toBe(o.max);
  for (const g of fleet.replicas) expect(g.child.exitCode, g.stderr()).toBeNull();
}
