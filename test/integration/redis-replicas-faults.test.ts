/**
 * Redis dies under real `toolgate serve --listen --store redis://…` processes, mid-run: two replicas
 * failing closed (the default) in front of one `kommo-sim`, and one replica with `--store-fail
 * open` in front of another, all on one private `redis-server` on its own loopback port.
 *
 * - Killed mid-run: the closed replicas answer `store_unavailable` denials, the open one allows;
 *   no gateway crashes, and the closed side's simulator saw no more than `max` stops.
 * - Restarted on the same port (empty: the private server keeps nothing on disk): service resumes,
 *   and later calls are decided by the limit again (exactly `max` admitted, then `rate_limited`).
 *
 * The limit's window is a billion seconds, so no window boundary falls inside a run and every count
 * is exact. Every wait is bounded; the only real-time waits poll I/O. Never skipped: without
 * `redis-server` on PATH the suite fails saying so.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, expect, test } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { readEffectsFile, startKommoSimHttp, type KommoSimHttpProcess } from "../helpers/kommo-sim-process.js";
import { PrivateRedisServer } from "../helpers/redis-server.js";
import { connectClients, decisionOf, outcomeOf, pollUntil, requireRedisServerBinary, SEED_BOT_ARGS, tally } from "../helpers/redis-replicas.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const MAX = 20;
/** A billion seconds (~31.7 years): the current window ends in 2033. */
const LONG_WINDOW_S = 1_000_000_000;
const RECOVERY_DEADLINE_MS = 10_000;
/** Calls per worker in the mid-run phase; the kill comes when the whole run has started KILL_AT calls. */
const CALLS_PER_WORKER = 15;
const KILL_AT = 8;

const dir = tempDir("toolgate-redis-replica-faults-");
const seed = loadDefaultSeed();
const bot = seed.salesbots[0]!;
const lead = seed.leads[0]!;
const policyFile = writeJson(dir, "policy.json", {
  version: "1",
  default: "deny",
  tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: LONG_WINDOW_S, max: MAX, scope: "grant" }] } },
});

interface Side {
  readonly name: "closed" | "open";
  readonly effectsFile: string;
  sim: KommoSimHttpProcess;
  gateways: HttpGateway[];
  /** Two sessions per gateway. */
  clients: Client[][];
}

let redis: PrivateRedisServer | undefined;
const sides: Side[] = [];
const allClients: Client[] = [];

async function startSide(name: Side["name"], replicas: number): Promise<Side> {
  const effectsFile = join(dir, `effects-${name}.jsonl`);
  const sim = await startKommoSimHttp(["--kommo-rps", "0", "--effects-file", effectsFile]);
  const args = ["--policy", policyFile, "--grant", `faults-${name}`, "--upstream-url", sim.url, "--store", redis!.url, ...(name === "open" ? ["--store-fail", "open"] : [])];
  const side: Side = { name, effectsFile, sim, gateways: [], clients: [] };
  sides.push(side); // before the gateways start, so that afterAll stops whatever did start
  for (const g of await Promise.allSettled(Array.from({ length: replicas }, () => startHttpGateway(args)))) {
    if (g.status === "fulfilled") side.gateways.push(g.value);
    else throw g.reason;
  }
  side.clients = await Promise.all(side.gateways.map((g, i) => connectClients(g.url, undefined, 2, `${name}-${i}`)));
  allClients.push(...side.clients.flat());
  return side;
}

/** Inside the test (not beforeAll), so that a missing `redis-server` fails the test rather than skipping it. */
async function setUp(): Promise<void> {
  requireRedisServerBinary();
  redis = await PrivateRedisServer.start();
  await startSide("closed", 2);
  await startSide("open", 1);
}

afterAll(async () => {
  await Promise.allSettled(allClients.map((c) => c.close()));
  await Promise.allSettled(sides.flatMap((s) => s.gateways.map((g) => g.stop())));
  await Promise.allSettled(sides.map((s) => s.sim.stop()));
  await redis?.stop();
});

