/**
 * The harness's view of one `VirtualClock`: it remembers when each pending timer is due, so the
 * runner can walk time timer by timer and let the world settle in between (`advanceTo`), and it
 * knows when nothing is left to wait for (`nextDueMs() === undefined`). Nothing sleeps on real
 * time: when the microtask queue has gone quiet, one macrotask turn (a message on a local
 * `MessageChannel`, which also keeps the process alive) lets I/O-style callbacks run. A server in
 * a child process (a scenario's `servers`) is outside that world: `drain` waits for its answers
 * before it calls the world quiet (`waitForOutside`).
 */
import { MessageChannel } from "node:worker_threads";
import { systemClock, type Clock, type TimerHandle } from "../core/clock.js";
import { settle, VirtualClock } from "../core/virtual-clock.js";

/** How long (real ms) `drain` waits for an answer from outside before it lets virtual time move. */
export const OUTSIDE_WAIT_MS = 10_000;

export class DrivenClock implements Clock {
  readonly virtual: VirtualClock;
  private readonly due = new Map<number, number>();
  private nextId = 1;
  /** Bumped by anything that shows the world is still moving (messages, finished tasks). */
  activity = 0;
  /** Work outside the virtual world (a child process's answers): each gives a promise while it has some in flight. */
  private readonly outside = new Set<() => Promise<void> | undefined>();

  constructor(startMs: number) {
    this.virtual = new VirtualClock(startMs);
  }

  nowMs(): number {
    return this.virtual.nowMs();
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.due.set(id, this.virtual.nowMs() + Math.max(0, delayMs));
    const handle = this.virtual.setTimer(() => {
      this.due.delete(id);
      this.activity++;
      fn();
    }, delayMs);
    return {
      cancel: () => {
        this.due.delete(id);
        handle.cancel();
      },
    };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, delayMs));
  }

  /**
   * Makes `drain` wait for work outside the virtual world (a server in a child process answering)
   * before it calls the world quiet, so virtual time never moves past a request only the real world
   * can answer. Bounded: after `OUTSIDE_WAIT_MS` real ms without an answer, time may move (and the
   * gateway's own deadline answers the call). Returns the function that stops the waiting.
   */
  waitForOutside(pending: () => Promise<void> | undefined): () => void {
    this.outside.add(pending);
    return () => void this.outside.delete(pending);
  }

  nextDueMs(): number | undefined {
    let next: number | undefined;
    for (const ms of this.due.values()) if (next === undefined || ms < next) next = ms;
    return next;
  }

  /** Lets every promise chain run until nothing moves any more (bounded). */
  async drain(): Promise<void> {
    let last = -1;
    let quiet = 0;
    let gaveUp = false;
    for (let round = 0; round < 100_000 && quiet < 2; round++) {
      await settle(25);
      if (this.activity === last) {
        quiet++;
        // One real zero-delay turn, in case something waits on a macrotask (stream reads, I/O).
        if (quiet === 1) await macrotaskTurn();
        if (quiet === 2) {
          const waits = [...this.outside].map((pending) => pending()).filter((p): p is Promise<void> => p !== undefined);
          if (waits.length > 0 && !gaveUp) {
            let guard: TimerHandle | undefined;
            const answered = await Promise.race([Promise.race(waits).then(() => true), new Promise<boolean>((resolve) => (guard = systemClock.setTimer(() => resolve(false), OUTSIDE_WAIT_MS)))]);
            guard?.cancel();
            gaveUp = !answered;
            this.activity++;
            quiet = 0;
          }
        }
      } else {
        quiet = 0;
        last = this.activity;
      }
    }
  }

  /** Walks virtual time to `targetMs`, firing timers in order and draining after each one. */
  async advanceTo(targetMs: number): Promise<void> {
    await this.drain();
    for (;;) {
      const next = this.nextDueMs();
      if (next === undefined || next > targetMs) break;
      await this.virtual.advanceTo(Math.max(next, this.virtual.nowMs()));
      await this.drain();
    }
    if (targetMs > this.virtual.nowMs()) await this.virtual.advanceTo(targetMs);
    await this.drain();
  }
}

/** One turn of the event loop, without a timer and without reading any clock. */
function macrotaskTurn(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.once("message", () => {
      port1.close();
      resolve();
    });
    port2.postMessage(0);
  });
}
