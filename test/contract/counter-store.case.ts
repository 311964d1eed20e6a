/**
 * The contract every `CounterStore` passes (memory, Redis). Stores that follow the virtual clock
 * get the boundary and expiry cases; a store with its own time (Redis `TIME`) sets
 * `followsClock: false` and those cases are skipped, the others align themselves using the
 * window bounds the store reports.
 */
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import type { CounterRequest, CounterStore, Reservation } from "../../src/stores/counter-store.js";

export interface CounterStoreContractOptions {
  /** True when the store reads time from the VirtualClock handed to `create` (default true). */
  readonly followsClock?: boolean;
}

const MINUTE = 60_000;
/** 2026-01-01T00:00:00Z, a minute boundary. */
const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0);
/** Keys are unique per run, so a shared backend (Redis) never sees leftovers of an earlier run. */
const RUN_ID = globalThis.crypto.randomUUID().slice(0, 8);

export function runCounterStoreContract(
  name: string,
  create: (clock: VirtualClock) => Promise<CounterStore>,
  options: CounterStoreContractOptions = {},
): void {
  const followsClock = options.followsClock ?? true;
  // A store with its own time (Redis TIME) runs the cases on a 1,000-day window, so a run that
  // happens to straddle a real minute boundary cannot split a case across two windows.
  const W = followsClock ? MINUTE : 1_000 * 86_400_000;
  const clockTest = followsClock ? test : test.skip;
  let store: CounterStore | undefined;
  let counter = 0;

  const setup = async (startMs = START_MS): Promise<{ clock: VirtualClock; store: CounterStore; key: (label: string) => string }> => {
    const clock = new VirtualClock(startMs);
    store = await create(clock);
    const run = `${RUN_ID}-${++counter}`;
    return { clock, store, key: (label) => `contract:${run}|${label}` };
  };
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const req = (key: string, max: number, amount = 1, windowMs = W): CounterRequest => ({ key, windowMs, max, amount });
  const admitted = async (s: CounterStore, request: CounterRequest, times: number): Promise<number> => {
    let n = 0;
    for (let i = 0; i < times; i++) if ((await s.reserve([request])).ok) n++;
    return n;
  };

  test(`${name}: calls 1..max in a window pass and call max+1 is denied with the level before it`, async () => {
    const { store: s, key } = await setup();
    const r = req(key("a"), 10);
    for (let i = 1; i <= 10; i++) {
      const result = await s.reserve([r]);
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.levels[0]!.used).toBe(i);
    }
    const denied = await s.reserve([r]);
    expect(denied.ok).toBe(false);
    if (!denied.ok) {
      expect(denied.failedIndex).toBe(0);
      expect(denied.level.used).toBe(10);
      expect(denied.level.windowEndMs - denied.level.windowStartMs).toBe(W);
      expect(denied.level.windowStartMs % W).toBe(0);
      expect(denied.level.nowMs).toBeGreaterThanOrEqual(denied.level.windowStartMs);
      expect(denied.level.nowMs).toBeLessThan(denied.level.windowEndMs);
    }
    expect((await s.peek(r.key, W)).used).toBe(10);
  });

  clockTest(`${name}: the first call at exactly the window end passes`, async () => {
    const { clock, store: s, key } = await setup(START_MS + 59_000);
    const r = req(key("a"), 3);
    expect(await admitted(s, r, 4)).toBe(3);
    await clock.advanceTo(START_MS + W - 1);
    expect((await s.reserve([r])).ok).toBe(false);
    await clock.advanceTo(START_MS + W);
    const next = await s.reserve([r]);
    expect(next.ok).toBe(true);
    if (next.ok) expect(next.levels[0]).toEqual({ used: 1, windowStartMs: START_MS + W, windowEndMs: START_MS + 2 * W, nowMs: START_MS + W });
  });

  clockTest(`${name}: across a boundary 2×max calls pass within two milliseconds`, async () => {
    const { clock, store: s, key } = await setup(START_MS + W - 1);
    const r = req(key("a"), 5);
    expect(await admitted(s, r, 6)).toBe(5);
    await clock.advanceBy(1);
    expect(await admitted(s, r, 6)).toBe(5);
  });

  clockTest(`${name}: windows of N seconds are aligned to epoch multiples of N seconds`, async () => {
    const { clock, store: s, key } = await setup(START_MS + 7_000);
    const r = req(key("a"), 1, 1, 7_000);
    const first = await s.reserve([r]);
    expect(first.ok && first.levels[0]!.windowStartMs % 7_000).toBe(0);
    expect((await s.reserve([r])).ok).toBe(false);
    const level = await s.peek(r.key, 7_000);
    await clock.advanceTo(level.windowEndMs);
    expect((await s.reserve([r])).ok).toBe(true);
  });

  test(`${name}: requests with the same key share one counter and different keys do not`, async () => {
    const { store: s, key } = await setup();
    const shared = key("shared");
    expect(await admitted(s, req(shared, 4), 2)).toBe(2);
    expect(await admitted(s, req(shared, 4), 3)).toBe(2);
    expect(await admitted(s, req(key("other"), 4), 5)).toBe(4);
  });

  test(`${name}: amounts are counted, fractions included, and an amount that would pass max is refused whole`, async () => {
    const { store: s, key } = await setup();
    const k = key("spend");
    expect((await s.reserve([req(k, 100, 60)])).ok).toBe(true);
    expect((await s.reserve([req(k, 100, 40.5)])).ok).toBe(false);
    expect((await s.reserve([req(k, 100, 39.5)])).ok).toBe(true);
    expect((await s.peek(k, W)).used).toBe(99.5);
    expect((await s.reserve([req(k, 100, 0.5)])).ok).toBe(true);
    expect((await s.reserve([req(k, 100, 0)])).ok).toBe(true);
    expect((await s.reserve([req(k, 100, 0.25)])).ok).toBe(false);
  });

  test(`${name}: a reservation over several requests is all or nothing`, async () => {
    const { store: s, key } = await setup();
    const a = key("a");
    const b = key("b");
    expect((await s.reserve([req(b, 2), req(b, 2)])).ok).toBe(true);
    const refused = await s.reserve([req(a, 5), req(b, 2)]);
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.failedIndex).toBe(1);
      expect(refused.level.used).toBe(2);
    }
    expect((await s.peek(a, W)).used).toBe(0);
    const both = await s.reserve([req(a, 5), req(key("c"), 5)]);
    expect(both.ok && both.reservation.entries.length).toBe(2);
    expect((await s.peek(a, W)).used).toBe(1);
  });

  test(`${name}: rollback returns exactly the reserved units`, async () => {
    const { store: s, key } = await setup();
    const a = key("a");
    const b = key("b");
    expect(await admitted(s, req(a, 3), 2)).toBe(2);
    const result = await s.reserve([req(a, 3), req(b, 10, 4)]);
    if (!result.ok) throw new Error("expected the reservation to pass");
    expect((await s.reserve([req(a, 3)])).ok).toBe(false);
    await s.rollback(result.reservation);
    expect((await s.peek(a, W)).used).toBe(2);
    expect((await s.peek(b, W)).used).toBe(0);
    expect((await s.reserve([req(a, 3)])).ok).toBe(true);
    expect((await s.reserve([req(a, 3)])).ok).toBe(false);
  });

  clockTest(`${name}: rollback does not return units into a window that has ended`, async () => {
    const { clock, store: s, key } = await setup(START_MS + 30_000);
    const a = key("a");
    const old = await s.reserve([req(a, 2)]);
    if (!old.ok) throw new Error("expected the reservation to pass");
    await clock.advanceTo(START_MS + W);
    expect(await admitted(s, req(a, 2), 2)).toBe(2);
    await s.rollback(old.reservation);
    expect((await s.peek(a, W)).used).toBe(2);
    expect((await s.reserve([req(a, 2)])).ok).toBe(false);
  });

  clockTest(`${name}: a counter of an ended window reads zero`, async () => {
    const { clock, store: s, key } = await setup();
    const a = key("a");
    expect(await admitted(s, req(a, 5, 1, 1_000), 5)).toBe(5);
    await clock.advanceBy(1_000);
    expect((await s.peek(a, 1_000)).used).toBe(0);
    await clock.advanceBy(3_600_000);
    expect((await s.peek(a, 1_000)).used).toBe(0);
  });

  test(`${name}: 1,000 concurrent reservations admit exactly max`, async () => {
    const { store: s, key } = await setup();
    const r = req(key("burst"), 37);
    const results = await Promise.all(Array.from({ length: 1_000 }, () => s.reserve([r])));
    expect(results.filter((x) => x.ok).length).toBe(37);
    expect((await s.peek(r.key, W)).used).toBe(37);
  });

  test(`${name}: rolling back an empty reservation changes nothing`, async () => {
    const { store: s, key } = await setup();
    const empty: Reservation = { entries: [] };
    await s.rollback(empty);
    expect((await s.peek(key("a"), W)).used).toBe(0);
  });
}
