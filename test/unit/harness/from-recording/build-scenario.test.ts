/**
 * Scenarios built from synthetic recordings, each then run by the in-process runner: what the
 * builder expects must be what the gateway does (agents per grant and session, approvals, skipped
 * methods, placeholders, effects only where the simulator can reproduce them).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { buildScenario, type BuildOptions, type BuiltScenario } from "../../../../src/harness/from-recording/build-scenario.js";
import { loadScenarioFile } from "../../../../src/harness/load-scenario.js";
import type { Recorded } from "../../../../src/harness/replay/recording-file.js";
import { mismatchLines } from "../../../../src/harness/result.js";
import { runScenario } from "../../../../src/harness/run-scenario.js";
import { loadDefaultSeed } from "../../../../src/kommo/crm/seed.js";
import { compilePolicy } from "../../../../src/policy/load-policy.js";

const T0 = Date.UTC(2026, 2, 3, 10, 0, 0);
const STOP = { bot_id: 7, entity_id: 101, entity_type: "leads" };
let n = 0;

function rec(atS: number, extra: Partial<Recorded> = {}): Recorded {
  const atMs = T0 + atS * 1_000;
  n++;
  return { time: new Date(atMs).toISOString(), atMs, source: `/x/traffic.jsonl:${n}`, decisionId: `dec_${n}`, grant: "alice", session: "s1", method: "tools/call", name: "stop_salesbot", args: STOP, decision: "allow", code: null, rule: null, outcome: "ok", latencyMs: 1, policyVersion: "v", ...extra };
}

function build(doc: Record<string, unknown>, calls: readonly Recorded[], extra: Partial<BuildOptions> = {}): { built: BuiltScenario; dir: string } {
  const policy = compilePolicy(doc);
  if (!policy.ok) throw new Error(JSON.stringify(policy.issues));
  const dir = mkdtempSync(join(tmpdir(), "from-recording-"));
  writeFileSync(join(dir, "policy.json"), JSON.stringify(doc));
  const built = buildScenario(calls, {
    policy: policy.value,
    policyRef: "policy.json",
    fromMs: Number.NEGATIVE_INFINITY,
    toMs: Number.POSITIVE_INFINITY,
    seedBots: new Set(loadDefaultSeed().salesbots.map((b) => b.id)),
    recordingName: "traffic.jsonl",
    ...extra,
  });
  if (typeof built === "string") throw new Error(built);
  return { built, dir };
}

/** Writes the scenario next to its policy and runs it in process; the mismatch lines (none: passed). */
async function run(built: BuiltScenario, dir: string): Promise<string[]> {
  const file = join(dir, "built.scenario.json");
  writeFileSync(file, JSON.stringify(built.scenario));
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) return loaded.issues.map((i) => `${i.path}: ${i.message}`);
  const result = await runScenario(loaded.value);
  return result.verdict === "passed" ? [] : mismatchLines(result);
}

const perSession = { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "c", window: "minute", max: 2, scope: "session" }] }, get_account: {} } };

