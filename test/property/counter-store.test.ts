/**
 * The memory store against a naive model (a map of (key, window index) → used) under random
 * reservations, rollbacks and clock moves.
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import type { Reservation } from "../../src/stores/counter-store.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";

const KEYS = [
  { key: "grant:a|x", windowMs: 1_000, max: 3 },
  { key: "grant:b|x", windowMs: 1_000, max: 3 },
  { key: "global|y", windowMs: 5_000, max: 4 },
  { key: "session:s|spend", windowMs: 60_000, max: 10 },
] as const;

const op = fc.oneof(
  fc.record({ kind: fc.constant("reserve" as const), picks: fc.uniqueArray(fc.integer({ min: 0, max: KEYS.length - 1 }), { minLength: 1, maxLength: 3 }), amount: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 2_500 }) }),
  fc.record({ kind: fc.constant("rollback" as const), which: fc.nat() }),
);

test.prop([fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 100_000 })], { numRuns: 150 })(
  "the memory store admits what the model admits, never more than max per window, and rollback returns exactly the slot",
  async (ops, startOffsetMs) => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1) + startOffsetMs);
    const store = new MemoryCounterStore({ clock });
    const model = new Map<string, number>();
    const slot = (key: string, windowMs: number, nowMs: number): string => `${key}@${Math.floor(nowMs / windowMs)}`;
    const held: { reservation: Reservation; slots: { slot: string; amount: number; windowStartMs: number; windowMs: number }[] }[] = [];
    for (const o of ops) {
      const nowMs = clock.nowMs();
      if (o.kind === "advance") {
        await clock.advanceBy(o.ms);
      } else if (o.kind === "reserve") {
        const requests = o.picks.map((i) => ({ ...KEYS[i]!, amount: i === 3 ? o.amount : 1 }));
        const fits = requests.every((r) => (model.get(slot(r.key, r.windowMs, nowMs)) ?? 0) + r.amount <= r.max);
        const result = await store.reserve(requests);
        expect(result.ok).toBe(fits);
        if (result.ok) {
          const slots = requests.map((r) => ({ slot: slot(r.key, r.windowMs, nowMs), amount: r.amount, windowStartMs: Math.floor(nowMs / r.windowMs) * r.windowMs, windowMs: r.windowMs }));
          for (const s of slots) model.set(s.slot, (model.get(s.slot) ?? 0) + s.amount);
          held.push({ reservation: result.reservation, slots });
        }
      } else if (held.length > 0) {
        const [taken] = held.splice(o.which % held.length, 1);
        await store.rollback(taken!.reservation);
        for (const s of taken!.slots) {
          if (Math.floor(nowMs / s.windowMs) * s.windowMs === s.windowStartMs) model.set(s.slot, model.get(s.slot)! - s.amount);
        }
      }
      for (const k of KEYS) {
        const used = (await store.peek(k.key, k.windowMs)).used;
        expect(used).toBe(model.get(slot(k.key, k.windowMs, clock.nowMs())) ?? 0);
        expect(used).toBeLessThanOrEqual(k.max);
      }
    }
  },
);
