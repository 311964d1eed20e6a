import { expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";
import { runCounterStoreContract } from "./counter-store.case.js";

runCounterStoreContract("memory", async (clock) => new MemoryCounterStore({ clock }));

test("the memory store keeps memory flat over many windows", async () => {
  const clock = new VirtualClock();
  const store = new MemoryCounterStore({ clock });
  for (let i = 0; i < 10_000; i++) {
    await store.reserve([{ key: `grant:g${i % 50}|c`, windowMs: 1_000, max: 5, amount: 1 }]);
    await clock.advanceBy(10);
  }
  expect(store.slotCount()).toBeLessThanOrEqual(50);
});

test("a closed memory store refuses to reserve", async () => {
  const store = new MemoryCounterStore({ clock: new VirtualClock() });
  await store.close();
  await expect(store.reserve([{ key: "k", windowMs: 1_000, max: 1, amount: 1 }])).rejects.toThrow(/closed/);
});