test("one agent per grant and session, each with its session key, so session-scoped counters come out as recorded", async () => {
  const calls = [rec(0), rec(1, { session: "s2" }), rec(2), rec(3), rec(4, { session: "s2" }), rec(5, { grant: "bob", session: "s9" })];
  const { built, dir } = build(perSession, calls);
  const agents = built.scenario.agents as { name: string; grant: string; session: string; steps: { expect: unknown }[] }[];
  expect(agents.map((a) => [a.name, a.grant, a.session, a.steps.length])).toEqual([["alice", "alice", "s1", 3], ["alice-2", "alice", "s2", 2], ["bob", "bob", "s9", 1]]);
  expect(agents[0]!.steps.map((s) => s.expect)).toEqual(["allow", "allow", { decision: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", retryAfterMs: 57_000 }]);
  expect(built.scenario.grants).toEqual(["alice", "bob"]);
  expect(await run(built, dir)).toEqual([]);
  // The run can fail: the third call of session s1 expected allowed is a mismatch.
  agents[0]!.steps[2]!.expect = "allow";
  expect((await run(built, dir)).join("\n")).toContain("agents[0].steps[2]: call stop_salesbot at 3000 ms (2026-03-03T10:00:03.000Z): expected allow, got deny rate_limited");
});

test("--grant keeps one grant's calls; other methods are skipped with a note", async () => {
  const calls = [rec(0), rec(1, { grant: "bob" }), rec(2, { method: "resources/read", name: "kommo://account" }), rec(3, { name: "get_account", args: {} })];
  const { built, dir } = build(perSession, calls, { grant: "alice" });
  expect(built.steps).toBe(2);
  expect(built.notes).toContain("skipped 1 recorded call of `resources/read`: scenario steps call tools only");
  expect(await run(built, dir)).toEqual([]);
});

test("expectations are the policy's decisions now, and the builder counts those that differ from the recording", async () => {
  const calls = [rec(0), rec(1, { name: "get_account", args: {}, decision: "deny", code: "default_deny", rule: "(default deny)" })];
  const { built, dir } = build({ version: "1", default: "deny", hide: ["stop_salesbot"], tools: { get_account: {} } }, calls);
  const steps = (built.scenario.agents as { steps: { expect: unknown }[] }[])[0]!.steps;
  expect(steps.map((s) => s.expect)).toEqual([{ decision: "deny", code: "hidden" }, "allow"]);
  expect(built.changed).toBe(2);
  expect(await run(built, dir)).toEqual([]);
});

const approving = { version: "1", default: "deny", tools: { stop_salesbot: { approval: true } } };
const asked = (atS: number, id: string) => rec(atS, { decision: "deny", code: "approval_required", rule: "/tools/stop_salesbot/approval", approvalId: id });

test("a call that passed with an approval gets the human's decision as an event on the call that asked", async () => {
  const calls = [asked(0, "apr_1"), rec(5, { approvalId: "apr_1" }), asked(10, "apr_2"), rec(12, { decision: "deny", code: "approval_denied", rule: "/tools/stop_salesbot/approval", approvalId: "apr_2" })];
  const { built, dir } = build(approving, calls);
  expect(built.scenario.events).toEqual([
    { at: 5_000, approval: { decide: "approve", of: "alice/call 1, traffic.jsonl:" + (n - 3), by: "recorded" } },
    { at: 12_000, approval: { decide: "deny", of: "alice/call 3, traffic.jsonl:" + (n - 1), by: "recorded" } },
  ]);
  expect(await run(built, dir)).toEqual([]);
});

test("when the call that asked is outside the window, the approved call is expected to ask again", async () => {
  const calls = [asked(0, "apr_9"), rec(5, { approvalId: "apr_9" })];
  const { built, dir } = build(approving, calls, { fromMs: T0 + 1_000 });
  const steps = (built.scenario.agents as { steps: { expect: unknown }[] }[])[0]!.steps;
  expect(steps.map((s) => s.expect)).toEqual([{ decision: "deny", code: "approval_required", rule: "/tools/stop_salesbot/approval" }]);
  expect(built.notes).toContain("1 call passed (or was refused) by a human's decision on an approval asked before the window: expected to ask for approval again");
  expect(await run(built, dir)).toEqual([]);
});

test("redacted and cut values become placeholders that say what was there", () => {
  const cut = `${"x".repeat(10)}…[90 more characters cut]`;
  const calls = [rec(0, { name: "create_lead", args: { name: "[redacted]", notes: [cut] }, redacted: ["args.name"], truncated: ["args.notes.0"] })];
  const { built } = build({ version: "1", default: "allow" }, calls);
  const steps = (built.scenario.agents as { steps: { call: { args: unknown } }[] }[])[0]!.steps;
  expect(steps[0]!.call.args).toEqual({
    name: { $placeholder: "`args.name` was redacted when recorded; put a value here" },
    notes: [{ $placeholder: '`args.notes.0` was cut when recorded (it had 100 characters; `{"$repeat": "A", "times": N}` writes a long one); put a value here' }],
  });
  expect(built.placeholders).toBe(2);
});

test("CRM effects are expected only when the simulator's seed can take every allowed stop", async () => {
  const allowAll = { version: "1", default: "deny", tools: { stop_salesbot: {} } };
  const known = build(allowAll, [rec(0), rec(1, { args: { bot_id: 2, entity_id: 150, entity_type: "leads" } })]);
  expect((known.built.scenario.expect as { effects: unknown }).effects).toEqual({ salesbotStops: 2, stopsByBot: { "7": 1, "2": 1 }, stopsByEntity: { "leads:101": 1, "leads:150": 1 } });
  expect(await run(known.built, known.dir)).toEqual([]);
  const unknown = build(allowAll, [rec(0), rec(1, { args: { bot_id: 999, entity_id: 101, entity_type: "leads" } })]);
  expect(unknown.built.scenario.expect).not.toHaveProperty("effects");
  expect(unknown.built.notes).toContain("no CRM effects expected: an allowed `stop_salesbot` call names bot `999`, which the simulator's seed does not have");
  expect(await run(unknown.built, unknown.dir)).toEqual([]);
  const hidden = build(allowAll, [rec(0, { args: { ...STOP, entity_type: "[redacted]" }, redacted: ["args.entity_type"] })]);
  expect(hidden.built.notes).toContain("no CRM effects expected: an allowed `stop_salesbot` call has a placeholder argument");
});

test("nothing in the window is said, not written", () => {
  const policy = compilePolicy(perSession);
  if (!policy.ok) throw new Error("policy");
  expect(buildScenario([rec(0)], { policy: policy.value, policyRef: "p.json", fromMs: T0 + 1, toMs: T0 + 2, seedBots: new Set(), recordingName: "r" })).toBe("no recorded `tools/call` matches (check `--grant` and `--window`)");
});

test("shadow rules' would-denials are expected exactly, per rule; --shadow decides and runs in global shadow mode", async () => {
  const doc = { version: "1", default: "deny", tools: { stop_salesbot: { deny_if: [{ conditions: [{ path: "args.bot_id", op: "eq", value: 7 }], shadow: true }], limits: [{ counter: "c", window: "minute", max: 1 }] } } };
  const calls = [rec(0), rec(1), rec(2, { name: "get_account", args: {} })];
  const perRule = build(doc, calls);
  expect((perRule.built.scenario.expect as { audit: unknown }).audit).toEqual({ total: 3, byDecision: { allow: 1, deny: 2 }, byCode: { rate_limited: 1, default_deny: 1 }, wouldDenyByRule: { "/tools/stop_salesbot/deny_if/0": 2 } });
  expect(await run(perRule.built, perRule.dir)).toEqual([]);
  const global = build(doc, calls, { shadow: true });
  expect(global.built.scenario.gateway).toEqual({ shadow: true });
  expect(global.built.allowed).toBe(3);
  expect(await run(global.built, global.dir)).toEqual([]);
});

test("calls without a grant become an agent without one, denied no_policy; allowed tools the simulator lacks are noted", async () => {
  const calls = [rec(0, { grant: null, session: "" }), rec(1, { name: "send_invoice", args: {} })];
  const { built, dir } = build({ version: "1", default: "allow" }, calls, { simulatorTools: new Set(["stop_salesbot"]) });
  const agents = built.scenario.agents as { name: string; grant?: string; session?: string; steps: { expect: unknown }[] }[];
  expect(agents.map((a) => [a.name, a.grant, a.session])).toEqual([["no-grant", undefined, undefined], ["alice", "alice", "s1"]]);
  expect(agents[0]!.steps[0]!.expect).toEqual({ decision: "deny", code: "no_policy" });
  expect(built.notes).toContain("allowed calls name tools the simulator does not have (`send_invoice`): `check` will not see them run as recorded");
  agents[1]!.steps = [];
  built.scenario.expect = { audit: { total: 1 } };
  expect(await run(built, dir)).toEqual([]);
});
