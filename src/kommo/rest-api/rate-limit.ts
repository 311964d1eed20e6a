/**
 * Kommo's documented limit: at most N requests per second per token (7 by default). Fixed
 * one-second windows aligned to epoch seconds on the injected clock; request N+1 in a window is
 * refused with 429 and `Retry-After: 1`, and the next second starts afresh.
 */

export class RateLimiter {
  private readonly perSecond: number;
  private readonly windows = new Map<string, { second: number; count: number }>();

  /** `perSecond` 0 disables the limit. */
  constructor(perSecond: number) {
    this.perSecond = perSecond;
  }

  /** Counts one request; false when it is over the limit. */
  admit(token: string, nowMs: number): boolean {
    if (this.perSecond <= 0) return true;
    const second = Math.floor(nowMs / 1000);
    const window = this.windows.get(token);
    if (!window || window.second !== second) {
      this.windows.set(token, { second, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= this.perSecond;
  }

  clear(): void {
    this.windows.clear();
  }
}
