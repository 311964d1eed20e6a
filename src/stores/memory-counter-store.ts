/**
 * Counters in process memory (the default store). `reserve` checks and increments without an
 * `await` in between, so concurrent calls cannot over-admit. Entries are keyed by counter key,
 * window length and window index; windows that have ended are swept, so memory stays flat
 * however many windows pass.
 */
import type { Clock } from "../core/clock.js";
import { GatewayError } from "../core/errors.js";
import { windowBounds } from "../policy/windows.js";
import type { CounterLevel, CounterRequest, CounterStore, Reservation, ReservationEntry, ReserveResult } from "./counter-store.js";

interface Slot {
  used: number;
  readonly endMs: number;
}

export class MemoryCounterStore implements CounterStore {
  private readonly clock: Clock;
  private readonly slots = new Map<string, Slot>();
  /** Earliest window end among the slots: nothing can be swept before it. */
  private nextSweepMs = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(options: { clock: Clock }) {
    this.clock = options.clock;
  }

  async reserve(requests: readonly CounterRequest[]): Promise<ReserveResult> {
    return this.reserveNow(requests);
  }

  /** `reserve` without a promise, for callers that own the store and its clock (a replay). */
  reserveNow(requests: readonly CounterRequest[]): ReserveResult {
    this.assertOpen();
    const nowMs = this.clock.nowMs();
    this.sweep(nowMs);
    const pending = new Map<string, number>();
    const levels: CounterLevel[] = [];
    const entries: ReservationEntry[] = [];
    for (const [index, request] of requests.entries()) {
      const bounds = windowBounds(nowMs, request.windowMs);
      const slotKey = slotKeyOf(request.key, request.windowMs, bounds.index);
      const before = (this.slots.get(slotKey)?.used ?? 0) + (pending.get(slotKey) ?? 0);
      if (before + request.amount > request.max) {
        return { ok: false, failedIndex: index, level: { used: before, windowStartMs: bounds.startMs, windowEndMs: bounds.endMs, nowMs } };
      }
      pending.set(slotKey, (pending.get(slotKey) ?? 0) + request.amount);
      levels.push({ used: before + request.amount, windowStartMs: bounds.startMs, windowEndMs: bounds.endMs, nowMs });
      entries.push({ key: request.key, windowMs: request.windowMs, windowStartMs: bounds.startMs, amount: request.amount });
    }
    for (const entry of entries) {
      const slotKey = slotKeyOf(entry.key, entry.windowMs, entry.windowStartMs / entry.windowMs);
      const slot = this.slots.get(slotKey);
      if (slot) slot.used += entry.amount;
      else {
        const endMs = entry.windowStartMs + entry.windowMs;
        this.slots.set(slotKey, { used: entry.amount, endMs });
        if (endMs < this.nextSweepMs) this.nextSweepMs = endMs;
      }
    }
    return { ok: true, reservation: { entries }, levels };
  }

  async rollback(reservation: Reservation): Promise<void> {
    this.rollbackNow(reservation);
  }

  /** `rollback` without a promise (see `reserveNow`). */
  rollbackNow(reservation: Reservation): void {
    this.assertOpen();
    const nowMs = this.clock.nowMs();
    for (const entry of reservation.entries) {
      const bounds = windowBounds(nowMs, entry.windowMs);
      if (bounds.startMs !== entry.windowStartMs) continue;
      const slotKey = slotKeyOf(entry.key, entry.windowMs, bounds.index);
      const slot = this.slots.get(slotKey);
      if (!slot) continue;
      slot.used -= entry.amount;
      if (slot.used <= 1e-9) this.slots.delete(slotKey);
    }
  }

  async peek(key: string, windowMs: number): Promise<CounterLevel> {
    this.assertOpen();
    const nowMs = this.clock.nowMs();
    const bounds = windowBounds(nowMs, windowMs);
    const used = this.slots.get(slotKeyOf(key, windowMs, bounds.index))?.used ?? 0;
    return { used, windowStartMs: bounds.startMs, windowEndMs: bounds.endMs, nowMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.slots.clear();
  }

  /** Number of live (key, window) slots; for tests that check memory stays flat. */
  slotCount(): number {
    return this.slots.size;
  }

  private sweep(nowMs: number): void {
    if (nowMs < this.nextSweepMs) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [slotKey, slot] of this.slots) {
      if (slot.endMs <= nowMs) this.slots.delete(slotKey);
      else if (slot.endMs < next) next = slot.endMs;
    }
    this.nextSweepMs = next;
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError("STORE_UNAVAILABLE", "the memory counter store is closed");
  }
}

function slotKeyOf(key: string, windowMs: number, index: number): string {
  return `${key}@${windowMs}:${index}`;
}
