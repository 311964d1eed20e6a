/** Waiting for calls in flight when the front closes, on a VirtualClock. */
import { expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { drainCalls } from "../../../../src/gateway/http/drain.js";
import { recordingLogger } from "./recording-logger.js";

function setup() {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const { log, lines } = recordingLogger(clock);
  return { clock, log, lines };
}

test("with nothing in flight the drain is over at once and says nothing", async () => {
  const { clock, log, lines } = setup();
  await drainCalls(() => 0, clock, 10_000, log);
  await log.flush();
  expect(lines).toEqual([]);
  expect(clock.pendingTimers()).toBe(0);
});

test("the drain waits until the last call is answered, then logs what it waited for", async () => {
  const { clock, log, lines } = setup();
  let inFlight = 2;
  let done = false;
  void drainCalls(() => inFlight, clock, 10_000, log).then(() => (done = true));
  await clock.advanceBy(1_000);
  expect(done).toBe(false);
  inFlight = 0;
  await clock.advanceBy(20);
  expect(done).toBe(true);
  await log.flush();
  expect(lines).toEqual([expect.objectContaining({ level: "info", event: "draining", inFlight: 2, timeoutMs: 10_000 })]);
});

test("calls still in flight after timeoutMs are left to close, with a warning that counts them", async () => {
  const { clock, log, lines } = setup();
  let done = false;
  void drainCalls(() => 1, clock, 100, log).then(() => (done = true));
  await clock.advanceBy(99);
  expect(done).toBe(false);
  await clock.advanceBy(1);
  expect(done).toBe(true);
  await log.flush();
  expect(lines.at(-1)).toEqual(expect.objectContaining({ level: "warn", event: "drain_timeout", inFlight: 1 }));
});
