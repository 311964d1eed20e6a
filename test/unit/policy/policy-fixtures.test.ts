import { readdirSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { formatIssues } from "../../../src/core/errors.js";
import { parsePolicyText } from "../../../src/policy/load-policy.js";

/**
 * One failure per invalid fixture, each pinned to its exact message: file, JSON path, what was
 * found and what was expected.
 */
const INVALID: Record<string, string> = {
  "action-unknown": "tools.t.action: found `\"block\"`, expected `\"allow\"`, `\"deny\"` or `\"require_approval\"`",
  "all-tools-unknown-key": "all_tools.rate_limit: unknown key `rate_limit`; expected one of: `description`, `limits`",
  "approval-and-require-approval-action": "tools.t.approval: conflicts with `action: \"require_approval\"` at tools.t.action; expected only one of them",
  "approval-condition-bad-op": "tools.t.approval.conditions[0].value: found `true`, expected a number for op `gt`",
  "approval-not-boolean-or-object": "tools.t.approval: found `\"yes\"`, expected `true`, `false` or an object with `conditions` and `ttl`",
  "approval-ttl-bad": "tools.t.approval.ttl: found `\"10 minutes\"`, expected a whole number of seconds ≥ 1 or a duration such as `\"90s\"`, `\"10m\"`, `\"2h\"` or `\"1d\"`",
  "approval-unknown-key": "tools.t.approval.timeout: unknown key `timeout`; expected one of: `conditions`, `ttl`, `description`",
  "condition-path-empty-segment": "tools.t.deny_if[0].conditions[0].path: found `\"args..a\"`, expected a path starting with `args.` or `claims.`, such as `args.amount`, `args.items.0.id` or `claims.groups`",
  "condition-path-not-args": "tools.t.deny_if[0].conditions[0].path: found `\"amount\"`, expected a path starting with `args.` or `claims.`, such as `args.amount`, `args.items.0.id` or `claims.groups`",
  "condition-unknown-key": "tools.t.deny_if[0].conditions[0].operator: unknown key `operator`; expected one of: `path`, `op`, `value`",
  "condition-value-missing": "tools.t.deny_if[0].conditions[0].value: missing; expected a string, number, boolean or null for op `eq`",
  "counter-duplicate-in-all-tools": "all_tools.limits[1].counter: counter `c` is already declared at all_tools.limits[0]; expected each counter at most once per `all_tools`",
  "counter-duplicate-in-tool": "tools.a.limits[1].counter: counter `c` is already declared at tools.a.limits[0]; expected each counter at most once per tool",
  "counter-duplicate-rate-limit-alias": "tools.a.rate_limit.counter: counter `a_rate_limit` is already declared at tools.a.limits[0]; expected each counter at most once per tool",
  "counter-empty": "tools.t.limits[0].counter: found an empty string, expected a non-empty string",
  "counter-scope-conflict": "tools.b.limits[0].scope: counter `c` has scope `\"grant\"` at tools.a.limits[0]; found `\"global\"`, expected the same scope wherever a counter is used",
  "counter-units-conflict": "tools.b.limits[0]: counter `c` counts units (`increment_from`) at tools.a.limits[0]; found a limit counting calls, expected every use of a counter to count the same thing",
  "counter-window-conflict": "tools.b.limits[0].window: counter `c` has window `\"minute\"` at tools.a.limits[0]; found `\"hour\"`, expected the same window wherever a counter is used",
  "default-missing": "default: missing; expected `\"allow\"` or `\"deny\"`",
  "default-unknown": "default: found `\"maybe\"`, expected `\"allow\"` or `\"deny\"`",
  "deny-if-conditions-missing": "tools.t.deny_if[0].conditions: missing; expected an array",
  "deny-if-not-array": "tools.t.deny_if: found an object, expected an array",
  "description-not-string": "description: found `1`, expected a string",
  "eq-value-object": "tools.t.deny_if[0].conditions[0].value: found an object, expected a string, number, boolean or null for op `eq`",
  "exists-value-not-boolean": "tools.t.require[0].conditions[0].value: found `\"yes\"`, expected `true` or `false` for op `exists`",
  "gt-value-not-number": "tools.t.deny_if[0].conditions[0].value: found `\"10000\"`, expected a number for op `gt`",
  "hide-empty-name": "hide[0]: found an empty string, expected a non-empty string",
  "hide-not-array": "hide: found `\"*\"`, expected an array",
  "in-value-element-object": "tools.t.deny_if[0].conditions[0].value[1]: found an array, expected a string, number, boolean or null",
  "in-value-not-array": "tools.t.deny_if[0].conditions[0].value: found `\"USD\"`, expected an array of strings, numbers, booleans or nulls for op `in`",
  "increment-from-not-args": "tools.t.limits[0].increment_from: found `\"amount\"`, expected a path starting with `args.`, such as `args.amount`",
  "json-empty": "(root): invalid JSON at line 1, column 1: found the end of the text, expected a value",
  "json-trailing-comma": "(root): invalid JSON at line 4, column 1: found `}`, expected a property name (no trailing comma)",
  "limit-unknown-key": "tools.t.limits[0].per: unknown key `per`; expected one of: `counter`, `window`, `max`, `scope`, `increment_from`, `shadow`, `description`",
  "max-fraction": "tools.t.limits[0].max: found `2.5`, expected a whole number",
  "max-negative": "tools.t.limits[0].max: found `-1`, expected a number ≥ 0",
  "max-string": "tools.t.limits[0].max: found `\"10\"`, expected a number",
  "on-deny-not-string": "tools.t.deny_if[0].on_deny: found an array, expected a string",
  "rate-limit-unknown-key": "tools.t.rate_limit.counter: unknown key `counter`; expected one of: `max`, `window`, `scope`, `shadow`",
  "rate-limit-window-string-number": "tools.t.rate_limit.window: found `\"60\"`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
  "reason-not-string": "tools.t.reason: found `404`, expected a string",
  "regex-invalid": "tools.t.deny_if[0].conditions[0].value: found `\"([a-z]+\"`, expected a valid regular expression (Invalid regular expression: /([a-z]+/: Unterminated group)",
  "regex-value-not-string": "tools.t.deny_if[0].conditions[0].value: found `5`, expected a regular expression as a string for op `regex`",
  "require-empty-conditions": "tools.t.require[0].conditions: found an empty array, expected at least 1 condition (a `require` entry without conditions checks nothing)",
  "root-not-object": "(root): found an array, expected an object",
  "scope-unknown": "tools.t.limits[0].scope: found `\"org\"`, expected `\"grant\"`, `\"session\"` or `\"global\"`",
  "shadow-not-boolean": "tools.t.deny_if[0].shadow: found `\"yes\"`, expected a boolean",
  "tool-rule-not-object": "tools.list_leads: found `true`, expected an object",
  "tools-not-object": "tools: found an array, expected an object",
  "unknown-op": "tools.t.deny_if[0].conditions[0].op: found `\"like\"`, expected `\"eq\"`, `\"neq\"`, `\"in\"`, `\"not_in\"`, `\"lt\"`, `\"lte\"`, `\"gt\"`, `\"gte\"`, `\"regex\"`, `\"contains\"` or `\"exists\"`",
  "unknown-tool-key": "tools.list_leads.allow: unknown key `allow`; expected one of: `description`, `action`, `reason`, `require`, `deny_if`, `limits`, `rate_limit`, `approval`",
  "unknown-top-level-key": "rules: unknown key `rules`; expected one of: `version`, `description`, `default`, `hide`, `all_tools`, `tools`, `resources`, `prompts`, `methods`",
  "resource-template-unbalanced": "resources[\"kommo://reports/{kind\"]: found `\"kommo://reports/{kind\"`, expected a URI or a URI template whose placeholders are `{name}` (letters, digits and `_`)",
  "methods-names-a-sectioned-method": "methods[\"resources/read\"]: found method `resources/read`, which has its own section or is part of the protocol; expected another method (rules for `resources/read` go under `resources`)",
  "prompts-rule-unknown-key": "prompts.analise_pipeline.allowed: unknown key `allowed`; expected one of: `description`, `action`, `reason`, `require`, `deny_if`, `limits`, `rate_limit`, `approval`",
  "version-missing": "version: missing; expected `\"1\"`",
  "version-number": "version: found `1`, expected `\"1\"`",
  "version-wrong": "version: found `\"2\"`, expected `\"1\"`",
  "window-fraction": "tools.t.limits[0].window: found `1.5`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
  "window-missing": "tools.t.limits[0].window: missing; expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
  "window-unknown-name": "tools.t.limits[0].window: found `\"fortnight\"`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
  "window-zero": "tools.t.limits[0].window: found `0`, expected `\"second\"`, `\"minute\"`, `\"hour\"`, `\"day\"` or a whole number of seconds ≥ 1",
};

const VALID_DIR = "fixtures/policies/valid";
const INVALID_DIR = "fixtures/policies/invalid";

test("every invalid fixture has a pinned message and every pinned message has a fixture", () => {
  const files = readdirSync(INVALID_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  expect(files).toEqual(Object.keys(INVALID).sort());
});

for (const [name, expected] of Object.entries(INVALID)) {
  test(`invalid fixture ${name} fails with exactly one issue and its exact message`, () => {
    const file = `${INVALID_DIR}/${name}.json`;
    const parsed = parsePolicyText(readFileSync(file, "utf8"));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues).toHaveLength(1);
    expect(formatIssues(file, parsed.issues)).toBe(`${file}: ${expected}`);
  });
}

for (const file of readdirSync(VALID_DIR).filter((f) => f.endsWith(".json"))) {
  test(`valid fixture ${file} compiles`, () => {
    const parsed = parsePolicyText(readFileSync(`${VALID_DIR}/${file}`, "utf8"));
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
  });
}

test("the seed rule of the README is a fixture, verbatim", () => {
  const text = readFileSync(`${VALID_DIR}/seed.json`, "utf8");
  expect(JSON.parse(text)).toEqual({
    version: "1",
    default: "deny",
    tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] } },
  });
});
