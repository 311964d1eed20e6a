/**
 * The honest last resort for a gateway whose clock nothing can move: the real clock. The run
 * starts at the next whole minute (so minute windows line up with the scenario's, as they do at
 * its aligned start), then really waits for each entry's time, saying so every few seconds.
 */
import { systemClock } from "../core/clock.js";
import { stackOf } from "../core/errors.js";
import type { TimeDriver } from "./agents.js";

const PROGRESS_EVERY_MS = 5_000;

export class RealTime implements TimeDriver {
  private constructor(
    private readonly realStartMs: number,
    private readonly onProgress: ((line: string) => void) | undefined,
  ) {}

  /** Waits for the next whole minute of the real clock (a scenario starts aligned to every window). */
  static async start(_scenarioStartMs: number, onProgress?: (line: string) => void): Promise<RealTime> {
    const nowMs = systemClock.nowMs();
    const waitMs = 60_000 - (nowMs % 60_000);
    onProgress?.(`real time: waiting ${Math.ceil(waitMs / 1000)} s for the next whole minute`);
    await systemClock.sleep(waitMs);
    return new RealTime(nowMs + waitMs, onProgress);
  }

  nowMs(): number {
    return systemClock.nowMs() - this.realStartMs;
  }

  async waitUntil(atMs: number): Promise<void> {
    for (;;) {
      const leftMs = atMs - this.nowMs();
      if (leftMs <= 0) return;
      if (leftMs > PROGRESS_EVERY_MS) this.onProgress?.(`real time: at ${this.nowMs()} ms, waiting ${Math.ceil(leftMs / 1000)} s for ${atMs} ms`);
      await systemClock.sleep(Math.min(leftMs, PROGRESS_EVERY_MS));
    }
  }

  /** Starts each entry at its real time; resolves when all have finished. */
  async run<T extends { readonly id: string; readonly atMs: number }>(timeline: readonly T[], start: (entry: T) => Promise<void>, onError?: (message: string) => void): Promise<void> {
    const running: Promise<void>[] = [];
    for (const entry of timeline) {
      await this.waitUntil(entry.atMs);
      running.push(start(entry).catch((error: unknown) => onError?.(`${entry.id}: the step crashed: ${stackOf(error)}`)));
    }
    await Promise.all(running);
  }
}
