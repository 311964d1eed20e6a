/**
 * Fixed windows aligned to the UTC epoch (docs/architecture.md#windows-and-counters): index = floor(nowMs / windowMs), a window
 * is [startMs, endMs). Pure arithmetic; stores and the evaluator both use it.
 */

export const NAMED_WINDOWS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export type NamedWindow = keyof typeof NAMED_WINDOWS;

export function isNamedWindow(value: unknown): value is NamedWindow {
  return typeof value === "string" && Object.hasOwn(NAMED_WINDOWS, value);
}

/** `second|minute|hour|day` or a whole number of seconds ≥ 1 → milliseconds. Throws on anything else. */
export function windowMs(window: string | number): number {
  if (typeof window === "number") {
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`expected a whole number of seconds ≥ 1, found ${window}`);
    return window * 1_000;
  }
  if (isNamedWindow(window)) return NAMED_WINDOWS[window];
  throw new RangeError(`expected \`second\`, \`minute\`, \`hour\`, \`day\` or a number of seconds, found \`${window}\``);
}

export interface WindowBounds {
  readonly index: number;
  readonly startMs: number;
  /** Exclusive: a call at exactly `endMs` belongs to the next window. */
  readonly endMs: number;
}

export function windowBounds(nowMs: number, windowMs: number): WindowBounds {
  const index = Math.floor(nowMs / windowMs);
  const startMs = index * windowMs;
  return { index, startMs, endMs: startMs + windowMs };
}

/** How a window reads in messages: `minute`, `30 seconds`, `second`. */
export function describeWindow(window: string | number): string {
  if (typeof window === "string") return window;
  return window === 1 ? "second" : `${window} seconds`;
}

/** What one call asks of one counter (the store contract is `stores/counter-store.ts`). */
export interface CounterRequest {
  /** Scope key × counter name, e.g. `grant:alice|stop_salesbot_rate`; the store adds the window index. */
  readonly key: string;
  readonly windowMs: number;
  readonly max: number;
  /** How much this call consumes (1, or the value of `increment_from`). */
  readonly amount: number;
}

export interface CounterLevel {
  /** Units consumed in the current window after this reservation (or, when denied, before it). */
  readonly used: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** The store's notion of now when it decided (Redis `TIME` for the Redis store). */
  readonly nowMs: number;
}
