import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test, vi } from "vitest";
import { FILE_CLOCK_POLL_MS, fileClock, processClock, systemClock } from "../../../src/core/clock.js";

test("the file clock reads the current time from its file on every call", () => {
  const file = join(mkdtempSync(join(tmpdir(), "toolgate-clock-")), "now");
  writeFileSync(file, "1767225600000\n");
  const clock = fileClock(file);
  expect(clock.nowMs()).toBe(1_767_225_600_000);
  writeFileSync(file, "1767225660000");
  expect(clock.nowMs()).toBe(1_767_225_660_000);
});

test("the file clock names the file and the bad content it found", () => {
  const file = join(mkdtempSync(join(tmpdir(), "toolgate-clock-")), "now");
  writeFileSync(file, "soon");
  expect(() => fileClock(file)).toThrow(`${file}: expected epoch milliseconds, found \`soon\``);
});

test("the process clock is the system clock unless TOOLGATE_CLOCK_FILE names a file", () => {
  expect(processClock({})).toBe(systemClock);
  const file = join(mkdtempSync(join(tmpdir(), "toolgate-clock-")), "now");
  writeFileSync(file, "42");
  expect(processClock({ TOOLGATE_CLOCK_FILE: file }).nowMs()).toBe(42);
});

test("random hex ids have the asked length, use hex digits only and do not repeat", async () => {
  const { randomHex } = await import("../../../src/core/clock.js");
  const ids = new Set<string>();
  for (let i = 0; i < 2_000; i++) {
    const id = randomHex(8);
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    ids.add(id);
  }
  expect(ids.size).toBe(2_000);
  expect(randomHex(5_000)).toMatch(/^[0-9a-f]{10000}$/);
});

test("a file clock's timers fire when the file's time reaches them, in due order, and never on the real clock alone", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "toolgate-clock-")), "now");
  writeFileSync(file, "1000");
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
  onTestFinished(() => void vi.useRealTimers());
  const clock = fileClock(file);
  const fired: string[] = [];
  clock.setTimer(() => fired.push("b"), 200);
  clock.setTimer(() => fired.push("a"), 100);
  const cancelled = clock.setTimer(() => fired.push("never"), 150);
  cancelled.cancel();
  const slept = clock.sleep(300).then(() => fired.push("slept"));
  // The poll runs on (faked) real intervals; however much real time passes, only the file moves time.
  vi.advanceTimersByTime(10_000);
  expect(fired).toEqual([]);
  writeFileSync(file, "1250");
  vi.advanceTimersByTime(FILE_CLOCK_POLL_MS);
  expect(fired).toEqual(["a", "b"]);
  writeFileSync(file, "1300");
  vi.advanceTimersByTime(FILE_CLOCK_POLL_MS);
  await slept;
  expect(fired).toEqual(["a", "b", "slept"]);
});
