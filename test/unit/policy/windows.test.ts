import { expect, test } from "vitest";
import { describeWindow, windowBounds, windowMs } from "../../../src/policy/windows.js";

test("named windows are a second, a minute, an hour and a day in milliseconds", () => {
  expect([windowMs("second"), windowMs("minute"), windowMs("hour"), windowMs("day")]).toEqual([1_000, 60_000, 3_600_000, 86_400_000]);
});

test("a numeric window is that many whole seconds", () => {
  expect(windowMs(1)).toBe(1_000);
  expect(windowMs(90)).toBe(90_000);
});

test("windowMs refuses unknown names, zero, negatives and fractions", () => {
  for (const bad of ["week", "", 0, -5, 1.5]) expect(() => windowMs(bad)).toThrow(RangeError);
});

test("windows are aligned to UTC epoch multiples and include their start but not their end", () => {
  const minuteStart = Date.UTC(2026, 4, 1, 12, 34, 0);
  expect(windowBounds(minuteStart, 60_000)).toEqual({ index: minuteStart / 60_000, startMs: minuteStart, endMs: minuteStart + 60_000 });
  expect(windowBounds(minuteStart + 59_999, 60_000).startMs).toBe(minuteStart);
  expect(windowBounds(minuteStart + 60_000, 60_000).startMs).toBe(minuteStart + 60_000);
});

test("a day window starts at midnight UTC", () => {
  const noon = Date.UTC(2026, 6, 15, 12, 0, 0);
  expect(new Date(windowBounds(noon, windowMs("day")).startMs).toISOString()).toBe("2026-07-15T00:00:00.000Z");
  expect(new Date(windowBounds(noon, windowMs("day")).endMs).toISOString()).toBe("2026-07-16T00:00:00.000Z");
});

test("an hour window starts at the top of the hour and a 7-second window at a multiple of 7 s since the epoch", () => {
  const t = Date.UTC(2026, 0, 1, 5, 17, 42, 123);
  expect(new Date(windowBounds(t, windowMs("hour")).startMs).toISOString()).toBe("2026-01-01T05:00:00.000Z");
  const seven = windowBounds(t, windowMs(7));
  expect(seven.startMs % 7_000).toBe(0);
  expect(seven.startMs <= t && t < seven.endMs).toBe(true);
});

test("windows read as words in messages", () => {
  expect([describeWindow("minute"), describeWindow(1), describeWindow(30)]).toEqual(["minute", "second", "30 seconds"]);
});
