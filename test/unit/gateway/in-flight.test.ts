import { expect, test } from "vitest";
import { VirtualClock } from "../../../src/core/virtual-clock.js";
import { InFlightRequests, type InFlight } from "../../../src/gateway/in-flight.js";

function registry(timeoutMs = 1_000, maxTimeouts = 3, budget?: { take(): boolean; release(): void }) {
  const clock = new VirtualClock();
  const timedOut: InFlight<string>[] = [];
  const inner = new InFlightRequests<string>({ clock, timeoutMs, maxTimeouts, onTimeout: (e) => timedOut.push(e), ...(budget ? { budget } : {}) });
  const admit = (...args: Parameters<typeof inner.admit>): InFlight<string> => {
    const entry = inner.admit(...args);
    if (typeof entry === "string") throw new Error(`expected the request to be admitted, got ${entry}`);
    return entry;
  };
  const r = Object.assign(inner, { admitted: admit });
  return { clock, r, timedOut };
}

test("a request is admitted once per caller id until it leaves the registry", () => {
  const { r } = registry();
  const a = r.admitted("x", "tools/call", "a");
  expect(a.phase).toBe("deciding");
  expect(r.admit("x", "tools/call", "again")).toBe("duplicate");
  expect(r.ofCaller("x")).toBe(a);
  expect(r.close(a)).toBe(true);
  expect(r.close(a)).toBe(false);
  expect(a.open).toBe(false);
  expect(r.ofCaller("x")).toBeUndefined();
  expect(typeof r.admit("x", "tools/call", "later")).toBe("object");
});

test("upstream ids are the gateway's own, distinct for callers and its own requests, and map back once", () => {
  const { r } = registry();
  const a = r.admitted("x", "tools/call", "a");
  const b = r.admitted(1, "tools/list", "b");
  const own = r.admitted(undefined, "tools/list", "own");
  const ids = [r.forward(a, undefined), r.forward(b, undefined), r.forward(own, undefined)];
  expect(new Set(ids).size).toBe(3);
  expect(a.phase).toBe("forwarded");
  expect(r.ofUpstream(ids[0]!)).toBe(a);
  expect(r.ofUpstream(String(ids[1]))).toBeUndefined();
  expect(r.ofUpstream(null)).toBeUndefined();
  expect(r.ofCaller("1")).toBeUndefined();
  expect(r.size).toBe(3);
  r.close(a);
  expect(r.ofUpstream(ids[0]!)).toBeUndefined();
  expect(r.all()).toEqual([b, own]);
});

test("a forwarded request that is not answered times out once, after timeoutMs, and leaves the registry first", async () => {
  const { clock, r, timedOut } = registry(1_000);
  const a = r.admitted(7, "tools/call", "a");
  r.forward(a, undefined);
  await clock.advanceBy(999);
  expect(timedOut).toEqual([]);
  await clock.advanceBy(1);
  expect(timedOut).toEqual([a]);
  expect(a.open).toBe(false);
  await clock.advanceBy(10_000);
  expect(timedOut).toHaveLength(1);
});

test("progress restarts the wait, but never past maxTimeouts timeouts in all", async () => {
  const { clock, r, timedOut } = registry(1_000, 3);
  const a = r.admitted(7, "tools/call", "a");
  r.forward(a, "tok");
  for (let i = 0; i < 5; i++) {
    await clock.advanceBy(900);
    r.progressed("tok");
  }
  // 4,500 ms of progress every 900 ms: the 3,000 ms cap ended the wait at 3,000.
  expect(timedOut).toEqual([a]);
  expect(clock.nowMs() - Date.UTC(2026, 0, 1)).toBe(4_500);
});

test("a closed request's timer never fires and its progress token is forgotten", async () => {
  const { clock, r, timedOut } = registry(1_000);
  const a = r.admitted(7, "tools/call", "a");
  r.forward(a, "tok");
  r.close(a);
  r.progressed("tok");
  await clock.advanceBy(5_000);
  expect(timedOut).toEqual([]);
});

test("server request ids are accepted as answers once, and stray ids are not", () => {
  const { r } = registry();
  r.rememberServerRequest(5);
  expect(r.answerServerRequest(5)).toBe(true);
  expect(r.answerServerRequest(5)).toBe(false);
  expect(r.answerServerRequest(null)).toBe(false);
});

test("a budget bounds the agent's requests in flight: refused as busy at the bound, a unit back when one leaves, own requests never counted", () => {
  let used = 0;
  const { r } = registry(1_000, 3, { take: () => (used < 2 ? (used++, true) : false), release: () => void used-- });
  const a = r.admitted(1, "tools/call", "a");
  r.admitted(2, "tools/call", "b");
  expect(r.admit(3, "tools/call", "c")).toBe("busy");
  r.admitted(undefined, "tools/list", "own");
  expect(used).toBe(2);
  r.close(a);
  r.close(a);
  expect(used).toBe(1);
  r.admitted(3, "tools/call", "c");
  expect(used).toBe(2);
});
