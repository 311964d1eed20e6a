/**
 * Runs a timeline on a driven virtual clock: moves time to each entry's start, starts it, lets the
 * world settle; then walks time timer by timer until every entry has finished — or reports the
 * run as stalled when nothing is left to wait for, or the next timer lies past the settle limit.
 */
import { stackOf } from "../core/errors.js";
import type { DrivenClock } from "./driven-clock.js";

/** How long (virtual ms) after the last entry started the loop still waits for entries to finish. */
export const DEFAULT_SETTLE_LIMIT_MS = 3_600_000;

export interface VirtualTimeOptions {
  readonly clock: DrivenClock;
  /** Epoch ms of virtual time 0. */
  readonly startMs: number;
  readonly settleLimitMs?: number;
  /** A crashed entry or a stalled run, as one line. */
  readonly onError: (message: string) => void;
}

interface Task {
  readonly id: string;
  done: boolean;
}

export async function runOnVirtualTime<T extends { readonly id: string; readonly atMs: number }>(
  timeline: readonly T[],
  start: (entry: T) => Promise<void>,
  { clock, startMs, settleLimitMs = DEFAULT_SETTLE_LIMIT_MS, onError }: VirtualTimeOptions,
): Promise<void> {
  const bump = (): void => void clock.activity++;
  const tasks: Task[] = [];
  for (const entry of timeline) {
    await clock.advanceTo(startMs + entry.atMs);
    const task: Task = { id: entry.id, done: false };
    tasks.push(task);
    void start(entry).then(
      () => void ((task.done = true), bump()),
      (error: unknown) => {
        task.done = true;
        bump();
        onError(`${entry.id}: the step crashed: ${stackOf(error)}`);
      },
    );
    await clock.drain();
  }
  const lastAt = timeline.at(-1)?.atMs ?? 0;
  const limitMs = startMs + lastAt + settleLimitMs;
  for (let guard = 0; guard < 1_000_000; guard++) {
    await clock.drain();
    if (tasks.every((t) => t.done)) break;
    const next = clock.nextDueMs();
    if (next === undefined || next > limitMs) {
      const stuck = tasks.filter((t) => !t.done).map((t) => t.id);
      onError(`the run stalled at ${clock.nowMs() - startMs} ms: ${stuck.join(", ")} never finished (${next === undefined ? "nothing left to wait for on the virtual clock" : `next timer only at ${next - startMs} ms`})`);
      break;
    }
    await clock.advanceTo(next);
  }
}
