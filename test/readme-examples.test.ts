/**
 * Every policy shown in the README is a valid policy, and the gateway config it shows is the one
 * in examples/stack/ and valid there: documentation that cannot rot silently.
 */
import { readFileSync } from "node:fs";
import { parseProfileText } from "../src/harness/capability-profile.js";
import { expect, test } from "vitest";
import { formatIssues } from "../src/core/errors.js";
import { parsePolicyText } from "../src/policy/load-policy.js";
import { formatConfigIssues, loadStackConfigText } from "../src/gateway/stack/stack-config.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const policies = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((m) => m[1]!.replace(/^ {3}/gm, ""))
  .filter((text) => /"version"\s*:\s*"1"/.test(text) && !text.includes("…") && !text.includes('"servers"') && !text.includes('"claimGrants"') && !text.includes('"capabilities"'));
const profiles = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((text) => text.includes('"capabilities"'));

test("the README's capability profile is a valid profile", () => {
  expect(profiles).toHaveLength(1);
  const parsed = parseProfileText(profiles[0]!, "README.md");
  expect(parsed.ok && [...parsed.value.capabilities]).toEqual(["stdio", "http", "approvals", "shadow", "reload", "audit"]);
});
const configs = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((text) => text.includes('"servers"'));

test("the README's gateway config is examples/stack/stack.json, valid with the policies beside it", () => {
  expect(configs).toHaveLength(1);
  const file = new URL("../examples/stack/stack.json", import.meta.url).pathname;
  const loaded = loadStackConfigText(configs[0]!, file);
  expect(loaded.ok ? "" : formatConfigIssues(loaded.issues)).toBe("");
  const { description: _d, ...onDisk } = JSON.parse(readFileSync(file, "utf8"));
  expect(JSON.parse(configs[0]!)).toEqual(onDisk);
});

test("the README shows at least the seed policy and six worked examples", () => {
  expect(policies.length).toBeGreaterThanOrEqual(7);
});

test.each(policies.map((text, i) => [i, text] as const))("README policy #%i is valid", (_i, text) => {
  const parsed = parsePolicyText(text);
  expect(parsed.ok ? "" : formatIssues("README.md", parsed.issues)).toBe("");
});
