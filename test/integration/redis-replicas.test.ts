/**
 * Two `toolgate serve --listen --store redis://…` replicas on one private `redis-server` in front of
 * ONE `toolgate kommo-sim --listen` (shared HTTP upstream, one fake CRM, one --effects-file), with
 * the seed policy (stop_salesbot: 10 per minute per grant). 500 `stop_salesbot` calls, 250 through
 * each replica over five MCP sessions each, all in flight at once, admit exactly 10, as the
 * simulator's effects file shows; the other 490 are well-formed `rate_limited` denials.
 *
 * Time: the Redis store reads window boundaries from Redis `TIME` (so replicas agree), not from the
 * gateways' clock, so TOOLGATE_CLOCK_FILE cannot pin the window. Instead the test reads Redis `TIME`
 * before the first call and after the last answer; every reservation happened between the two. If
 * they lie in different minutes the burst straddled a boundary: it is repeated once on a second
 * grant (its own counter) at the start of the new minute, which has ~60 s left. Never skipped:
 * without `redis-server` on PATH the suite fails saying so.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, expect, test } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { REPO_ROOT, tempDir } from "../fixtures/servers/gateway-process.js";
import { readEffectsFile, startKommoSimHttp, type KommoSimHttpProcess } from "../helpers/kommo-sim-process.js";
import { PrivateRedisServer } from "../helpers/redis-server.js";
import { connectClients, decisionOf, outcomeOf, redisTimeMs, requireRedisServerBinary, SEED_BOT_ARGS, tally, writeGrants } from "../helpers/redis-replicas.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const MINUTE_MS = 60_000;
const MAX = 10;
const CALLS_PER_REPLICA = 250;
const SESSIONS_PER_REPLICA = 5;
const SEED_POLICY = join(REPO_ROOT, "fixtures/policies/valid/seed.json");
const GRANTS = ["burst-a", "burst-b"] as const;

const dir = tempDir("toolgate-redis-replicas-");
const effectsFile = join(dir, "effects.jsonl");
const seed = loadDefaultSeed();
const bot = seed.salesbots[0]!;
const lead = seed.leads[0]!;

let redis: PrivateRedisServer | undefined;
let sim: KommoSimHttpProcess | undefined;
const replicas: HttpGateway[] = [];
const clients: Client[] = [];

/** Inside the test (not beforeAll), so that a missing `redis-server` fails the test rather than skipping it. */
async function setUp(): Promise<void> {
  requireRedisServerBinary();
  redis = await PrivateRedisServer.start();
  sim = await startKommoSimHttp(["--kommo-rps", "0", "--effects-file", effectsFile]);
  const grants = writeGrants(dir, GRANTS);
  const args = ["--grants", grants.file, "--policy", SEED_POLICY, "--upstream-url", sim.url, "--store", redis.url];
  replicas.push(...(await Promise.all([startHttpGateway(args), startHttpGateway(args)])));
}

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(replicas.map((g) => g.stop()));
  await sim?.stop();
  await redis?.stop();
});

const stopEffects = (): number => readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop").length;

interface Burst {
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly elapsedMs: number;
  readonly results: { replica: number; result: CallToolResult }[];
  readonly effects: number;
}

/** 250 calls per replica, spread over its sessions, all started before any is awaited. */
async function burst(grant: string): Promise<Burst> {
  const token = `token-${grant}-0123456789`;
  const perReplica = await Promise.all(replicas.map((g, i) => connectClients(g.url, token, SESSIONS_PER_REPLICA, `replica${i}-${grant}`)));
  clients.push(...perReplica.flat());
  const effectsBefore = stopEffects();
  const beforeMs = await redisTimeMs(redis!.port);
  const startedMs = performance.now();
  const calls: Promise<{ replica: number; result: CallToolResult }>[] = [];
  for (let k = 0; k < CALLS_PER_REPLICA; k++) {
    perReplica.forEach((sessions, replica) => {
      const client = sessions[k % SESSIONS_PER_REPLICA]!;
      calls.push(client.callTool({ name: "stop_salesbot", arguments: SEED_BOT_ARGS(bot.id, lead.id) }).then((r) => ({ replica, result: r as CallToolResult })));
    });
  }
  const results = await Promise.all(calls);
  const elapsedMs = performance.now() - startedMs;
  const afterMs = await redisTimeMs(redis!.port);
  return { beforeMs, afterMs, elapsedMs, results, effects: stopEffects() - effectsBefore };
}

test("500 concurrent stop_salesbot calls split over two replicas admit exactly 10 in the minute; 490 are rate_limited", async () => {
  await setUp();
  let run = await burst(GRANTS[0]);
  let attempts = 1;
  if (Math.floor(run.beforeMs / MINUTE_MS) !== Math.floor(run.afterMs / MINUTE_MS)) {
    // Straddled a minute boundary: the new minute began during the burst, ~60 s remain in it.
    run = await burst(GRANTS[1]);
    attempts = 2;
  }
  const windowStartMs = Math.floor(run.beforeMs / MINUTE_MS) * MINUTE_MS;
  expect(Math.floor(run.afterMs / MINUTE_MS) * MINUTE_MS, "the burst fit in one minute of Redis time").toBe(windowStartMs);
  const windowEndMs = windowStartMs + MINUTE_MS;
  console.info(`[redis-replicas] burst of ${run.results.length} calls: ${run.elapsedMs.toFixed(0)} ms; attempts ${attempts}; redis time span ${run.afterMs - run.beforeMs} ms`);

  const outcomes = run.results.map((r) => outcomeOf(r.result));
  expect(tally(outcomes)).toEqual({ allowed: MAX, rate_limited: CALLS_PER_REPLICA * 2 - MAX });
  expect(run.effects).toBe(MAX); // what reached the CRM, from the simulator's own log
  const admittedBy = [0, 1].map((replica) => run.results.filter((r) => r.replica === replica && outcomeOf(r.result) === "allowed").length);
  console.info(`[redis-replicas] admitted per replica: ${admittedBy.join(" + ")}`);
  expect(run.results.filter((r) => r.replica === 0)).toHaveLength(CALLS_PER_REPLICA);

  const denials = run.results.filter((r) => outcomeOf(r.result) === "rate_limited").map((r) => r.result);
  const ids = new Set<unknown>();
  for (const denial of denials) {
    const meta = decisionOf(denial)!;
    expect(meta).toEqual({
      decision: "deny",
      code: "rate_limited",
      rule: "/tools/stop_salesbot/limits/0",
      decisionId: expect.stringMatching(/^dec_[0-9a-f]{16}$/),
      tool: "stop_salesbot",
      counter: "stop_salesbot_rate",
      scope: "grant",
      window: "minute",
      max: MAX,
      remaining: 0,
      retryAfterMs: expect.any(Number),
      resetAt: new Date(windowEndMs).toISOString(),
    });
    expect(meta.retryAfterMs as number).toBeGreaterThanOrEqual(windowEndMs - run.afterMs);
    expect(meta.retryAfterMs as number).toBeLessThanOrEqual(windowEndMs - run.beforeMs);
    expect(denial.isError).toBe(true);
    expect(denial.content).toEqual([{ type: "text", text: expect.stringMatching(/^\[POLICY DENIED\] Rate limit exceeded: stop_salesbot_rate allows 10 /) }]);
    ids.add(meta.decisionId);
  }
  expect(ids.size).toBe(denials.length);
  for (const g of replicas) {
    expect(g.child.exitCode, g.stderr()).toBeNull();
    expect(g.stderr()).not.toContain('"event":"store_unavailable"');
  }
}, 120_000);
