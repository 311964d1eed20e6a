import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { formatIssues } from "../../../src/core/errors.js";
import { expandScenarioPaths, loadScenarioFile, parseScenario } from "../../../src/harness/load-scenario.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const invalidDir = join(root, "fixtures/scenarios/invalid");

function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the not-json fixture parses as JSON");
}

/** Each invalid fixture has exactly one problem, reported as `file: path: message`. */
const EXPECTED: [string, string][] = [
  ["approval-decision-in-agent-steps.scenario.json", "agents[0].steps[0].approval: approval decisions are made by a human, not by an agent: move this entry to the scenario's `events`"],
  ["approval-id-same-as-later-step.scenario.json", "agents[0].steps[0].expect.approvalId: found `same-as second` at 500 ms, expected a step that starts no later than this one (0 ms)"],
  ["approval-of-unknown-label.scenario.json", "events[0].approval.of: found `a/asks`, expected the label of one of agent `a`'s steps"],
  ["approval-timeout-without-hold.scenario.json", "gateway.approvalTimeoutMs: found a hold timeout without `\"approvalMode\": \"hold\"`, expected it only in hold mode (async mode answers at once)"],
  ["bad-fault-route.scenario.json", "kommo.faults[0].route: found `\"stop the bots\"`, expected `METHOD /path` such as `POST /api/v4/bots/:id/stop`"],
  ["burst-counts-do-not-add-up.scenario.json", "agents[0].steps[0].expect: found allow 10 + deny 30 + error 0 = 40, expected 50 (the calls this step issues)"],
  ["deny-without-rule.scenario.json", "agents[0].steps[0].expect.rule: missing; expected the rule that denies with `denied` (a JSON pointer such as `/tools/stop_salesbot/limits/0`); only `no_policy`, `hidden`, `default_deny`, `invalid_arguments` determine their rule"],
  ["duplicate-agent-names.scenario.json", "agents[1].name: found `a` twice, expected unique agent names"],
  ["grant-not-declared.scenario.json", "agents[0].grant: found `mallory`, expected one of the scenario's grants: `alice`"],
  ["invalid-inline-policy.scenario.json", "policy.tools.stop_salesbot.limits[0].window: found `\"fortnight\"`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1"],
  ["missing-purpose.scenario.json", "purpose: missing; expected a string"],
  ["multi-line-purpose.scenario.json", "purpose: expected one line of text"],
  ["negative-time.scenario.json", "agents[0].steps[0].at: found `-5`, expected a number ≥ 0"],
  // JSON.parse's own wording differs between Node versions: take it from this Node.
  ["not-json.scenario.json", `(root): found text that is not JSON (${jsonParseMessage(readFileSync(join(invalidDir, "not-json.scenario.json"), "utf8"))}), expected a JSON object`],
  ["placeholder-left-in-args.scenario.json", "agents[0].steps[0].call.args.custom_fields[0].token: found a `$placeholder` left by `toolgate scenario from-recording` (`args.custom_fields.0.token` was redacted when recorded; put a value here), expected a value: replace the placeholder object with the argument's value before running the scenario"],
  ["policy-file-missing.scenario.json", "policy: found `no-such-policy.json`, expected an existing policy file relative to the scenario"],
  ["rate-limited-without-retry-after.scenario.json", "agents[0].steps[0].expect.retryAfterMs: missing; expected the exact `retryAfterMs` of a `rate_limited` denial"],
  ["steps-out-of-order.scenario.json", "agents[0].steps[1].at: found 100, expected ≥ 500 (steps are listed in time order)"],
  ["two-step-kinds.scenario.json", "agents[0].steps[0]: found `call` and `burst`, expected a step with `at` and exactly one of `call`, `burst`, `loop`, `concurrent`, `retry`"],
  ["unknown-deny-code.scenario.json", "agents[0].steps[0].expect.code: found `\"forbidden\"`, expected `\"no_policy\"`, `\"hidden\"`, `\"default_deny\"`, `\"invalid_arguments\"`, `\"denied\"`, `\"requirement_failed\"`, `\"approval_required\"`, `\"approval_denied\"`, `\"approval_expired\"`, `\"rate_limited\"` or `\"store_unavailable\"`"],
  ["unknown-top-level-key.scenario.json", "agent: unknown key `agent`; expected one of: `$schema`, `purpose`, `startAt`, `policy`, `servers`, `stack`, `grants`, `crm`, `kommo`, `gateway`, `agents`, `events`, `expect`"],
];

test("every invalid scenario fixture is listed with its exact message", () => {
  expect(readdirSync(invalidDir).sort()).toEqual(EXPECTED.map(([file]) => file).sort());
});

test.each(EXPECTED)("the invalid fixture %s fails with exactly its one message", (file, message) => {
  const loaded = loadScenarioFile(join(invalidDir, file));
  expect(loaded.ok).toBe(false);
  if (loaded.ok) return;
  expect(formatIssues(file, loaded.issues)).toBe(`${file}: ${message}`);
});

test("a scenario collects every issue, not just the first", () => {
  const parsed = parseScenario({ purpose: "", policy: 3, agents: [], extra: true }, join(root, "x.scenario.json"));
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.issues.map((i) => i.path).sort()).toEqual(["agents", "extra", "policy", "purpose"]);
});

test("a valid scenario starts at the default epoch-aligned instant and expands $repeat arguments", () => {
  const parsed = parseScenario(
    {
      purpose: "One line.",
      policy: { version: "1", default: "deny", tools: { create_lead: {} } },
      agents: [{ name: "a", steps: [{ at: 0, call: { tool: "create_lead", args: { name: { $repeat: "ab", times: 3 }, __proto__x: 1 } }, expect: "allow" }] }],
    },
    join(root, "x.scenario.json"),
  );
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.value.startMs).toBe(Date.UTC(2026, 0, 1));
  expect(parsed.value.startMs % 86_400_000).toBe(0);
  const step = parsed.value.scenario.agents[0]!.steps[0]!;
  expect("call" in step && step.call.args).toEqual({ name: "ababab", __proto__x: 1 });
});

test("arguments keep keys such as __proto__ exactly as the file wrote them", () => {
  const value = JSON.parse('{"purpose":"p","policy":{"version":"1","default":"deny"},"agents":[{"name":"a","steps":[{"at":0,"call":{"tool":"t","args":{"__proto__":{"admin":true}}},"expect":{"decision":"error"}}]}]}');
  const parsed = parseScenario(value, join(root, "x.scenario.json"));
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const step = parsed.value.scenario.agents[0]!.steps[0]!;
  expect("call" in step && Object.keys(step.call.args!)).toEqual(["__proto__"]);
});

test("a directory expands to its *.scenario.json files in name order", () => {
  const files = expandScenarioPaths(["scenarios"], root);
  expect(files.length).toBeGreaterThanOrEqual(13);
  expect(files.every((f) => f.endsWith(".scenario.json"))).toBe(true);
  expect([...files].sort()).toEqual(files);
});

test("a key written twice in a scenario file (an inline policy's tool, say) is an error at its path", async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "toolgate-scenario-"));
  try {
    const file = join(dir, "dup.scenario.json");
    writeFileSync(file, '{"purpose":"p","policy":{"version":"1","default":"deny","tools":{"t":{"limits":[{"counter":"c","window":"minute","max":1}]},"t":{}}},"agents":[{"name":"a","steps":[]}]}');
    const loaded = loadScenarioFile(file);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.issues).toEqual([{ path: "policy.tools.t", message: "found the key `t` twice in one object, expected each key once (JSON would keep only the last)" }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
