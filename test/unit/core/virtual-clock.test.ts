import { expect, test } from "vitest";
import { VirtualClock } from "../../../src/core/virtual-clock.js";

test("a virtual clock starts where it is told and only moves when advanced", async () => {
  const clock = new VirtualClock(1_000);
  expect(clock.nowMs()).toBe(1_000);
  await clock.advanceBy(250);
  expect(clock.nowMs()).toBe(1_250);
});

test("timers fire in due order, each seeing its own due time", async () => {
  const clock = new VirtualClock(0);
  const seen: string[] = [];
  clock.setTimer(() => seen.push(`b@${clock.nowMs()}`), 200);
  clock.setTimer(() => seen.push(`a@${clock.nowMs()}`), 100);
  clock.setTimer(() => seen.push(`c@${clock.nowMs()}`), 200);
  await clock.advanceBy(150);
  expect(seen).toEqual(["a@100"]);
  await clock.advanceTo(1_000);
  expect(seen).toEqual(["a@100", "b@200", "c@200"]);
  expect(clock.nowMs()).toBe(1_000);
});

test("promise chains started by a timer settle before the next timer fires", async () => {
  const clock = new VirtualClock(0);
  const seen: string[] = [];
  void clock.sleep(10).then(async () => {
    await Promise.resolve();
    seen.push("first chain done");
  });
  clock.setTimer(() => seen.push("second timer"), 20);
  await clock.advanceBy(30);
  expect(seen).toEqual(["first chain done", "second timer"]);
});

test("a cancelled timer never fires", async () => {
  const clock = new VirtualClock(0);
  let fired = false;
  clock.setTimer(() => (fired = true), 5).cancel();
  await clock.advanceBy(10);
  expect(fired).toBe(false);
  expect(clock.pendingTimers()).toBe(0);
});

test("the virtual clock refuses to go back in time", async () => {
  const clock = new VirtualClock(100);
  await expect(clock.advanceTo(50)).rejects.toThrow("cannot go back");
});
