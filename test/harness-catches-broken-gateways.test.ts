/**
 * A harness that passes a broken gateway is the worst defect it can have. Each deliberately wrong
 * gateway runs the scenarios that exercise its defect; every one of them must fail, with
 * mismatch lines that say what was expected and what came back.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import type { GatewayFactory } from "../src/harness/gateway-factory.js";
import { loadScenarioFile } from "../src/harness/load-scenario.js";
import { mismatchLines } from "../src/harness/result.js";
import { runScenario } from "../src/harness/run-scenario.js";
import * as broken from "./fixtures/broken-gateways/broken-gateways.js";

const scenarios = join(resolve(dirname(fileURLToPath(import.meta.url)), ".."), "scenarios");

async function run(name: string, gatewayFactory: GatewayFactory) {
  const loaded = loadScenarioFile(join(scenarios, `${name}.scenario.json`));
  if (!loaded.ok) throw new Error(`${name} does not load`);
  return runScenario(loaded.value, { gatewayFactory });
}

const CASES: [string, GatewayFactory, string[], RegExp][] = [
  ["counts per session instead of per grant", broken.perSessionInsteadOfPerGrant, ["shared-vs-separate-grants", "scopes-session-grant-global"], /expected allow 4, deny 2, error 0; got allow 6, deny 0/],
  ["lets unknown tools through", broken.letsUnknownToolsThrough, ["default-deny-other-tools", "policy-reload-keeps-counters"], /expected deny default_deny by \(default deny\), got allow/],
  ["counts denied calls", broken.countsDeniedCalls, ["retry-storm-consumes-nothing"], /expected allow 30, deny 1, error 0; got allow 0, deny 31/],
  ["forgets rollback", broken.forgetsRollback, ["unknown-tool-consumes-nothing"], /the budget is still whole|expected allow, got deny rate_limited/],
  ["treats the window end as inside the window (off by one)", broken.windowEndInclusive, ["seed-policy-runaway-loop", "deny-reason-alias"], /at 60000 ms \(2026-01-01T00:01:00\.000Z\): expected allow, got deny rate_limited/],
  ["ends windows 1 ms early (off by one)", broken.windowEndsEarly, ["seed-policy-runaway-loop"], /expected allow 10, deny 1, error 0; got allow 0, deny 11/],
  ["lets an approved call through twice", broken.approvedCallPassesTwice, ["approval-approve-passes-once", "approval-replay-after-consume"], /at 4000 ms \(2026-01-01T00:00:04\.000Z\): expected deny approval_required by \/tools\/stop_salesbot\/approval with a new approval id, got allow[\s\S]*CRM effects: expected exactly 2 salesbot stops, got 3/],
  ["ignores the argument digest of an approval", broken.approvalIgnoresArguments, ["approval-changed-arguments"], /at 2000 ms \(2026-01-01T00:00:02\.000Z\): expected deny approval_required by \/tools\/stop_salesbot\/approval with a new approval id, got allow/],
  ["ignores the grant of an approval", broken.approvalIgnoresGrant, ["approval-changed-arguments"], /at 2500 ms \(2026-01-01T00:00:02\.500Z\): expected deny approval_required by \/tools\/stop_salesbot\/approval with a new approval id, got allow/],
  ["ignores the approval ttl", broken.approvalsNeverExpire, ["approval-expire"], /expected approval apr_0+1 \(of `a\/ask`\) to be refused \(expired\), got it decided/],
  ["answers at once in hold mode", broken.holdModeAnswersAtOnce, ["approval-hold"], /expected allow \(no tool error\) answered at 5000 ms, got deny approval_required by \/tools\/stop_salesbot\/approval with approval apr_0+1 answered at 0 ms/],
  ["blocks in global shadow mode", broken.shadowModeBlocks, ["shadow-global"], /call run_salesbot at 0 ms \(2026-01-01T00:00:00\.000Z\): expected allow, got deny hidden by \(hidden\)/],
  ["enforces rules marked shadow", broken.shadowRulesEnforced, ["shadow-per-rule"], /call create_lead at 100 ms \(2026-01-01T00:00:00\.100Z\): expected allow \(no tool error\), got deny denied by \/tools\/create_lead\/deny_if\/0/],
  ["forwards in shadow mode but audits no would-deny", broken.shadowForgetsWouldDeny, ["shadow-global", "shadow-per-rule"], /audit: shadow would-denials by rule: expected \{.*\(hidden\): 1.*\}, got \{\}/],
];

test.each(CASES)("a gateway that %s fails the scenarios that exercise it", async (_what, factory, names, readable) => {
  const lines: string[] = [];
  for (const name of names) {
    const result = await run(name, factory);
    expect(result.verdict, `${name} passed a broken gateway`).toBe("failed");
    expect(result.error, `${name} broke instead of reporting mismatches`).toBeUndefined();
    const mismatches = mismatchLines(result);
    expect(mismatches.length).toBeGreaterThan(0);
    for (const line of mismatches.filter((l) => !/… and \d+ more per-call mismatches$/.test(l))) expect(line).toMatch(/expected .*got/s);
    lines.push(...mismatches);
  }
  expect(lines.join("\n")).toMatch(readable);
});

test("the approval gate wrapper alone changes nothing: an unedited wrapped gate passes every approval scenario", async () => {
  for (const name of ["approval-approve-passes-once", "approval-changed-arguments", "approval-expire", "approval-hold", "approval-replay-after-consume", "approval-deny"]) {
    const result = await run(name, broken.realApprovalGateWrapped);
    expect(mismatchLines(result), name).toEqual([]);
  }
});

test("the same scenarios pass against the real gateway wrapped the same way (the wrappers alone change nothing)", async () => {
  const { createGateway } = await import("../src/gateway/gateway.js");
  const passthrough: GatewayFactory = (input) => createGateway({ ...input });
  for (const name of ["shared-vs-separate-grants", "retry-storm-consumes-nothing", "upstream-failure-keeps-slot", "unknown-tool-consumes-nothing", "seed-policy-runaway-loop", "approval-hold", "shadow-global"]) {
    const result = await run(name, passthrough);
    expect(mismatchLines(result)).toEqual([]);
  }
});
