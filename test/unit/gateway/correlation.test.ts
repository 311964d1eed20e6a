import { expect, test } from "vitest";
import { Correlation } from "../../../src/gateway/correlation.js";

test("upstream ids are the gateway's own and map back to the caller's id, once", () => {
  const c = new Correlation<string>();
  const a = c.open("x", "tools/call", undefined, "a");
  const b = c.open(1, "tools/list", undefined, "b");
  const own = c.open(undefined, "tools/list", undefined, "own");
  expect(new Set([a.upstreamId, b.upstreamId, own.upstreamId]).size).toBe(3);
  expect(c.upstreamIdOf("x")).toBe(a.upstreamId);
  expect(c.upstreamIdOf(1)).toBe(b.upstreamId);
  expect(c.upstreamIdOf("1")).toBeUndefined();
  expect(c.settle({ jsonrpc: "2.0", id: a.upstreamId, result: {} })?.callerId).toBe("x");
  expect(c.settle({ jsonrpc: "2.0", id: a.upstreamId, result: {} })).toBeUndefined();
  expect(c.settle({ jsonrpc: "2.0", id: String(b.upstreamId), result: {} })).toBeUndefined();
  expect(c.upstreamIdOf("x")).toBeUndefined();
  expect(c.size).toBe(2);
});

test("progress tokens find their pending request until it settles", () => {
  const c = new Correlation<null>();
  const p = c.open("x", "tools/call", "tok", null);
  expect(c.byProgress("tok")).toBe(p);
  c.take(p.upstreamId);
  expect(c.byProgress("tok")).toBeUndefined();
});

test("draining answers nothing twice and empties the table", () => {
  const c = new Correlation<null>();
  c.open(1, "a", undefined, null);
  c.open(2, "b", undefined, null);
  expect(c.drain().map((p) => p.callerId)).toEqual([1, 2]);
  expect(c.size).toBe(0);
  expect(c.drain()).toEqual([]);
});

test("server request ids are accepted as answers once, and stray ids are not", () => {
  const c = new Correlation<null>();
  c.rememberServerRequest(5);
  expect(c.answerServerRequest(5)).toBe(true);
  expect(c.answerServerRequest(5)).toBe(false);
  expect(c.answerServerRequest(null)).toBe(false);
});
