import { expect, test } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import type { CounterRequest, CounterStore } from "../../src/stores/counter-store.js";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";
import { runCounterStoreContract } from "./counter-store.case.js";

runCounterStoreContract("memory", async (clock) => new MemoryCounterStore({ clock }));

test("the memory store keeps memory flat over many windows", async () => {
  let nowMs = Date.UTC(2026, 0, 1);
  const clock: Clock = { nowMs: () => nowMs, setTimer: () => ({ cancel: () => {} }), sleep: async () => {} };
  const store = new MemoryCounterStore({ clock });
  let peak = 0;
  for (let i = 0; i < 20_000; i++) {
    await store.reserve([{ key: `grant:g${i % 50}|c`, windowMs: 1_000, max: 5, amount: 1 }]);
    nowMs += 10;
    peak = Math.max(peak, store.slotCount());
  }
  expect(peak).toBeLessThanOrEqual(100);
  expect(store.slotCount()).toBeLessThanOrEqual(50);
});

test("a closed memory store refuses to reserve", async () => {
  const store = new MemoryCounterStore({ clock: new VirtualClock() });
  await store.close();
  await expect(store.reserve([{ key: "k", windowMs: 1_000, max: 1, amount: 1 }])).rejects.toThrow(/closed/);
});

test("planned limits from the evaluator are counter requests the store accepts, and levels feed limitDenial", async () => {
  const { compilePolicy } = await import("../../src/policy/load-policy.js");
  const { limitDenial } = await import("../../src/policy/evaluate.js");
  const { precheck } = await import("../helpers/precheck.js");
  const parsed = compilePolicy({ version: "1", default: "deny", tools: { t: { limits: [{ counter: "c", window: "minute", max: 1 }] } } });
  if (!parsed.ok) throw new Error("policy must compile");
  const store: CounterStore = new MemoryCounterStore({ clock: new VirtualClock() });
  const call = { tool: "t", args: {}, grantId: "g", sessionKey: "s" };
  const pre = precheck(parsed.value, call);
  if (pre.kind !== "reserve") throw new Error("expected a plan");
  const requests: readonly CounterRequest[] = pre.limits.map((l) => l.request);
  expect((await store.reserve(requests)).ok).toBe(true);
  const refused = await store.reserve(requests);
  if (refused.ok) throw new Error("expected a refusal");
  expect(limitDenial(call, pre.limits[refused.failedIndex]!, refused.level).message).toBe("Rate limit exceeded: c allows 1 call per minute per grant. Retry in 60 s.");
});
