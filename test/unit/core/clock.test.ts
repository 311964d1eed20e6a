import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { fileClock, processClock, systemClock } from "../../../src/core/clock.js";

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
