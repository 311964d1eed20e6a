import { expect, test } from "vitest";
import { addedOver, median, percentileOfSorted, spreadOf, summarizeLatencies } from "../../../src/bench/stats.js";

test("nearest-rank percentiles pick an observed sample, never an interpolation", () => {
  const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  expect(percentileOfSorted(sorted, 50)).toBe(50);
  expect(percentileOfSorted(sorted, 90)).toBe(90);
  expect(percentileOfSorted(sorted, 99)).toBe(100);
  expect(percentileOfSorted(sorted, 0)).toBe(10);
  expect(percentileOfSorted([], 50)).toBeNaN();
});

test("a latency summary sorts its samples and reports p50, p90, p99, mean, min and max", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
  expect(summarizeLatencies(samples)).toEqual({ count: 100, p50Us: 50, p90Us: 90, p99Us: 99, meanUs: 50.5, minUs: 1, maxUs: 100 });
});

test("the median of an even count is the mean of the middle two, and failed rounds (NaN) are left out", () => {
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([5, Number.NaN, 1, 3])).toBe(3);
  expect(median([])).toBeNaN();
});

test("the spread of rounds is their median with min and max, counting only rounds that produced a number", () => {
  expect(spreadOf([300, 100, 200, Number.NaN])).toEqual({ median: 200, min: 100, max: 300, n: 3 });
  expect(spreadOf([Number.NaN]).n).toBe(0);
});

test("the added cost of a proxy is a difference and a ratio against its direct path", () => {
  expect(addedOver(150, 240)).toEqual({ deltaUs: 90, ratio: 1.6 });
  expect(addedOver(0, 10).ratio).toBeNaN();
});
