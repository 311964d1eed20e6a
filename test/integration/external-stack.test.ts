/**
 * A scenario with `servers` against `toolgate serve --config` as an external process, over stdio and HTTP:
 * the harness writes the gateway config (`{config}`: the kommo-sim child with its effects file,
 * server-memory as a child), and what reached the simulator is checked against the answers.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { TOOLGATE_PROFILE } from "../../src/harness/capability-profile.js";
import { runScenarioExternal } from "../../src/harness/external-gateway.js";
import { loadScenarioFile } from "../../src/harness/load-scenario.js";
import { mismatchLines } from "../../src/harness/result.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const single = `${process.execPath} ${join(root, "bin/toolgate.mjs")} serve --policy {policy} --grant {grant} --audit {audit} --admin-listen {admin} {settings} --upstream-cmd "{upstream}"`;

test("the kommo + server-memory scenario passes every step against toolgate serve --config over stdio, on toolgate's own stack template", async () => {
  const loaded = loadScenarioFile(join(root, "scenarios/stack-kommo-and-memory.scenario.json"));
  if (!loaded.ok) throw new Error("the scenario does not load");
  const result = await runScenarioExternal(loaded.value, { template: single, cwd: root, env: process.env, profile: TOOLGATE_PROFILE });
  expect(mismatchLines(result)).toEqual([]);
  expect(result.verdict).toBe("passed");
  expect(result.steps.every((s) => s.verdict === "passed")).toBe(true);
  expect(result.calls).toHaveLength(28);
}, 120_000);

test("a --gateway-cmd template with {config} runs the stack scenario too, its profile inferred", async () => {
  const loaded = loadScenarioFile(join(root, "scenarios/stack-kommo-and-memory.scenario.json"));
  if (!loaded.ok) throw new Error("the scenario does not load");
  const template = `${process.execPath} ${join(root, "bin/toolgate.mjs")} serve --config {config} --grant {grant} --audit {audit}`;
  const result = await runScenarioExternal(loaded.value, { template, cwd: root, env: process.env });
  expect(mismatchLines(result)).toEqual([]);
  expect(result.verdict).toBe("passed");
}, 120_000);

test("over HTTP the generated config names the harness's grants file, and the stack scenario passes against serve --config --listen", async () => {
  const loaded = loadScenarioFile(join(root, "scenarios/stack-kommo-and-memory.scenario.json"));
  if (!loaded.ok) throw new Error("the scenario does not load");
  const template = `${process.execPath} ${join(root, "bin/toolgate.mjs")} serve --config {config} --listen 127.0.0.1:{port} --audit {audit} --admin-listen {admin} {settings}`;
  const result = await runScenarioExternal(loaded.value, { template, cwd: root, env: process.env });
  expect(mismatchLines(result)).toEqual([]);
  expect(result.verdict).toBe("passed");
  expect(result.calls).toHaveLength(28);
}, 120_000);
