import type { Clock, TimerHandle } from "./clock.js";

interface PendingTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due order while `advanceBy`/`advanceTo`
 * walks time forward; between timers the microtask queue is drained so that promise chains
 * started by a timer settle before the next one fires. Nothing here sleeps on real time.
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private nextId = 1;
  private timers: PendingTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const timer: PendingTimer = { id: this.nextId++, dueMs: this.currentMs + Math.max(0, delayMs), fn };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.dueMs - b.dueMs || a.id - b.id);
    return { cancel: () => (this.timers = this.timers.filter((t) => t.id !== timer.id)) };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, delayMs));
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }

  async advanceBy(deltaMs: number): Promise<void> {
    await this.advanceTo(this.currentMs + deltaMs);
  }

  async advanceTo(targetMs: number): Promise<void> {
    if (targetMs < this.currentMs) {
      throw new RangeError(`virtual clock cannot go back from ${this.currentMs} to ${targetMs}`);
    }
    await settle();
    for (;;) {
      const next = this.timers[0];
      if (!next || next.dueMs > targetMs) break;
      this.timers.shift();
      this.currentMs = next.dueMs;
      next.fn();
      await settle();
    }
    this.currentMs = targetMs;
    await settle();
  }
}

/** Lets pending promise callbacks (and the ones they schedule) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => queueMicrotask(resolve));
}
