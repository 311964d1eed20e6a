/**
 * Counters for fixed windows aligned to the UTC epoch. A store only reserves and rolls back;
 * the arithmetic of windows lives in `policy/windows.ts` and the decisions in `policy/evaluate.ts`.
 * Every backend (memory, Redis) passes the same contract suite (`test/contract/counter-store.case.ts`).
 */

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
