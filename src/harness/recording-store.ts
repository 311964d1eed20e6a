/**
 * A `CounterStore` that records every reservation, refusal and rollback with the counter's level,
 * so the report can draw each counter against its max. It changes nothing about the decisions.
 */
import type { Clock } from "../core/clock.js";
import type { CounterLevel, CounterRequest, CounterStore, Reservation, ReserveResult } from "../stores/counter-store.js";
import type { CounterSample } from "./result.js";

export class RecordingCounterStore implements CounterStore {
  readonly samples: CounterSample[] = [];
  private readonly maxByKey = new Map<string, number>();

  constructor(
    private readonly inner: CounterStore,
    private readonly clock: Clock,
    private readonly startMs: number,
    private readonly onActivity: () => void = () => {},
  ) {}

  private sample(key: string, level: CounterLevel, event: CounterSample["event"]): void {
    this.samples.push({
      key,
      atMs: this.clock.nowMs() - this.startMs,
      used: level.used,
      max: this.maxByKey.get(key) ?? 0,
      windowStartMs: level.windowStartMs - this.startMs,
      windowEndMs: level.windowEndMs - this.startMs,
      event,
    });
  }

  async reserve(requests: readonly CounterRequest[]): Promise<ReserveResult> {
    for (const r of requests) this.maxByKey.set(r.key, r.max);
    const result = await this.inner.reserve(requests);
    this.onActivity();
    if (result.ok) requests.forEach((r, i) => this.sample(r.key, result.levels[i]!, "reserve"));
    else this.sample(requests[result.failedIndex]!.key, result.level, "refuse");
    return result;
  }

  async rollback(reservation: Reservation): Promise<void> {
    await this.inner.rollback(reservation);
    this.onActivity();
    for (const entry of reservation.entries) this.sample(entry.key, await this.inner.peek(entry.key, entry.windowMs), "rollback");
  }

  peek(key: string, windowMs: number): Promise<CounterLevel> {
    return this.inner.peek(key, windowMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
