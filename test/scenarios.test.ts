/** Every scenario in `scenarios/` runs against the built-in gateway on a virtual clock, one test each. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { expandScenarioPaths, loadScenarioFile, scenarioName } from "../src/harness/load-scenario.js";
import { mismatchLines } from "../src/harness/result.js";
import { runScenario } from "../src/harness/run-scenario.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const files = expandScenarioPaths(["scenarios"], root);

test("the scenario set is there, approvals and shadow mode included", () => {
  expect(files.length).toBeGreaterThanOrEqual(21);
  const names = files.map(scenarioName);
  for (const name of [
    "approval-approve-passes-once",
    "approval-changed-arguments",
    "approval-deny",
    "approval-expire",
    "approval-hold",
    "approval-replay-after-consume",
    "shadow-global",
    "shadow-per-rule",
  ]) {
    expect(names).toContain(name);
  }
});

test.each(files.map((f) => [scenarioName(f), f]))("scenario %s passes against the built-in gateway", async (_name, file) => {
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) throw new Error(loaded.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  const result = await runScenario(loaded.value);
  expect(mismatchLines(result).join("\n")).toBe("");
  expect(result.verdict).toBe("passed");
  expect(result.calls.length).toBeGreaterThan(0);
});
