/**
 * The Redis counter store against a real Redis (REDIS_URL, default redis://127.0.0.1:6379/0).
 * These tests never skip: when Redis is unreachable they fail, in CI and locally alike.
 * Each run writes under its own key prefix and deletes it afterwards.
 */
import { expect, test } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import type { CounterRequest } from "../../src/stores/counter-store.js";
import { RedisCounterStore, type RedisCounterStoreOptions, redactUrl } from "../../src/stores/redis-counter-store.js";
import { useRedisTestDb } from "../helpers/redis-test-db.js";
import { runCounterStoreContract } from "./counter-store.case.js";

const db = useRedisTestDb();
const REDIS_URL = db.url;
const PREFIX = db.prefix;
const MARGIN_MS = 1_000;
/**
 * Generous on purpose: these tests check semantics, and 1,000 calls queued on one connection of a
 * loaded CI machine can take longer than the 200 ms default. The fail-fast bound is tested in
 * `test/integration/redis-store-faults.test.ts`.
 */
const COMMAND_TIMEOUT_MS = 5_000;
/** A window so long (317 years, from the epoch) that no test run can straddle its boundary. */
const FOREVER_MS = 10_000_000_000_000;

async function open(options: Partial<RedisCounterStoreOptions> = {}): Promise<RedisCounterStore> {
  db.assertReachable();
  const store = await RedisCounterStore.connect({ url: REDIS_URL, keyPrefix: PREFIX, expiryMarginMs: MARGIN_MS, commandTimeoutMs: COMMAND_TIMEOUT_MS, ...options });
  return db.track(store);
}

async function redisNowMs(): Promise<number> {
  const [seconds, micros] = await db.admin.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

// The shared contract twice: on Redis's own clock (the boundary cases that need a movable clock are
// skipped by the suite), and on the VirtualClock through the `timeSource` test seam (every case).
runCounterStoreContract("redis (Redis TIME)", () => open(), { followsClock: false });
runCounterStoreContract("redis (test-seam clock)", (clock) => open({ timeSource: clock }));

test("1,000 concurrent reservations from two replicas admit exactly max", async () => {
  const [a, b] = [await open(), await open()];
  const request: CounterRequest = { key: "grant:g1|burst", windowMs: FOREVER_MS, max: 137, amount: 1 };
  const results = await Promise.all(Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? a : b).reserve([request])));
  const admitted = results.filter((r) => r.ok);
  expect(admitted).toHaveLength(137);
  expect(new Set(admitted.map((r) => (r.ok ? r.levels[0]!.used : -1)))).toEqual(new Set(Array.from({ length: 137 }, (_, i) => i + 1)));
  expect((await a.peek(request.key, request.windowMs)).used).toBe(137);
  for (const r of results) if (!r.ok) expect(r.level.used).toBe(137);
});

test("a reservation over several counters consumes all of them or none", async () => {
  const store = await open();
  const requests: CounterRequest[] = [
    { key: "grant:g2|a", windowMs: FOREVER_MS, max: 10, amount: 1 },
    { key: "grant:g2|b", windowMs: 60_000, max: 10, amount: 2 },
    { key: "global|c", windowMs: FOREVER_MS, max: 3, amount: 3 },
  ];
  const first = await store.reserve(requests);
  expect(first.ok && first.levels.map((l) => l.used)).toEqual([1, 2, 3]);
  const second = await store.reserve(requests);
  expect(second.ok).toBe(false);
  if (second.ok) return;
  expect(second.failedIndex).toBe(2);
  expect(second.level.used).toBe(3);
  expect((await store.peek("grant:g2|a", FOREVER_MS)).used).toBe(1);
  expect((await store.peek("global|c", FOREVER_MS)).used).toBe(3);
  const b = await store.peek("grant:g2|b", 60_000);
  // The middle counter has a real one-minute window; it may have rolled over between the calls.
  expect(b.used === 2 || (b.used === 0 && b.windowStartMs > (first.ok ? first.levels[1]!.windowStartMs : 0))).toBe(true);
});

test("the first counter that does not fit is reported, with its level before the call", async () => {
  const store = await open();
  const full: CounterRequest = { key: "grant:g3|full", windowMs: FOREVER_MS, max: 1, amount: 1 };
  await store.reserve([full]);
  const result = await store.reserve([{ key: "grant:g3|free", windowMs: FOREVER_MS, max: 5, amount: 1 }, full, full]);
  expect(result).toMatchObject({ ok: false, failedIndex: 1, level: { used: 1, windowStartMs: 0, windowEndMs: FOREVER_MS } });
});

test("a counter named twice in one reservation is checked against both amounts together", async () => {
  const store = await open();
  const twice: CounterRequest = { key: "grant:g4|spend", windowMs: FOREVER_MS, max: 5, amount: 3 };
  const result = await store.reserve([twice, twice]);
  expect(result).toMatchObject({ ok: false, failedIndex: 1, level: { used: 3 } });
  expect((await store.peek(twice.key, FOREVER_MS)).used).toBe(0);
  const fits = await store.reserve([{ ...twice, amount: 2 }, { ...twice, amount: 3 }]);
  expect(fits.ok && fits.levels.map((l) => l.used)).toEqual([2, 5]);
});