const side = (name: Side["name"]): Side => sides.find((s) => s.name === name)!;
const stops = (s: Side): number => readEffectsFile(s.effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop").length;
const call = async (client: Client): Promise<CallToolResult> => (await client.callTool({ name: "stop_salesbot", arguments: SEED_BOT_ARGS(bot.id, lead.id) })) as CallToolResult;
/** `n` calls at once, round-robin over every session of the side. */
const concurrently = (s: Side, n: number): Promise<CallToolResult[]> => {
  const sessions = s.clients.flat();
  return Promise.all(Array.from({ length: n }, (_, i) => call(sessions[i % sessions.length]!)));
};

async function healthy(g: HttpGateway): Promise<void> {
  expect(g.child.exitCode, `a gateway exited; stderr:\n${g.stderr()}`).toBeNull();
  const res = await fetch(`${g.base}/health`);
  expect(res.status).toBe(200);
}

interface Timed {
  readonly side: Side["name"];
  readonly afterKill: boolean;
  readonly outcome: string;
  readonly result: CallToolResult;
  readonly elapsedMs: number;
}

test("killed mid-run: closed replicas deny store_unavailable without over-admitting, the open one allows; restarted: the limit decides again", async () => {
  await setUp();
  const closed = side("closed");
  const open = side("open");

  // Before: Redis counts. Closed: 18 of 20 used, two left when the kill comes. Open: full.
  expect(tally((await concurrently(closed, 18)).map(outcomeOf))).toEqual({ allowed: 18 });
  expect(tally((await concurrently(open, MAX + 3)).map(outcomeOf))).toEqual({ allowed: MAX, rate_limited: 3 });
  expect(stops(closed)).toBe(18);
  expect(stops(open)).toBe(MAX);

  // Mid-run: six sequential workers (two per gateway); the KILL_AT-th call started kills Redis.
  let started = 0;
  let killed = false;
  let killing: Promise<void> | undefined;
  const timed: Timed[] = [];
  const worker = async (s: Side, client: Client): Promise<void> => {
    for (let i = 0; i < CALLS_PER_WORKER; i++) {
      started += 1;
      if (started === KILL_AT) killing = redis!.kill().then(() => void (killed = true));
      const afterKill = killed;
      const t0 = performance.now();
      const result = await call(client);
      timed.push({ side: s.name, afterKill, outcome: outcomeOf(result), result, elapsedMs: performance.now() - t0 });
    }
  };
  await Promise.all(sides.flatMap((s) => s.clients.flat().map((c) => worker(s, c))));
  await killing;
  const of = (name: Side["name"], afterKill?: boolean): Timed[] => timed.filter((t) => t.side === name && (afterKill === undefined || t.afterKill === afterKill));

  // No crash: every gateway is up and answers its health check while Redis is down.
  for (const g of sides.flatMap((s) => s.gateways)) await healthy(g);

  // Closed: nothing beyond the limit reached the CRM; after the kill only store_unavailable.
  const closedAllowed = of("closed").filter((t) => t.outcome === "allowed").length;
  expect(closedAllowed).toBeLessThanOrEqual(MAX - 18);
  expect(stops(closed)).toBe(18 + closedAllowed);
  expect(stops(closed)).toBeLessThanOrEqual(MAX);
  expect(of("closed").every((t) => ["allowed", "rate_limited", "store_unavailable"].includes(t.outcome))).toBe(true);
  const closedAfter = of("closed", true);
  expect(closedAfter.length).toBeGreaterThan(20);
  expect(tally(closedAfter.map((t) => t.outcome))).toEqual({ store_unavailable: closedAfter.length });
  for (const t of closedAfter) {
    expect(decisionOf(t.result)).toEqual({ decision: "deny", code: "store_unavailable", rule: "(store)", decisionId: expect.stringMatching(/^dec_[0-9a-f]{16}$/), tool: "stop_salesbot" });
    expect(t.result.isError).toBe(true);
    expect(t.result.content).toEqual([{ type: "text", text: "[POLICY DENIED] tool `stop_salesbot` is denied: the counter store is unavailable" }]);
  }
  for (const g of closed.gateways) expect(g.stderr()).toMatch(/"event":"store_unavailable"[^\n]*"failMode":"closed"|"failMode":"closed"[^\n]*"event":"store_unavailable"/);

  // Open: after the kill every call is allowed (and reached the CRM), as configured.
  const openAfter = of("open", true);
  expect(openAfter.length).toBeGreaterThan(10);
  expect(tally(openAfter.map((t) => t.outcome))).toEqual({ allowed: openAfter.length });
  expect(of("open", false).every((t) => t.outcome === "rate_limited" || t.outcome === "allowed")).toBe(true);
  expect(stops(open)).toBe(MAX + of("open").filter((t) => t.outcome === "allowed").length);
  expect(open.gateways[0]!.stderr()).toMatch(/"failMode":"open"/);

  const slowestFailMs = Math.max(...timed.filter((t) => t.afterKill).map((t) => t.elapsedMs));
  console.info(`[redis-replicas-faults] mid-run: ${timed.length} calls, ${closedAfter.length} closed + ${openAfter.length} open after the kill; slowest answer after the kill ${slowestFailMs.toFixed(0)} ms; closed outcomes ${JSON.stringify(tally(of("closed").map((t) => t.outcome)))}`);

  // Restarted on the same port, empty: each gateway reconnects on its own (bounded poll).
  await redis!.restart();
  const restartedMs = performance.now();
  let admittedWhilePolling = 0;
  for (const sessions of closed.clients) {
    const first = await pollUntil(async () => {
      const outcome = outcomeOf(await call(sessions[0]!));
      return outcome === "store_unavailable" ? undefined : outcome;
    }, RECOVERY_DEADLINE_MS, "a closed replica deciding by Redis again after the restart");
    expect(first).toBe("allowed"); // a fresh counter
    admittedWhilePolling += 1;
  }
  const recoveredMs = performance.now() - restartedMs; // both closed replicas

  // The limit decides again: the closed replicas share one fresh counter of MAX.
  const closedBefore = stops(closed);
  const closedAgain = await concurrently(closed, 30);
  expect(tally(closedAgain.map(outcomeOf))).toEqual({ allowed: MAX - admittedWhilePolling, rate_limited: 30 - (MAX - admittedWhilePolling) });
  expect(stops(closed) - closedBefore).toBe(MAX - admittedWhilePolling);
  // The open gateway: once Redis counts again, it is rate limited after MAX in the fresh window.
  const openLimited = await pollUntil(async () => {
    const r = await call(open.clients[0]![0]!);
    return outcomeOf(r) === "rate_limited" ? decisionOf(r) : undefined;
  }, RECOVERY_DEADLINE_MS, "the open gateway rate limiting again after the restart", 0);
  expect(openLimited).toMatchObject({ code: "rate_limited", max: MAX, remaining: 0, scope: "grant" });
  for (const g of sides.flatMap((s) => s.gateways)) await healthy(g);
  console.info(`[redis-replicas-faults] recovered ${recoveredMs.toFixed(0)} ms after the restart (every gateway); closed admitted ${admittedWhilePolling} while polling, then ${MAX - admittedWhilePolling} of 30`);
}, 120_000);
