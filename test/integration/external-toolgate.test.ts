/**
 * The whole shipped scenario set against `toolgate serve` as an external process, over stdio and
 * over HTTP, with the time moved through TOOLGATE_CLOCK_FILE: every step runs except those of an
 * undeclared capability (over stdio, scenarios whose agents share counters need `http`), and every
 * step that runs passes.
 */
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { TOOLGATE_PROFILE, type Capability, type CapabilityProfile } from "../../src/harness/capability-profile.js";
import { runScenarioExternal } from "../../src/harness/external-gateway.js";
import { loadScenarioFile } from "../../src/harness/load-scenario.js";
import { mismatchLines, type ScenarioResult } from "../../src/harness/result.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const serve = `${process.execPath} ${join(root, "bin/toolgate.mjs")} serve`;
const templates = {
  stdio: `${serve} --policy {policy} --grant {grant} --audit {audit} --admin-listen {admin} {settings} --upstream-cmd "{upstream}"`,
  http: `${serve} --policy {policy} --grants {grants} --listen 127.0.0.1:{port} --audit {audit} --admin-listen {admin} {settings} --upstream-cmd "{upstream}"`,
};
const files = readdirSync(join(root, "scenarios")).filter((f) => f.endsWith(".scenario.json")).sort();

function profileWithout(capability: Capability): CapabilityProfile {
  return { ...TOOLGATE_PROFILE, capabilities: new Set([...TOOLGATE_PROFILE.capabilities].filter((c) => c !== capability)), source: `toolgate without ${capability}` };
}

/** Runs every scenario, `concurrency` at a time (each run is a few processes). */
async function runAll(transport: "stdio" | "http", concurrency: number): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const queue = [...files];
  const profile = profileWithout(transport === "stdio" ? "http" : "stdio");
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        const loaded = loadScenarioFile(join(root, "scenarios", file));
        if (!loaded.ok) throw new Error(`${file} does not load`);
        results.push(await runScenarioExternal(loaded.value, { template: templates[transport], cwd: root, env: process.env, profile }));
      }
    }),
  );
  return results;
}

function failures(results: readonly ScenarioResult[]): string[] {
  return results.filter((r) => r.verdict === "failed").flatMap((r) => mismatchLines(r).map((l) => `${r.name}: ${l}`));
}

test("over stdio every scenario step runs against toolgate serve, except shared counters, which need HTTP, and all pass", async () => {
  const results = await runAll("stdio", 4);
  expect(failures(results)).toEqual([]);
  const steps = results.flatMap((r) => r.steps);
  const skipped = steps.filter((s) => s.verdict === "skipped");
  for (const step of skipped) expect(step.skipReason).toMatch(/an HTTP template \(`\{port\}`\) serves every agent from one process$/);
  expect(steps.filter((s) => s.verdict === "passed").length / steps.length).toBeGreaterThan(0.75);
}, 400_000);

test("over HTTP at least 95 % of the scenario steps run against toolgate serve, one process for every agent, and all pass", async () => {
  const results = await runAll("http", 3);
  expect(failures(results)).toEqual([]);
  const steps = results.flatMap((r) => r.steps);
  const skipped = steps.filter((s) => s.verdict === "skipped");
  // Only an agent without a grant, which needs stdio (undeclared here), is skipped.
  for (const step of skipped) expect(step.skipReason).toMatch(/has no grant, and an HTTP gateway with a grants file refuses a caller without a token/);
  expect(steps.filter((s) => s.verdict === "passed").length / steps.length).toBeGreaterThanOrEqual(0.95);
}, 400_000);
