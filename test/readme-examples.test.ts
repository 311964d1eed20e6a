/** Every policy shown in the README is a valid policy: documentation that cannot rot silently. */
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { formatIssues } from "../src/core/errors.js";
import { parsePolicyText } from "../src/policy/load-policy.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const policies = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((m) => m[1]!.replace(/^ {3}/gm, ""))
  .filter((text) => /"version"\s*:\s*"1"/.test(text) && !text.includes("…"));

test("the README shows at least the seed policy and six worked examples", () => {
  expect(policies.length).toBeGreaterThanOrEqual(7);
});

test.each(policies.map((text, i) => [i, text] as const))("README policy #%i is valid", (_i, text) => {
  const parsed = parsePolicyText(text);
  expect(parsed.ok ? "" : formatIssues("README.md", parsed.issues)).toBe("");
});
