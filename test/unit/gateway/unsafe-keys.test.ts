import { expect, test } from "vitest";
import { findArgumentProblem, MAX_ARGUMENT_DEPTH } from "../../../src/gateway/unsafe-keys.js";

test("prototype-polluting keys are found at any depth, with their path", () => {
  expect(findArgumentProblem(JSON.parse('{"a":{"b":[0,{"__proto__":{}}]}}'))?.path).toBe("arguments.a.b[1].__proto__");
  expect(findArgumentProblem({ constructor: { prototype: 1 } })?.path).toBe("arguments.constructor");
  expect(findArgumentProblem({ x: { prototype: 1 } })).toEqual({
    path: "arguments.x.prototype",
    message: "`arguments.x.prototype` is refused: argument keys named `__proto__`, `constructor` or `prototype` are not allowed",
  });
});

test("ordinary arguments, including values that spell those words, are fine", () => {
  expect(findArgumentProblem({ name: "__proto__", list: ["constructor"], nested: { deep: { ok: true } } })).toBeUndefined();
});

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

test("arguments nested deeper than the limit are refused, without recursion however deep they are", () => {
  expect(findArgumentProblem({ a: nested(MAX_ARGUMENT_DEPTH - 1) })).toBeUndefined();
  expect(findArgumentProblem({ a: nested(MAX_ARGUMENT_DEPTH) })?.message).toMatch(/nests deeper than 64 levels$/);
  expect(findArgumentProblem(JSON.parse(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`))).toBeDefined();
});

test("arguments holding too many values are refused", () => {
  expect(findArgumentProblem({ a: new Array(100_001).fill(0) })?.message).toBe("`arguments` holds more than 100000 values");
});