test("a call that would overshoot max is refused even when some quota is left", async () => {
  const store = await open();
  const spend: CounterRequest = { key: "grant:g5|spend", windowMs: FOREVER_MS, max: 100, amount: 60 };
  expect((await store.reserve([spend])).ok).toBe(true);
  expect(await store.reserve([spend])).toMatchObject({ ok: false, failedIndex: 0, level: { used: 60 } });
  expect((await store.reserve([{ ...spend, amount: 40 }])).ok).toBe(true);
  expect((await store.reserve([{ ...spend, amount: 0.001 }])).ok).toBe(false);
});

test("fractional amounts add up exactly as JavaScript numbers do", async () => {
  const store = await open();
  const spend: CounterRequest = { key: "grant:g6|spend", windowMs: FOREVER_MS, max: 1, amount: 0.1 };
  await store.reserve([spend]);
  const second = await store.reserve([{ ...spend, amount: 0.2 }]);
  expect(second.ok && second.levels[0]!.used).toBe(0.1 + 0.2);
  expect((await store.peek(spend.key, FOREVER_MS)).used).toBe(0.1 + 0.2);
});

test("rollback returns exactly the reserved units and never goes below zero", async () => {
  const store = await open();
  const requests: CounterRequest[] = [
    { key: "grant:g7|calls", windowMs: FOREVER_MS, max: 5, amount: 1 },
    { key: "grant:g7|spend", windowMs: FOREVER_MS, max: 100, amount: 42.5 },
  ];
  const kept = await store.reserve(requests);
  const returned = await store.reserve(requests);
  expect(kept.ok && returned.ok).toBe(true);
  if (!returned.ok) return;
  await store.rollback(returned.reservation);
  expect((await store.peek("grant:g7|calls", FOREVER_MS)).used).toBe(1);
  expect((await store.peek("grant:g7|spend", FOREVER_MS)).used).toBe(42.5);
  await store.rollback(returned.reservation);
  await store.rollback(returned.reservation);
  expect((await store.peek("grant:g7|calls", FOREVER_MS)).used).toBe(0);
  expect((await store.peek("grant:g7|spend", FOREVER_MS)).used).toBe(0);
});

test("windows come from Redis TIME: the level's now lies between two TIME readings", async () => {
  const store = await open();
  const before = await redisNowMs();
  const result = await store.reserve([{ key: "grant:g8|minute", windowMs: 60_000, max: 10, amount: 1 }]);
  const after = await redisNowMs();
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  const level = result.levels[0]!;
  expect(level.nowMs).toBeGreaterThanOrEqual(before);
  expect(level.nowMs).toBeLessThanOrEqual(after);
  expect(level.windowStartMs).toBe(Math.floor(level.nowMs / 60_000) * 60_000);
  expect(level.windowEndMs).toBe(level.windowStartMs + 60_000);
  expect(result.reservation.entries[0]).toEqual({ key: "grant:g8|minute", windowMs: 60_000, windowStartMs: level.windowStartMs, amount: 1 });
});

test("each counter is one hash holding its window start and count, expiring at window end plus the margin", async () => {
  const store = await open();
  const result = await store.reserve([
    { key: "grant:g9|second", windowMs: 1_000, max: 10, amount: 1 },
    { key: "grant:g9|minute", windowMs: 60_000, max: 10, amount: 2 },
  ]);
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  for (const [i, windowMs] of [1_000, 60_000].entries()) {
    const level = result.levels[i]!;
    const key = store.redisKey(i === 0 ? "grant:g9|second" : "grant:g9|minute", windowMs);
    expect(key).toBe(`{${PREFIX}counters}:${windowMs}:${i === 0 ? "grant:g9|second" : "grant:g9|minute"}`);
    const pttl = await db.admin.pttl(key);
    const hash = await db.admin.hgetall(key);
    if (pttl === -2) {
      // Only the one-second key can be gone already, and only because its window (plus margin) ended.
      expect(windowMs).toBe(1_000);
      expect(await redisNowMs()).toBeGreaterThanOrEqual(level.windowEndMs + MARGIN_MS);
      continue;
    }
    expect(hash).toEqual({ w: String(level.windowStartMs), n: String(level.used) });
    const expected = level.windowEndMs + MARGIN_MS - level.nowMs;
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(expected);
    expect(pttl).toBeLessThanOrEqual(windowMs + MARGIN_MS);
    expect(pttl).toBeGreaterThan(expected - 1_000);
  }
});

