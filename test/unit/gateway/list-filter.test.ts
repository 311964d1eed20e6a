import { expect, test } from "vitest";
import { filterToolList } from "../../../src/gateway/list-filter.js";
import { policyOf } from "./gateway-fixture.js";

const result = { tools: [{ name: "a" }, { name: "b" }, { name: "c" }, { name: "stop_salesbot" }, { nope: true }], nextCursor: "n" };

test("hidden and default-denied tools are removed, denied tools and the cursor stay", () => {
  const policy = policyOf({ version: "1", default: "deny", hide: ["b"], tools: { b: {}, c: { action: "deny" }, stop_salesbot: {} } });
  expect(filterToolList(result, policy)).toEqual({ tools: [{ name: "c" }, { name: "stop_salesbot" }], nextCursor: "n" });
});

test("under default allow only hidden tools go; hide * hides all", () => {
  expect(filterToolList(result, policyOf({ version: "1", default: "allow", hide: ["a"] })).tools).toEqual([{ name: "b" }, { name: "c" }, { name: "stop_salesbot" }]);
  expect(filterToolList(result, policyOf({ version: "1", default: "allow", hide: ["*"] })).tools).toEqual([]);
});

test("without a policy no tool is listed", () => {
  expect(filterToolList(result, undefined).tools).toEqual([]);
});
