import { join } from "node:path";
import { expect, test } from "vitest";
import { formatIssues } from "../../../src/core/errors.js";
import { checkCall } from "../../../src/harness/expectations.js";
import { parseScenario } from "../../../src/harness/load-scenario.js";
import type { CallRecord } from "../../../src/harness/result.js";
import { normaliseCallExpect, type CallExpect } from "../../../src/harness/scenario-schema.js";

const policy = { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "c", window: "minute", max: 1 }] } } };

function scenarioWith(expect: unknown, step: "call" | "burst" = "call") {
  const at = { at: 0 };
  const body =
    step === "call"
      ? { ...at, call: { tool: "get_account" }, expect }
      : { ...at, burst: { tool: "get_account", count: 1 }, expect: { allow: 0, deny: 1, calls: [expect] } };
  return parseScenario({ purpose: "One line.", policy, agents: [{ name: "a", steps: [body] }] }, join(process.cwd(), "x.scenario.json"));
}

test.each([
  ["default_deny", "(default deny)"],
  ["hidden", "(hidden)"],
  ["no_policy", "(no policy)"],
  ["invalid_arguments", "(input schema)"],
])("a %s expectation may leave out its rule, which is then %s", (code, rule) => {
  const parsed = scenarioWith({ decision: "deny", code });
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  const step = parsed.value.scenario.agents[0]!.steps[0]!;
  expect(step.kind === "call" && normaliseCallExpect(step.expect)).toEqual({ decision: "deny", code, rule });
});

test.each(["denied", "requirement_failed", "approval_required", "approval_denied", "approval_expired", "store_unavailable"])(
  "a %s expectation without a rule is refused at its JSON path",
  (code) => {
    const parsed = scenarioWith({ decision: "deny", code });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(formatIssues("x.scenario.json", parsed.issues)).toBe(
      `x.scenario.json: agents[0].steps[0].expect.rule: missing; expected the rule that denies with \`${code}\` (a JSON pointer such as \`/tools/stop_salesbot/limits/0\`); only \`no_policy\`, \`hidden\`, \`default_deny\`, \`invalid_arguments\` determine their rule`,
    );
  },
);

test("the same holds inside a counted step's per-call expectations", () => {
  expect(scenarioWith({ decision: "deny", code: "default_deny" }, "burst").ok).toBe(true);
  const parsed = scenarioWith({ decision: "deny", code: "denied" }, "burst");
  expect(!parsed.ok && parsed.issues.map((i) => i.path)).toEqual(["agents[0].steps[0].expect.calls[0].rule"]);
});

const denied = (rule: string): CallRecord => ({ agent: "a", step: "s", tool: "t", startMs: 0, endMs: 0, outcome: "deny", code: "invalid_arguments", rule, text: "" });

test("an omitted rule is checked, not ignored: a denial by another rule with the same code is a mismatch", () => {
  const expect_: CallExpect = { decision: "deny", code: "invalid_arguments" };
  expect(checkCall(denied("(input schema)"), expect_, 0)).toBeUndefined();
  expect(checkCall(denied("/tools/t/limits/0"), expect_, 0)).toBe("call t at 0 ms (1970-01-01T00:00:00.000Z): expected deny invalid_arguments by (input schema), got deny invalid_arguments by /tools/t/limits/0");
});
