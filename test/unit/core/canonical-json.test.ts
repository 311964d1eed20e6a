import { expect, test } from "vitest";
import { canonicalJson } from "../../../src/core/canonical-json.js";

test("canonical JSON sorts keys at every depth and prints no whitespace", () => {
  expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
});

test("canonical JSON does not depend on key insertion order", () => {
  expect(canonicalJson({ lead_id: 7, note: "hi" })).toBe(canonicalJson({ note: "hi", lead_id: 7 }));
});

test("canonical JSON keeps array order and escapes strings like JSON", () => {
  expect(canonicalJson([2, 1, "a\"b\n", null, true])).toBe('[2,1,"a\\"b\\n",null,true]');
});

test("canonical JSON drops undefined members and prints undefined array entries and non-finite numbers as null", () => {
  expect(canonicalJson({ a: undefined, b: [undefined, Number.NaN, Infinity] })).toBe('{"b":[null,null,null]}');
  expect(canonicalJson(undefined)).toBe("null");
});

test("canonical JSON rejects bigints", () => {
  expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
});
