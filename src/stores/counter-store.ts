/**
 * Counters for fixed windows aligned to the UTC epoch. A store only reserves and rolls back;
 * the arithmetic of windows lives in `policy/windows.ts` and the decisions in `policy/evaluate.ts`.
 * Every backend (memory, Redis) passes the same contract suite (`test/contract/counter-store.case.ts`).
 */

import type { CounterLevel, CounterRequest } from "../policy/windows.js";

// The request and level shapes live with the window arithmetic (the policy plans reservations and
// reads levels); stores depend on policy, never the reverse.
export type { CounterLevel, CounterRequest };

export interface ReservationEntry {
  readonly key: string;
  readonly windowMs: number;
  readonly windowStartMs: number;
  readonly amount: number;
}

export interface Reservation {
  readonly entries: readonly ReservationEntry[];
}

export type ReserveResult =
  | { readonly ok: true; readonly reservation: Reservation; readonly levels: readonly CounterLevel[] }
  | { readonly ok: false; readonly failedIndex: number; readonly level: CounterLevel };

export interface CounterStore {
  /**
   * Reserves every request atomically: either all are consumed or none is. A request is refused
   * when `used + amount > max`. Throws `GatewayError("STORE_UNAVAILABLE")` when the backend fails.
   */
  reserve(requests: readonly CounterRequest[]): Promise<ReserveResult>;
  /** Returns the reserved units, but only to windows that are still current. */
  rollback(reservation: Reservation): Promise<void>;
  /** Current usage of one counter key in the current window (for reports and tests). */
  peek(key: string, windowMs: number): Promise<CounterLevel>;
  close(): Promise<void>;
}
