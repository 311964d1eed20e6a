import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { duplicateKeyIssues } from "../../src/core/json-text.js";

test.prop([fc.jsonValue(), fc.integer({ min: 0, max: 3 })], { numRuns: 500 })("text printed from a JSON value never reports a duplicate key, however it is indented", (value, indent) => {
  expect(duplicateKeyIssues(JSON.stringify(value, null, indent))).toEqual([]);
});

test.prop([fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue()], { numRuns: 300 })("a key repeated at the end of an object is reported once, at its path", (object, again) => {
  const [key] = Object.keys(object);
  const text = `{"outer": [${JSON.stringify(object).slice(0, -1)}, ${JSON.stringify(key)}: ${JSON.stringify(again)}}]}`;
  expect(duplicateKeyIssues(text).map((i) => i.message)).toEqual([`found the key \`${key}\` twice in one object, expected each key once (JSON would keep only the last)`]);
});
