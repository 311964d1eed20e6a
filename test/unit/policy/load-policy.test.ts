import { expect, test } from "vitest";
import { compilePolicy, parsePolicyText } from "../../../src/policy/load-policy.js";
import { canonicalJson } from "../../../src/core/canonical-json.js";
import { sha256Hex } from "../../../src/core/sha256.js";

const SEED = '{"version":"1","default":"deny","tools":{"stop_salesbot":{"limits":[{"counter":"stop_salesbot_rate","window":"minute","max":10,"scope":"grant"}]}}}';

test("every problem of a policy is reported at once, shape and meaning alike", () => {
  const parsed = compilePolicy({
    version: "2",
    default: "deny",
    colour: "red",
    tools: {
      a: { limits: [{ counter: "c", window: "fortnight", max: 1 }], deny_if: [{ conditions: [{ path: "amount", op: "gt", value: 1 }] }] },
      b: { limits: [{ counter: "c", window: "minute", max: 1, scope: "global" }], require: [{ conditions: [{ path: "args.x", op: "regex", value: "(" }] }] },
    },
  });
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.issues.map((i) => i.path).sort()).toEqual([
    "colour",
    "tools.a.deny_if[0].conditions[0].path",
    "tools.a.limits[0].window",
    "tools.b.limits[0].scope",
    "tools.b.require[0].conditions[0].value",
    "version",
  ]);
});

test("a JSON syntax error is one issue with its line and column", () => {
  expect(parsePolicyText('{\n  "version": "1",\n  "default": "deny" "tools": {}\n}')).toEqual({
    ok: false,
    issues: [{ path: "", message: "invalid JSON at line 3, column 21: found `\"`, expected `,` or `}`" }],
  });
  expect(parsePolicyText('{"a": "x\ny"}')).toEqual({
    ok: false,
    issues: [{ path: "", message: "invalid JSON at line 1, column 9: found a control character inside a string, expected it escaped (`\\n`, `\\t`, …)" }],
  });
  expect(parsePolicyText("{} x").ok).toBe(false);
});

test("the policy version is sha256: and 16 hex digits of the canonical document, whatever the key order or spacing", () => {
  const parsed = parsePolicyText(SEED);
  if (!parsed.ok) throw new Error("seed must compile");
  expect(parsed.value.version).toBe(`sha256:${sha256Hex(canonicalJson(JSON.parse(SEED))).slice(0, 16)}`);
  expect(parsed.value.version).toMatch(/^sha256:[0-9a-f]{16}$/);
  const reordered = parsePolicyText('{ "tools": {"stop_salesbot": {"limits": [{"scope":"grant","max":10,"window":"minute","counter":"stop_salesbot_rate"}]}},\n "default": "deny", "version": "1" }');
  expect(reordered.ok && reordered.value.version).toBe(parsed.value.version);
  const changed = parsePolicyText(SEED.replace('"max":10', '"max":11'));
  expect(changed.ok && changed.value.version).not.toBe(parsed.value.version);
});

test("the compiled document is the policy as written, without defaults filled in", () => {
  const parsed = compilePolicy({ version: "1", default: "allow", tools: { t: { limits: [{ counter: "c", window: 5, max: 1 }] } } });
  expect(parsed.ok && parsed.value.document).toEqual({ version: "1", default: "allow", tools: { t: { limits: [{ counter: "c", window: 5, max: 1 }] } } });
  expect(parsed.ok && parsed.value.tools.get("t")!.limits[0]).toMatchObject({ scope: "grant", windowMs: 5_000, shadow: false, incrementFrom: undefined });
});

test("a counter shared by tools with the same window length and scope compiles, `hour` and 3600 alike", () => {
  const parsed = compilePolicy({ version: "1", default: "deny", tools: { a: { limits: [{ counter: "runs", window: "hour", max: 5 }] }, b: { limits: [{ counter: "runs", window: 3600, max: 9 }] } } });
  expect(parsed.ok).toBe(true);
});

test("descriptions are accepted at the top, on tools, entries, limits and all_tools", () => {
  const parsed = compilePolicy({
    version: "1",
    description: "read-only support policy",
    default: "deny",
    all_tools: { description: "all", limits: [{ counter: "c", window: "minute", max: 1, description: "per minute" }] },
    tools: { t: { description: "write: medium risk", deny_if: [{ conditions: [], description: "never" }] } },
  });
  expect(parsed.ok ? [] : parsed.issues).toEqual([]);
});

test("a leading byte-order mark is ignored", () => {
  expect(parsePolicyText(`\uFEFF${SEED}`).ok).toBe(true);
});

test("a key written twice in a policy file is an error at its path, not a silent last-one-wins", () => {
  // JSON.parse keeps only the second `stop_salesbot`: its rate limit would vanish without a word.
  const text = '{"version":"1","default":"deny","tools":{"stop_salesbot":{"limits":[{"counter":"r","window":"minute","max":10}]},"stop_salesbot":{}}}';
  expect(parsePolicyText(text)).toEqual({
    ok: false,
    issues: [{ path: "tools.stop_salesbot", message: "found the key `stop_salesbot` twice in one object, expected each key once (JSON would keep only the last)" }],
  });
});

test("every key written twice is reported, nested ones included, and equal keys in different objects are fine", () => {
  const text = '{"version":"1","default":"deny","default":"allow","tools":{"a":{"deny_if":[{"conditions":[{"path":"args.x","op":"eq","value":1,"op":"neq"}]}]},"b":{"reason":"r"}},"all_tools":{}}';
  const parsed = parsePolicyText(text);
  expect(parsed.ok).toBe(false);
  if (parsed.ok) return;
  expect(parsed.issues.map((i) => i.path)).toEqual(["default", "tools.a.deny_if[0].conditions[0].op"]);
  expect(parsePolicyText('{"version":"1","default":"deny","tools":{"a":{"reason":"x"},"b":{"reason":"y"}}}').ok).toBe(true);
});
