/**
 * Scenario time for processes the harness does not run in its own event loop. The harness owns a
 * "now" (virtual ms from the scenario's start) and publishes every move to the processes (a
 * `TOOLGATE_CLOCK_FILE`, a libfaketime timestamp file: external-time.ts); the processes' timers
 * fire when that time reaches them. The harness cannot see their timers, so it moves time the way
 * the in-process loop would, guessing the next due time from what it knows:
 *
 * - nothing in flight: straight to the next entry or wait (nothing can be due before it);
 * - calls in flight and the world quiet for `quietMs` real ms: to the earliest of the next wait
 *   and the next known duration after a call in flight started (upstream timeout, approval hold,
 *   fault latencies: `hintsMs`), else along a grid of whole seconds that doubles while nothing
 *   answers — so an answer that comes when a timer fires is stamped with that timer's time. A
 *   gateway slower than `quietMs` to answer a call that waits on nothing sees time move under it:
 *   `quietMs` is generous for a loaded machine.
 *
 * `runOnSteppedTime` walks a timeline with it, like `runOnVirtualTime`.
 */
import { systemClock } from "../core/clock.js";
import { stackOf } from "../core/errors.js";
import type { CallFn, TimeDriver } from "./agents.js";

export interface SteppedTimeOptions {
  /** Publishes a move: called with the new virtual ms before any waiter at that time resumes. */
  readonly publish: (nowMs: number) => void;
  /** Durations after a call's start at which something may be due (timeouts, latencies). */
  readonly hintsMs: readonly number[];
  /** Real ms with no call starting or ending before time moves while calls are in flight. */
  readonly quietMs: number;
  /** Real ms the world gets after each move (a process's timers poll their clock). */
  readonly settleMs: number;
}

interface Waiter {
  readonly atMs: number;
  readonly resolve: () => void;
}

export class SteppedTime implements TimeDriver {
  private now = 0;
  private readonly waiters: Waiter[] = [];
  /** Start times of the calls in flight. */
  private readonly inFlight = new Map<number, number>();
  private nextCallId = 0;
  private activity = 0;
  /** Moves in a row, with calls in flight, after which nothing started or ended: the grid doubles. */
  private idleMoves = 0;

  constructor(private readonly options: SteppedTimeOptions) {
    options.publish(0);
  }

  nowMs(): number {
    return this.now;
  }

  waitUntil(atMs: number): Promise<void> {
    if (atMs <= this.now) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ atMs, resolve }));
  }

  /** A `CallFn` that tells this clock when calls start and end. */
  track(call: CallFn): CallFn {
    return async (spec) => {
      const id = this.nextCallId++;
      this.inFlight.set(id, this.now);
      this.activity++;
      try {
        return await call(spec);
      } finally {
        this.inFlight.delete(id);
        this.activity++;
      }
    };
  }

  /** Real time passes until no call starts or ends for `ms`. */
  async quiet(ms: number): Promise<void> {
    for (;;) {
      const seen = this.activity;
      await systemClock.sleep(ms);
      if (seen === this.activity) return;
    }
  }

  get callsInFlight(): number {
    return this.inFlight.size;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Where time moves next on the way to `limitMs` (undefined: nothing to move for). */
  private nextStop(limitMs: number): number | undefined {
    const wait = Math.min(limitMs, ...this.waiters.map((w) => w.atMs));
    if (this.inFlight.size === 0) return Number.isFinite(wait) ? wait : undefined;
    const hinted = [...this.inFlight.values()].flatMap((start) => this.options.hintsMs.map((d) => start + d)).filter((t) => t > this.now);
    const next = Math.min(wait, ...hinted);
    if (Number.isFinite(next)) return next;
    // Nothing known is due: walk a grid that doubles while nothing answers.
    const strideMs = 1000 * 2 ** Math.min(this.idleMoves, 10);
    return (Math.floor(this.now / strideMs) + 1) * strideMs;
  }

  /** Moves time one stop toward `limitMs` (Infinity: only for waits and calls); false when nothing moved it. */
  async step(limitMs: number): Promise<boolean> {
    if (this.inFlight.size > 0) await this.quiet(this.options.quietMs);
    const to = this.nextStop(limitMs);
    if (to === undefined || !Number.isFinite(to)) return false;
    const seen = this.activity;
    const busy = this.inFlight.size > 0;
    this.now = Math.max(this.now, to);
    this.options.publish(this.now);
    await systemClock.sleep(this.options.settleMs);
    const due = this.waiters.filter((w) => w.atMs <= this.now);
    for (const w of due) this.waiters.splice(this.waiters.indexOf(w), 1);
    for (const w of due) w.resolve();
    await this.quiet(this.options.settleMs);
    this.idleMoves = busy && seen === this.activity ? this.idleMoves + 1 : 0;
    return true;
  }

  /** Moves time to `atMs`, stopping on the way wherever calls in flight may need it. */
  async advanceTo(atMs: number): Promise<void> {
    while (this.now < atMs) await this.step(atMs);
  }
}

export interface SteppedRunOptions {
  /** How long (virtual ms) after the last entry started the run still waits for entries to finish. */
  readonly settleLimitMs: number;
  /** Entries that take no scenario time (events): time moves on only once they have finished. */
  readonly instant?: (entry: { readonly id: string }) => boolean;
  readonly onError: (message: string) => void;
}

/** Starts each entry at its time and moves time until every entry has finished (or the limit). */
export async function runOnSteppedTime<T extends { readonly id: string; readonly atMs: number }>(
  timeline: readonly T[],
  start: (entry: T) => Promise<void>,
  time: SteppedTime,
  { settleLimitMs, instant, onError }: SteppedRunOptions,
): Promise<void> {
  const tasks: { id: string; done: boolean }[] = [];
  for (const entry of timeline) {
    await time.advanceTo(entry.atMs);
    const task = { id: entry.id, done: false };
    tasks.push(task);
    const started = start(entry).then(
      () => void (task.done = true),
      (error: unknown) => {
        task.done = true;
        onError(`${entry.id}: the step crashed: ${stackOf(error)}`);
      },
    );
    if (instant?.(entry)) await started;
    await time.quiet(10);
  }
  const limitMs = (timeline.at(-1)?.atMs ?? 0) + settleLimitMs;
  while (tasks.some((t) => !t.done)) {
    if (time.nowMs() > limitMs) return onError(stalled(tasks, time, `past the settle limit of ${settleLimitMs} ms after the last entry`));
    if (await time.step(Number.POSITIVE_INFINITY)) continue;
    await time.quiet(100);
    if (tasks.some((t) => !t.done) && time.callsInFlight === 0 && time.waiting === 0) return onError(stalled(tasks, time, "nothing left to wait for"));
  }
}

function stalled(tasks: readonly { id: string; done: boolean }[], time: SteppedTime, why: string): string {
  const stuck = tasks.filter((t) => !t.done).map((t) => t.id);
  return `the run stalled at ${time.nowMs()} ms: ${stuck.join(", ")} never finished (${why}; ${time.callsInFlight} calls unanswered)`;
}
