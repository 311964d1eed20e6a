import { expect, test } from "vitest";
import { hasChanges, jsonDiff, lineDiff } from "../../../../src/gateway/console/line-diff.js";

test("a line diff keeps common lines and marks removed before added", () => {
  expect(lineDiff("a\nb\nc\n", "a\nx\nc\n")).toEqual([
    { op: " ", text: "a" },
    { op: "-", text: "b" },
    { op: "+", text: "x" },
    { op: " ", text: "c" },
  ]);
  expect(lineDiff("", "a\n")).toEqual([{ op: "+", text: "a" }]);
  expect(hasChanges(lineDiff("a\n", "a"))).toBe(false);
});

test("JSON on both sides is compared pretty-printed, so layout alone is no change", () => {
  expect(hasChanges(jsonDiff('{"a":1,"b":[1,2]}', '{\n  "a": 1,\n  "b": [1, 2]\n}\n'))).toBe(false);
  expect(jsonDiff('{"max":10}', '{"max":5}').filter((d) => d.op !== " ")).toEqual([
    { op: "-", text: '  "max": 10' },
    { op: "+", text: '  "max": 5' },
  ]);
  expect(jsonDiff('{"a":1}', "{broken").at(-1)).toEqual({ op: "+", text: "{broken" });
});