test("one reservation is one command on the wire (EVALSHA once the script is known)", async () => {
  const store = await open();
  const request: CounterRequest = { key: "grant:g10|wire", windowMs: FOREVER_MS, max: 1_000, amount: 1 };
  await store.reserve([request]); // the first command on a fresh connection carries the script (EVAL)
  const monitor = await db.admin.monitor();
  const marker = `${PREFIX}monitor-marker`;
  const seen: { command: string; source: string }[] = [];
  // MONITOR delivers in order: once the marker is seen, every earlier reservation has been seen.
  const markerSeen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the MONITOR stream did not deliver the marker within 2 s")), 2_000);
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (args.some((a) => a.includes(`{${PREFIX}counters}:${FOREVER_MS}:grant:g10|wire`))) seen.push({ command: args[0]!.toLowerCase(), source });
      if (args[1] === marker) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (let i = 0; i < 20; i += 1) await store.reserve([request, { ...request, key: "grant:g10|other" }]);
  await db.admin.set(marker, "1");
  await markerSeen.finally(() => monitor.disconnect());
  const fromClient = seen.filter((s) => s.source !== "lua");
  expect(fromClient).toHaveLength(20);
  expect(new Set(fromClient.map((s) => s.command))).toEqual(new Set(["evalsha"]));
});

test("a flushed script cache is refilled by falling back to EVAL", async () => {
  const store = await open();
  const request: CounterRequest = { key: "grant:g11|flush", windowMs: FOREVER_MS, max: 10, amount: 1 };
  await store.reserve([request]);
  await db.admin.script("FLUSH");
  const result = await store.reserve([request]);
  expect(result.ok && result.levels[0]!.used).toBe(2);
  await store.rollback(result.ok ? result.reservation : { entries: [] });
  expect((await store.peek(request.key, FOREVER_MS)).used).toBe(1);
});

test("with the test seam clock, call max passes, max+1 is denied and the call at exactly the window end passes", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const store = await open({ timeSource: clock });
  const request: CounterRequest = { key: "grant:g12|minute", windowMs: 60_000, max: 3, amount: 1 };
  for (let i = 1; i <= 3; i += 1) expect(await store.reserve([request])).toMatchObject({ ok: true, levels: [{ used: i }] });
  await clock.advanceBy(59_999);
  expect(await store.reserve([request])).toMatchObject({
    ok: false,
    failedIndex: 0,
    level: { used: 3, windowStartMs: Date.UTC(2026, 0, 1, 0, 0, 0), windowEndMs: Date.UTC(2026, 0, 1, 0, 1, 0), nowMs: Date.UTC(2026, 0, 1, 0, 0, 59, 999) },
  });
  await clock.advanceBy(1);
  expect(await store.reserve([request])).toMatchObject({ ok: true, levels: [{ used: 1, windowStartMs: Date.UTC(2026, 0, 1, 0, 1, 0) }] });
});

test("with the test seam clock, 2×max pass across a boundary and a rollback into an ended window changes nothing", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 59, 500));
  const store = await open({ timeSource: clock });
  const request: CounterRequest = { key: "grant:g13|minute", windowMs: 60_000, max: 2, amount: 1 };
  const old = await store.reserve([request]);
  expect((await store.reserve([request])).ok).toBe(true);
  expect((await store.reserve([request])).ok).toBe(false);
  await clock.advanceBy(500);
  expect((await store.reserve([request])).ok).toBe(true);
  expect((await store.reserve([request])).ok).toBe(true);
  expect((await store.reserve([request])).ok).toBe(false);
  if (!old.ok) throw new Error("expected the first reservation to pass");
  await store.rollback(old.reservation);
  expect(await store.peek(request.key, 60_000)).toEqual({ used: 2, windowStartMs: Date.UTC(2026, 0, 1, 0, 1, 0), windowEndMs: Date.UTC(2026, 0, 1, 0, 2, 0), nowMs: Date.UTC(2026, 0, 1, 0, 1, 0) });
});

test("a closed store refuses every call with STORE_UNAVAILABLE", async () => {
  const store = await open();
  await store.close();
  await store.close();
  await expect(store.reserve([{ key: "grant:g14|x", windowMs: 1_000, max: 1, amount: 1 }])).rejects.toMatchObject({ name: "GatewayError", code: "STORE_UNAVAILABLE" });
  await expect(store.peek("grant:g14|x", 1_000)).rejects.toBeInstanceOf(GatewayError);
  await expect(store.reserve([])).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
  await expect(store.rollback({ entries: [] })).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
});

test("an empty reservation is admitted and an empty rollback is a no-op", async () => {
  const store = await open();
  await store.rollback({ entries: [] });
  expect(await store.reserve([])).toEqual({ ok: true, reservation: { entries: [] }, levels: [] });
});

test("the URL's password never appears in messages", () => {
  expect(redactUrl("redis://user:s3cret@127.0.0.1:6379/0")).toBe("redis://user:***@127.0.0.1:6379/0");
  expect(redactUrl("redis://127.0.0.1:6379/0")).toBe("redis://127.0.0.1:6379/0");
});
