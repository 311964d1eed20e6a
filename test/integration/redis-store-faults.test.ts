/**
 * The Redis counter store when its Redis dies or freezes: every call fails fast with
 * STORE_UNAVAILABLE (bounded by the command timeout), nothing is admitted that Redis did not count,
 * the process does not crash, and service resumes when Redis is back. Runs on a private
 * `redis-server` started by the test on its own loopback port; it is killed in afterAll.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import type { CounterRequest, CounterStore, ReserveResult } from "../../src/stores/counter-store.js";
import { RedisCounterStore } from "../../src/stores/redis-counter-store.js";
import { PrivateRedisServer } from "../helpers/redis-server.js";

const COMMAND_TIMEOUT_MS = 200;
/** The bound the brief sets for a failing call, well above the command timeout. */
const FAIL_FAST_MS = 1_000;
const RECOVERY_DEADLINE_MS = 5_000;
/** 317 years from the epoch: no test run straddles this window's boundary. */
const FOREVER_MS = 10_000_000_000_000;

let server: PrivateRedisServer;
const stores: RedisCounterStore[] = [];

async function open(waitForConnection = true): Promise<RedisCounterStore> {
  const store = await RedisCounterStore.connect({ url: server.url, commandTimeoutMs: COMMAND_TIMEOUT_MS, waitForConnection });
  stores.push(store);
  return store;
}

type Outcome = { readonly kind: "admitted" | "refused" } | { readonly kind: "unavailable"; readonly elapsedMs: number };

async function attempt(store: CounterStore, request: CounterRequest): Promise<Outcome> {
  const startedMs = performance.now();
  let result: ReserveResult;
  try {
    result = await store.reserve([request]);
  } catch (error) {
    if (error instanceof GatewayError && error.code === "STORE_UNAVAILABLE") return { kind: "unavailable", elapsedMs: performance.now() - startedMs };
    throw error;
  }
  return { kind: result.ok ? "admitted" : "refused" };
}

/** Retries (bounded) until Redis answers again; returns how long that took. */
async function untilAvailable(store: CounterStore, request: CounterRequest): Promise<number> {
  const startedMs = performance.now();
  while (performance.now() - startedMs < RECOVERY_DEADLINE_MS) {
    const outcome = await attempt(store, request);
    if (outcome.kind !== "unavailable") return performance.now() - startedMs;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the store did not recover within ${RECOVERY_DEADLINE_MS} ms of the restart`);
}

const count = (outcomes: readonly Outcome[], kind: Outcome["kind"]): number => outcomes.filter((o) => o.kind === kind).length;
const slowest = (outcomes: readonly Outcome[]): number => Math.max(0, ...outcomes.map((o) => (o.kind === "unavailable" ? o.elapsedMs : 0)));

beforeAll(async () => {
  server = await PrivateRedisServer.start();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

test("killed mid-run: calls fail fast as STORE_UNAVAILABLE and nothing over-admits; restarted: service resumes", async () => {
  const store = await open();
  // max is reached shortly before the kill, so an over-admission would show.
  const request: CounterRequest = { key: "grant:faults|kill", windowMs: FOREVER_MS, max: 35, amount: 1 };
  const before = await Promise.all(Array.from({ length: 20 }, () => attempt(store, request)));
  expect(count(before, "admitted")).toBe(20);

  // Four workers reserve in a loop; the 30th call (with the other workers' calls in flight) kills Redis.
  let started = 0;
  const worker = async (): Promise<Outcome[]> => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 50; i += 1) {
      started += 1;
      if (started === 30) server.signal("SIGKILL");
      outcomes.push(await attempt(store, request));
    }
    return outcomes;
  };
  const during = (await Promise.all(Array.from({ length: 4 }, worker))).flat();
  expect(during).toHaveLength(200);
  expect(count(during, "unavailable")).toBeGreaterThanOrEqual(200 - 30);
  expect(count(during, "admitted")).toBe(15);
  expect(count(during, "refused")).toBeGreaterThan(0);
  expect(slowest(during)).toBeLessThan(FAIL_FAST_MS);
  await server.kill(); // reap it

  const down = await Promise.all(Array.from({ length: 100 }, () => attempt(store, request)));
  expect(count(down, "unavailable")).toBe(100);
  expect(slowest(down)).toBeLessThan(FAIL_FAST_MS);
  await expect(store.peek(request.key, FOREVER_MS)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  await expect(store.rollback({ entries: [{ key: request.key, windowMs: FOREVER_MS, windowStartMs: 0, amount: 1 }] })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });

  // A replica that starts while Redis is down comes up, refuses, and recovers like the others.
  const late = await open(false);
  expect(await attempt(late, request)).toMatchObject({ kind: "unavailable" });

  await server.restart();
  await untilAvailable(store, request);
  await untilAvailable(late, request);
  // The restarted Redis keeps nothing on disk: the counter starts over, and still admits exactly max.
  // Sequential: a burst of queued calls on a loaded machine could outlast the 200 ms timeout.
  const after: Outcome[] = [];
  for (let i = 0; i < 40; i += 1) after.push(await attempt(i % 2 === 0 ? store : late, request));
  expect(count(after, "unavailable")).toBe(0);
  expect(count(after, "admitted")).toBe(35 - 2);
  expect((await store.peek(request.key, FOREVER_MS)).used).toBe(35);
});

test("frozen (SIGSTOP): calls fail after the command timeout, not later; thawed: service resumes", async () => {
  const store = await open();
  const request: CounterRequest = { key: "grant:faults|freeze", windowMs: FOREVER_MS, max: 30, amount: 1 };
  expect(await attempt(store, request)).toEqual({ kind: "admitted" });
  server.signal("SIGSTOP");
  let frozen: Outcome[];
  try {
    frozen = await Promise.all(Array.from({ length: 20 }, () => attempt(store, request)));
  } finally {
    server.signal("SIGCONT");
  }
  expect(count(frozen, "unavailable")).toBe(20);
  for (const outcome of frozen) {
    if (outcome.kind !== "unavailable") continue;
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 5);
    expect(outcome.elapsedMs).toBeLessThan(FAIL_FAST_MS);
  }
  await untilAvailable(store, request);
  // Calls that timed out may still have been counted once Redis thawed: that errs on the side of
  // refusing (fail closed), never of admitting more than max.
  const rest: Outcome[] = [];
  for (let i = 0; i < 40; i += 1) rest.push(await attempt(store, request));
  const used = (await store.peek(request.key, FOREVER_MS)).used;
  expect(used).toBe(30);
  expect(1 + 1 + count(rest, "admitted")).toBeLessThanOrEqual(30);
});
