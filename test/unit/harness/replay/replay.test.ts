import { expect, test } from "vitest";
import { DiffBuilder } from "../../../../src/harness/replay/replay-diff.js";
import type { Recorded } from "../../../../src/harness/replay/recording-file.js";
import { recordedDecision, Replayer } from "../../../../src/harness/replay/replay.js";
import { compilePolicy, type CompiledPolicy } from "../../../../src/policy/load-policy.js";

function policy(doc: Record<string, unknown>): CompiledPolicy {
  const parsed = compilePolicy({ version: "1", default: "deny", ...doc });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

let n = 0;
function recorded(atS: number, extra: Partial<Recorded> = {}): Recorded {
  const atMs = Date.UTC(2026, 0, 1) + atS * 1_000;
  return { time: new Date(atMs).toISOString(), atMs, source: `rec:${++n}`, decisionId: `dec_${n}`, grant: "alice", session: "s", method: "tools/call", name: "stop_salesbot", args: {}, decision: "allow", code: null, rule: null, outcome: "ok", latencyMs: 1, policyVersion: "v", ...extra };
}

const limited = (max: number) => policy({ tools: { stop_salesbot: { limits: [{ counter: "c", window: "minute", max }] } } });

test("counters carry from call to call at the recorded times, and a new minute opens a new window", () => {
  const r = new Replayer({ policyFor: () => limited(2) });
  expect([0, 1, 2, 61].map((s) => r.decide(recorded(s)).decision)).toEqual(["allow", "allow", "deny", "allow"]);
});

test("a call recorded as never sent gives its slot back; one that reached the server keeps it", () => {
  const r = new Replayer({ policyFor: () => limited(1) });
  expect(r.decide(recorded(0, { outcome: "not_sent" })).decision).toBe("allow");
  expect(r.decide(recorded(1, { outcome: "timeout" })).decision).toBe("allow");
  expect(r.decide(recorded(2)).code).toBe("rate_limited");
});

test("approvals are treated as recorded: a call that passed with an approval passes, any other still needs one", () => {
  const r = new Replayer({ policyFor: () => policy({ tools: { stop_salesbot: { approval: true } } }) });
  expect(r.decide(recorded(0, { approvalId: "apr_1" })).decision).toBe("allow");
  expect(r.decide(recorded(1, { decision: "deny", code: "approval_denied", rule: "/tools/stop_salesbot/approval" })).code).toBe("approval_denied");
  expect(r.decide(recorded(2)).code).toBe("approval_required");
});

test("arguments that failed the input schema fail again; other kinds are decided as what they asked for", () => {
  const r = new Replayer({ policyFor: () => policy({ default: "allow", resources: {} }) });
  expect(r.decide(recorded(0, { decision: "deny", code: "invalid_arguments", rule: "(input schema)" })).code).toBe("invalid_arguments");
  const strict = new Replayer({ policyFor: () => policy({ resources: { "kommo://account": {} } }) });
  expect(strict.decide(recorded(0, { method: "resources/read", name: "kommo://account", args: { uri: "kommo://account" } })).decision).toBe("allow");
  expect(strict.decide(recorded(1, { method: "resources/read", name: "kommo://dashboard", args: { uri: "kommo://dashboard" } })).code).toBe("default_deny");
});

test("the diff groups changes by kind, tool, grant and code, keeps the first examples, and counts shadow would-denies", () => {
  const calls = [recorded(0), recorded(1), recorded(2, { decision: "deny", code: "rate_limited", rule: "/tools/stop_salesbot/limits/0" }), recorded(3, { grant: "bob" })];
  const r = new Replayer({ policyFor: () => policy({ tools: { stop_salesbot: { limits: [{ counter: "c", window: "minute", max: 1, scope: "global" }], deny_if: [{ conditions: [], shadow: true }] } } }) });
  const d = new DiffBuilder(1);
  for (const c of calls) d.add(c, recordedDecision(c), r.decide(c));
  const result = d.result();
  expect(result.counts).toEqual({ newly_denied: 2, newly_allowed: 0, denied_otherwise: 0 });
  expect(result.byGrant).toEqual({ alice: { newly_denied: 1 }, bob: { newly_denied: 1 } });
  expect(result.examples.newly_denied).toHaveLength(1);
  expect(result.shadow.byRule).toEqual({ "/tools/stop_salesbot/deny_if/0": 4 });
});
