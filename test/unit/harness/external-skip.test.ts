/**
 * Against an external gateway (`--gateway-cmd`) the harness cannot decide approvals (that needs the
 * gateway's admin API) nor switch on global shadow mode (the template sets the flags): such
 * scenarios are reported as skipped with the reason, never as passed, and no process is started.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { runScenarioExternal } from "../../../src/harness/external-gateway.js";
import { needsApprovals } from "../../../src/harness/external-skips.js";
import { loadScenarioFile } from "../../../src/harness/load-scenario.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// A command that would fail loudly if the harness ever started it.
const options = { template: "/nonexistent/gateway {policy} {upstream}", cwd: root, env: {} };

function load(name: string) {
  const loaded = loadScenarioFile(join(root, "scenarios", `${name}.scenario.json`));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return loaded.value;
}

test.each(["approval-approve-passes-once", "approval-changed-arguments", "approval-deny", "approval-expire", "approval-hold", "approval-replay-after-consume"])(
  "the approval scenario %s is skipped against an external gateway, naming the admin API",
  async (name) => {
    const result = await runScenarioExternal(load(name), options);
    expect(result.error).toBeUndefined();
    expect(result.verdict).toBe("skipped");
    expect(result.calls).toEqual([]);
    expect(result.steps.length).toBeGreaterThan(0);
    for (const step of result.steps) {
      expect(step.verdict).toBe("skipped");
      expect(step.skipReason).toMatch(/deciding approvals needs the gateway's admin API \(`toolgate approvals`\), which a `--gateway-cmd` run does not drive$/);
    }
  },
);

test("the global shadow scenario is skipped against an external gateway: the template decides its flags", async () => {
  const result = await runScenarioExternal(load("shadow-global"), options);
  expect(result.verdict).toBe("skipped");
  expect(result.steps.every((s) => s.skipReason?.includes("global shadow mode (`gateway.shadow`)"))).toBe(true);
});

test("scenarios without approvals are not flagged as needing them", () => {
  expect(needsApprovals(load("shadow-per-rule"))).toBeUndefined();
  expect(needsApprovals(load("seed-policy-runaway-loop"))).toBeUndefined();
  expect(needsApprovals(load("approval-hold"))).toBe("decides approvals (`approval` events)");
});
