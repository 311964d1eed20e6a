/**
 * What really reached the CRM's automation: every accepted Salesbot start and stop, in order, so a
 * scenario can assert which bots were stopped and how often.
 */

export type EffectKind = "run" | "stop";

export interface Effect {
  readonly kind: EffectKind;
  readonly botId: number;
  readonly entityId: number;
  readonly entityType: string;
  /** Clock time at which the fake accepted the request. */
  readonly atMs: number;
}

export interface EffectFilter {
  readonly botId?: number;
  readonly entityId?: number;
  readonly entityType?: string;
  /** Only effects with `atMs >= sinceMs`. */
  readonly sinceMs?: number;
}

function matches(effect: Effect, filter: EffectFilter): boolean {
  return (
    (filter.botId === undefined || effect.botId === filter.botId) &&
    (filter.entityId === undefined || effect.entityId === filter.entityId) &&
    (filter.entityType === undefined || effect.entityType === filter.entityType) &&
    (filter.sinceMs === undefined || effect.atMs >= filter.sinceMs)
  );
}

export class EffectLog {
  private readonly entries: Effect[] = [];

  record(effect: Effect): void {
    this.entries.push(Object.freeze({ ...effect }));
  }

  /** Every effect, oldest first (a copy). */
  all(filter: EffectFilter & { kind?: EffectKind } = {}): Effect[] {
    return this.entries.filter((e) => (filter.kind === undefined || e.kind === filter.kind) && matches(e, filter));
  }

  stops(filter: EffectFilter = {}): Effect[] {
    return this.all({ ...filter, kind: "stop" });
  }

  runs(filter: EffectFilter = {}): Effect[] {
    return this.all({ ...filter, kind: "run" });
  }

  count(filter: EffectFilter & { kind?: EffectKind } = {}): number {
    return this.all(filter).length;
  }

  countStops(filter: EffectFilter = {}): number {
    return this.stops(filter).length;
  }

  countRuns(filter: EffectFilter = {}): number {
    return this.runs(filter).length;
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
