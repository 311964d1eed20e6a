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
import { loadScenarioFile } from "../src/harness/load-scenario.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const policies = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((m) => m[1]!.replace(/^ {3}/gm, ""))
  .filter((text) => /"version"\s*:\s*"1"/.test(text) && !text.includes("…") && !text.includes('"servers"') && !text.includes('"claimGrants"') && !text.includes('"capabilities"'));
const profiles = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((text) => text.includes('"capabilities"'));

test("the README's capability profile is a valid profile", () => {
  expect(profiles).toHaveLength(1);
  const parsed = parseProfileText(profiles[0]!, "README.md");
  expect(parsed.ok && [...parsed.value.capabilities]).toEqual(["stdio", "http", "approvals", "shadow", "reload", "audit", "stack"]);
  expect(parsed.ok && parsed.value.stackTemplate).toContain("serve --config {config}");
});
const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
const configs = blocks.filter((text) => /"servers"\s*:\s*\{/.test(text) && !text.includes('"simulator"'));
const scenarioServers = blocks.filter((text) => text.includes('"simulator"'));

test("the README's scenario `servers` section is the shipped stack scenario's, which loads", () => {
  expect(scenarioServers).toHaveLength(1);
  const file = new URL("../scenarios/stack-kommo-and-memory.scenario.json", import.meta.url).pathname;
  const onDisk = JSON.parse(readFileSync(file, "utf8"));
  expect(JSON.parse(scenarioServers[0]!)).toEqual({ servers: onDisk.servers, stack: onDisk.stack });
  const loaded = loadScenarioFile(file);
  expect(loaded.ok ? "" : formatIssues(file, loaded.issues)).toBe("");
});
const stackGrants = blocks.filter((text) => text.includes('"grants"') && !/"servers"\s*:\s*\{/.test(text) && text.includes('"servers"'));

test("the README's gateway config is examples/stack/stack.json, valid with the policies beside it", () => {
  expect(configs).toHaveLength(1);
  const file = new URL("../examples/stack/stack.json", import.meta.url).pathname;
  const loaded = loadStackConfigText(configs[0]!, file);
  expect(loaded.ok ? "" : formatConfigIssues(loaded.issues)).toBe("");
  const { description: _d, ...onDisk } = JSON.parse(readFileSync(file, "utf8"));
  expect(JSON.parse(configs[0]!)).toEqual(onDisk);
});

test("the README's stack grants are examples/stack/grants.json (descriptions aside), and team.json with them is valid", () => {
  expect(stackGrants).toHaveLength(1);
  const onDisk = JSON.parse(readFileSync(new URL("../examples/stack/grants.json", import.meta.url), "utf8")) as { grants: Array<Record<string, unknown>> };
  expect(JSON.parse(stackGrants[0]!)).toEqual({ ...onDisk, grants: onDisk.grants.map(({ description: _d, ...g }) => g) });
  const team = new URL("../examples/stack/team.json", import.meta.url).pathname;
  const loaded = loadStackConfigText(readFileSync(team, "utf8"), team);
  expect(loaded.ok ? loaded.value.grants?.map((g) => [g.id, g.servers]) : formatConfigIssues(loaded.issues)).toEqual([
    ["sales-agent", ["kommo", "memory", "files"]],
    ["notes-agent", ["memory"]],
  ]);
});

test("the README shows at least the seed policy and six worked examples", () => {
  expect(policies.length).toBeGreaterThanOrEqual(7);
});

test.each(policies.map((text, i) => [i, text] as const))("README policy #%i is valid", (_i, text) => {
  const parsed = parsePolicyText(text);
  expect(parsed.ok ? "" : formatIssues("README.md", parsed.issues)).toBe("");
});
