import { expect, test } from "vitest";
import { InFlightBudget } from "../../../src/gateway/in-flight-budget.js";

test("each grant has its own share of requests in flight, given back one by one", () => {
  const b = new InFlightBudget(2);
  expect([b.take("alice"), b.take("alice"), b.take("alice")]).toEqual([true, true, false]);
  expect(b.take("bob")).toBe(true);
  b.release("alice");
  expect(b.inFlight("alice")).toBe(1);
  expect(b.take("alice")).toBe(true);
  b.release("bob");
  b.release("bob");
  expect(b.inFlight("bob")).toBe(0);
});
