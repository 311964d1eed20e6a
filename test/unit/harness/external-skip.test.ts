/**
 * Against an external gateway (`--gateway-cmd`) whose profile (here inferred from a template with
 * no `{admin}` and no `{settings}`) declares neither approvals nor shadow mode, such scenarios are
 * reported as skipped with the reason, never as passed, and no process is started.
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
  "the approval scenario %s is skipped against an external gateway that declares no approvals",
  async (name) => {
    const result = await runScenarioExternal(load(name), options);
    expect(result.error).toBeUndefined();
    expect(result.verdict).toBe("skipped");
    expect(result.calls).toEqual([]);
    expect(result.steps.length).toBeGreaterThan(0);
    for (const step of result.steps) {
      expect(step.verdict).toBe("skipped");
      expect(step.skipReason).toMatch(/, and the profile declares no `approvals` \(an `\{admin\}` placeholder or `--approve-cmd`\/`--deny-cmd`\)$/);
    }
  },
);

test("the global shadow scenario is skipped against an external gateway that declares no shadow mode", async () => {
  const result = await runScenarioExternal(load("shadow-global"), options);
  expect(result.verdict).toBe("skipped");
  expect(result.steps.every((s) => s.skipReason === "runs the gateway in global shadow mode (`gateway.shadow`), and the profile declares no `shadow`")).toBe(true);
});

test("a declared capability whose steps are skipped fails the scenario, naming the capability", async () => {
  const result = await runScenarioExternal(load("shared-vs-separate-grants"), { ...options, profile: { capabilities: new Set(["stdio", "http"] as const), settings: {}, source: "test" } });
  expect(result.verdict).toBe("failed");
  expect(result.calls).toEqual([]);
  expect(result.error).toMatch(/^agents\[0\]\.steps\[0\]: the profile declares `http`, but the step was skipped: over stdio each agent gets its own gateway process, but agents `team-a` and `team-b` share grant `team`/);
});

test("scenarios without approvals are not flagged as needing them", () => {
  expect(needsApprovals(load("shadow-per-rule"))).toBeUndefined();
  expect(needsApprovals(load("seed-policy-runaway-loop"))).toBeUndefined();
  expect(needsApprovals(load("approval-hold"))).toBe("decides approvals (`approval` events)");
});
