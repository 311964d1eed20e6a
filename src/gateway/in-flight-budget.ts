/**
 * A bound on the requests one grant may have in flight at once, across every connection of the
 * process (stdio has one; over HTTP a grant may hold many sessions). A request over the bound is
 * refused at once with a JSON-RPC error and never reaches the policy or the upstream, so a flood
 * on one connection costs bounded memory and cannot starve the other grants.
 */

/** Default for `--max-in-flight`: requests in flight per grant. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;

export class InFlightBudget {
  private readonly used = new Map<string, number>();

  constructor(readonly maxPerGrant: number = DEFAULT_MAX_IN_FLIGHT) {}

  /** Takes one unit for `grant`; false when it already has `maxPerGrant` in flight. */
  take(grant: string): boolean {
    const n = this.used.get(grant) ?? 0;
    if (n >= this.maxPerGrant) return false;
    this.used.set(grant, n + 1);
    return true;
  }

  release(grant: string): void {
    const n = this.used.get(grant) ?? 0;
    if (n <= 1) this.used.delete(grant);
    else this.used.set(grant, n - 1);
  }

  inFlight(grant: string): number {
    return this.used.get(grant) ?? 0;
  }
}
