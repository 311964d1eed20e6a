/**
 * Small statistics for the bench: nearest-rank percentiles of a sample, and the median with its
 * min–max spread across repeated rounds (so a noisy machine shows as spread, not as a winner).
 */

export interface LatencySummary {
  readonly count: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly meanUs: number;
  readonly minUs: number;
  readonly maxUs: number;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted sample; NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0]!;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarizeLatencies(samplesUs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samplesUs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    count: n,
    p50Us: percentileOfSorted(sorted, 50),
    p90Us: percentileOfSorted(sorted, 90),
    p99Us: percentileOfSorted(sorted, 99),
    meanUs: n === 0 ? Number.NaN : sum / n,
    minUs: n === 0 ? Number.NaN : sorted[0]!,
    maxUs: n === 0 ? Number.NaN : sorted[n - 1]!,
  };
}

/** The median (mean of the middle two for an even count) of the finite values. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and min–max of one metric across rounds; non-finite values (a failed round) are left out. */
export function spreadOf(values: readonly number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/** `b - a` and `b / a` of two medians: the added cost of a proxy over its direct path. */
export function addedOver(direct: number, proxied: number): { deltaUs: number; ratio: number } {
  return { deltaUs: proxied - direct, ratio: direct > 0 ? proxied / direct : Number.NaN };
}
