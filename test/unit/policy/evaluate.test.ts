import { expect, test } from "vitest";
import type { Deny } from "../../../src/policy/decision.js";
import { concludeCall, isToolVisible, limitDenial, planCall, storeUnavailableDenial, type CallInput, type PlannedLimit } from "../../../src/policy/evaluate.js";
import { precheck as precheckWith, type GivenFacts } from "../../helpers/precheck.js";
import { compilePolicy, type CompiledPolicy } from "../../../src/policy/load-policy.js";

function policy(doc: Record<string, unknown>): CompiledPolicy {
  const parsed = compilePolicy({ version: "1", default: "deny", ...doc });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return parsed.value;
}

type Call = CallInput & GivenFacts;
const call = (tool: string, args: Record<string, unknown> = {}, extra: Partial<Call> = {}): Call => ({ tool, args, grantId: "alice", sessionKey: "s1", ...extra });
/** The evaluator with the facts a test call carries (argument issues, a consumed approval). */
const precheck = (p: CompiledPolicy | undefined, c: Call) => precheckWith(p, c, c);

function denial(p: CompiledPolicy | undefined, c: CallInput): Deny {
  const result = precheck(p, c);
  if (result.kind !== "deny") throw new Error(`expected a denial, got ${JSON.stringify(result)}`);
  return result.decision;
}

function planned(p: CompiledPolicy, c: CallInput): { limits: readonly PlannedLimit[]; shadowDenials: readonly Deny[] } {
  const result = precheck(p, c);
  if (result.kind !== "reserve") throw new Error(`expected to reserve, got ${JSON.stringify(result)}`);
  return result;
}

const seed = policy({ tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] } } });

// --- decision order and codes ---

test("no policy denies every call with no_policy", () => {
  expect(denial(undefined, call("x"))).toEqual({ decision: "deny", code: "no_policy", rule: "(no policy)", tool: "x", message: "tool `x` is denied: no policy is attached to grant `alice`" });
});

test("no grant denies every call with no_policy, even under a policy that would allow it", () => {
  expect(denial(seed, call("stop_salesbot", {}, { grantId: undefined })).code).toBe("no_policy");
});

test("a hidden tool is denied with hidden before default deny is considered", () => {
  const p = policy({ hide: ["debug_dump", "stop_salesbot"], tools: { stop_salesbot: {} } });
  expect(denial(p, call("stop_salesbot"))).toEqual({ decision: "deny", code: "hidden", rule: "(hidden)", tool: "stop_salesbot", message: "tool `stop_salesbot` is hidden by policy" });
  expect(denial(p, call("debug_dump")).code).toBe("hidden");
});

test("hide `*` hides every tool, listed or not", () => {
  const p = policy({ default: "allow", hide: ["*"], tools: { list_leads: {} } });
  expect(denial(p, call("list_leads")).code).toBe("hidden");
  expect(denial(p, call("anything")).code).toBe("hidden");
});

test("an unlisted tool under default deny is denied with default_deny and an unlisted tool under default allow passes", () => {
  expect(denial(seed, call("delete_lead"))).toEqual({ decision: "deny", code: "default_deny", rule: "(default deny)", tool: "delete_lead", message: "tool `delete_lead` is not permitted by policy (default deny)" });
  expect(planned(policy({ default: "allow" }), call("delete_lead")).limits).toEqual([]);
});

test("an empty tool rule allows the tool", () => {
  expect(precheck(policy({ tools: { list_leads: {} } }), call("list_leads"))).toEqual({ kind: "reserve", limits: [], shadowDenials: [] });
  expect(concludeCall(planCall(policy({ tools: { list_leads: {} } }), call("list_leads")), { argumentIssues: [] })).toEqual({ kind: "decided", decision: { decision: "allow", tool: "list_leads", rules: [] }, wouldDeny: [] });
});

test("arguments invalid against the input schema deny with invalid_arguments after default deny and before deny_if", () => {
  const p = policy({ tools: { t: { deny_if: [{ conditions: [] }] } } });
  expect(denial(p, call("t", {}, { argumentIssues: ["`lead_id` is required", "`x` is not allowed"] }))).toEqual({
    decision: "deny",
    code: "invalid_arguments",
    rule: "(input schema)",
    tool: "t",
    message: "arguments for tool `t` do not match its input schema: `lead_id` is required; `x` is not allowed",
  });
  expect(denial(p, call("unlisted", {}, { argumentIssues: ["bad"] })).code).toBe("default_deny");
  expect(denial(p, call("t", {}, { argumentIssues: [] })).code).toBe("denied");
});

test("deny_if with empty conditions always denies, with on_deny as the message", () => {
  const p = policy({ tools: { transfer: { deny_if: [{ conditions: [], on_deny: "Requires human approval." }] } } });
  expect(denial(p, call("transfer"))).toEqual({ decision: "deny", code: "denied", rule: "/tools/transfer/deny_if/0", tool: "transfer", message: "Requires human approval." });
});

test("deny_if conditions are ANDed and the default message names the tool, the rule and the conditions", () => {
  const p = policy({ tools: { charge: { deny_if: [{ conditions: [{ path: "args.amount", op: "gt", value: 100 }, { path: "args.currency", op: "eq", value: "USD" }] }] } } });
  expect(denial(p, call("charge", { amount: 101, currency: "USD" })).message).toBe(
    'tool `charge` is denied by rule `/tools/charge/deny_if/0` (`args.amount gt 100` and `args.currency eq "USD"`)',
  );
  expect(precheck(p, call("charge", { amount: 101, currency: "EUR" })).kind).toBe("reserve");
  expect(precheck(p, call("charge", { amount: 100, currency: "USD" })).kind).toBe("reserve");
});

test("the first denial wins: deny_if before require before approval before limits", () => {
  const p = policy({
    tools: {
      t: {
        deny_if: [{ conditions: [{ path: "args.a", op: "eq", value: 1 }] }],
        require: [{ conditions: [{ path: "args.b", op: "exists", value: true }] }],
        approval: true,
        limits: [{ counter: "c", window: "minute", max: 0 }],
      },
    },
  });
  expect(denial(p, call("t", { a: 1 })).code).toBe("denied");
  expect(denial(p, call("t", { a: 2 })).code).toBe("requirement_failed");
  expect(denial(p, call("t", { a: 2, b: 0 })).code).toBe("approval_required");
  expect(planned(p, call("t", { a: 2, b: 0 }, { approved: true })).limits.map((l) => l.rule)).toEqual(["/tools/t/limits/0"]);
});

test("a failed require denies with requirement_failed and on_deny, or a default naming what is required", () => {
  const p = policy({
    tools: {
      refund: {
        require: [
          { conditions: [{ path: "args.reason", op: "exists", value: true }], on_deny: "Give a reason." },
          { conditions: [{ path: "args.amount", op: "lte", value: 50 }] },
        ],
      },
    },
  });
  expect(denial(p, call("refund", { amount: 1 }))).toEqual({ decision: "deny", code: "requirement_failed", rule: "/tools/refund/require/0", tool: "refund", message: "Give a reason." });
  expect(denial(p, call("refund", { reason: "dup", amount: 51 })).message).toBe("tool `refund` requires `args.amount lte 50` (rule `/tools/refund/require/1`)");
  expect(precheck(p, call("refund", { reason: "dup", amount: 50 })).kind).toBe("reserve");
});

test("approval: true needs an approval; a matching approval lets the call proceed", () => {
  const p = policy({ tools: { delete_contact: { approval: true } } });
  expect(denial(p, call("delete_contact", { id: 1 }))).toEqual({
    decision: "deny",
    code: "approval_required",
    rule: "/tools/delete_contact/approval",
    tool: "delete_contact",
    message: "tool `delete_contact` requires human approval (rule `/tools/delete_contact/approval`)",
  });
  expect(precheck(p, call("delete_contact", { id: 1 }, { approved: true })).kind).toBe("reserve");
});

test("approval with conditions is needed only when they hold, and a missing path asks a human", () => {
  const p = policy({ tools: { refund: { approval: { conditions: [{ path: "args.amount", op: "gt", value: 500 }], ttl: "30m" } } } });
  expect(precheck(p, call("refund", { amount: 500 })).kind).toBe("reserve");
  expect(denial(p, call("refund", { amount: 501 })).code).toBe("approval_required");
  expect(denial(p, call("refund", {})).code).toBe("approval_required");
  expect(p.tools.get("refund")!.approval!.ttlMs).toBe(1_800_000);
});

test("the approval ttl defaults to 10 minutes and takes seconds or s/m/h/d durations", () => {
  const p = policy({ tools: { a: { approval: true }, b: { approval: { ttl: 90 } }, c: { approval: { ttl: "2h" } }, d: { approval: { ttl: "1d" } }, e: { approval: { ttl: "45s" } } } });
  expect(["a", "b", "c", "d", "e"].map((t) => p.tools.get(t)!.approval!.ttlMs)).toEqual([600_000, 90_000, 7_200_000, 86_400_000, 45_000]);
  expect(policy({ tools: { f: { approval: false } } }).tools.get("f")!.approval).toBeUndefined();
});

test("the action aliases allow, deny with reason, and require approval", () => {
  const p = policy({ tools: { list_leads: { action: "allow" }, delete_lead: { action: "deny", reason: "Humans delete leads." }, purge: { action: "deny" }, run_bot: { action: "require_approval" } } });
  expect(precheck(p, call("list_leads")).kind).toBe("reserve");
  expect(denial(p, call("delete_lead"))).toEqual({ decision: "deny", code: "denied", rule: "/tools/delete_lead/action", tool: "delete_lead", message: "Humans delete leads." });
  expect(denial(p, call("purge")).message).toBe("tool `purge` is denied by policy (rule `/tools/purge/action`)");
  expect(denial(p, call("run_bot"))).toMatchObject({ code: "approval_required", rule: "/tools/run_bot/action" });
});

test("reason is the fallback message of a tool's deny_if and require entries without on_deny", () => {
  const p = policy({ tools: { t: { reason: "Not like this.", deny_if: [{ conditions: [{ path: "args.a", op: "eq", value: 1 }] }], require: [{ conditions: [{ path: "args.b", op: "exists", value: true }], on_deny: "own" }] } } });
  expect(denial(p, call("t", { a: 1 })).message).toBe("Not like this.");
  expect(denial(p, call("t", { a: 2 })).message).toBe("own");
});

// --- conditions ---

test("a deny_if path that does not resolve fails closed with its own message, whatever the other conditions say", () => {
  const p = policy({ tools: { charge: { deny_if: [{ conditions: [{ path: "args.mode", op: "eq", value: "live" }, { path: "args.amount", op: "gt", value: 100 }], on_deny: "too much" }] } } });
  expect(denial(p, call("charge", { mode: "test" }))).toEqual({
    decision: "deny",
    code: "denied",
    rule: "/tools/charge/deny_if/0",
    tool: "charge",
    message: "argument path `args.amount` is missing; rule `/tools/charge/deny_if/0` needs it",
  });
});

test("a require path that does not resolve fails closed with requirement_failed", () => {
  const p = policy({ tools: { t: { require: [{ conditions: [{ path: "args.items.2.id", op: "eq", value: 1 }] }] } } });
  expect(denial(p, call("t", { items: [{ id: 1 }] }))).toMatchObject({ code: "requirement_failed", message: "argument path `args.items.2.id` is missing; rule `/tools/t/require/0` needs it" });
});

test("an argument of the wrong type for a numeric op fails closed", () => {
  const p = policy({ tools: { t: { deny_if: [{ conditions: [{ path: "args.amount", op: "gt", value: 100 }] }] } } });
  expect(denial(p, call("t", { amount: "lots" })).message).toBe('argument `args.amount` is the string "lots", but op `gt` needs a number; rule `/tools/t/deny_if/0` needs it');
  expect(denial(p, call("t", { amount: { v: 1 } })).message).toMatch(/is an object, but op `gt` needs a number/);
});

/** Runs one condition as a `require` entry: passes when it holds. */
function holds(op: string, value: unknown, args: Record<string, unknown>, path = "args.v"): boolean | "undecidable" {
  const p = policy({ tools: { t: { require: [{ conditions: [{ path, op, value }] }] } } });
  const result = precheck(p, call("t", args));
  if (result.kind === "reserve") return true;
  return /missing|needs/.test(result.decision.message) && !result.decision.message.startsWith("tool `t` requires") ? "undecidable" : false;
}

test("eq compares as numbers first, then as strings", () => {
  expect(holds("eq", 10, { v: 10 })).toBe(true);
  expect(holds("eq", 10, { v: "10" })).toBe(true);
  expect(holds("eq", "1e1", { v: 10 })).toBe(true);
  expect(holds("eq", "USD", { v: "USD" })).toBe(true);
  expect(holds("eq", "USD", { v: "usd" })).toBe(false);
  expect(holds("eq", true, { v: "true" })).toBe(true);
  expect(holds("eq", null, { v: null })).toBe(true);
  expect(holds("eq", 0, { v: false })).toBe(false);
});

test("neq is the negation of eq", () => {
  expect(holds("neq", 10, { v: "10" })).toBe(false);
  expect(holds("neq", "a", { v: "b" })).toBe(true);
});

test("in and not_in test membership with eq semantics", () => {
  expect(holds("in", ["USD", "EUR"], { v: "EUR" })).toBe(true);
  expect(holds("in", [1, 2], { v: "2" })).toBe(true);
  expect(holds("in", ["USD"], { v: "BRL" })).toBe(false);
  expect(holds("not_in", ["USD"], { v: "BRL" })).toBe(true);
  expect(holds("not_in", ["USD"], { v: "USD" })).toBe(false);
  expect(holds("in", [], { v: "x" })).toBe(false);
});

test("lt, lte, gt and gte compare numbers, numeric strings included", () => {
  expect([holds("lt", 5, { v: 4 }), holds("lt", 5, { v: 5 }), holds("lte", 5, { v: 5 }), holds("lte", 5, { v: 6 })]).toEqual([true, false, true, false]);
  expect([holds("gt", 5, { v: 6 }), holds("gt", 5, { v: 5 }), holds("gte", 5, { v: 5 }), holds("gte", 5, { v: 4 })]).toEqual([true, false, true, false]);
  expect(holds("gt", 5, { v: "6.5" })).toBe(true);
  expect(holds("gt", 5, { v: "six" })).toBe("undecidable");
  expect(holds("gt", 5, { v: true })).toBe("undecidable");
});

test("regex tests strings (and the text of numbers and booleans), compiled once at load", () => {
  expect(holds("regex", "^[a-z]+@corp\\.com$", { v: "ana@corp.com" })).toBe(true);
  expect(holds("regex", "^[a-z]+@corp\\.com$", { v: "ana@corpXcom" })).toBe(false);
  expect(holds("regex", "^\\d{3}$", { v: 123 })).toBe(true);
  expect(holds("regex", "x", { v: ["x"] })).toBe("undecidable");
});

test("contains is a substring on strings and an element on arrays", () => {
  expect(holds("contains", "bot", { v: "salesbot" })).toBe(true);
  expect(holds("contains", "xyz", { v: "salesbot" })).toBe(false);
  expect(holds("contains", 3, { v: [1, 2, 3] })).toBe(true);
  expect(holds("contains", "3", { v: [1, 2, 3] })).toBe(true);
  expect(holds("contains", 4, { v: [1, 2, 3] })).toBe(false);
  expect(holds("contains", "a", { v: 5 })).toBe("undecidable");
});

test("exists true needs the path and exists false is satisfied by a path that does not resolve", () => {
  expect(holds("exists", true, { v: null })).toBe(true);
  expect(holds("exists", true, {})).toBe(false);
  expect(holds("exists", false, {})).toBe(true);
  expect(holds("exists", false, { v: 0 })).toBe(false);
  expect(holds("exists", false, { a: "not an object" }, "args.a.b")).toBe(true);
});

test("paths walk nested objects and arrays by index, and never inherited properties", () => {
  expect(holds("eq", 7, { items: [{ id: 5 }, { id: 7 }] }, "args.items.1.id")).toBe(true);
  expect(holds("eq", 7, { items: { "1": { id: 7 } } }, "args.items.1.id")).toBe(true);
  expect(holds("exists", true, { items: [] }, "args.items.length")).toBe(false);
  expect(holds("exists", true, {}, "args.toString")).toBe(false);
  expect(holds("exists", true, { items: [1] }, "args.items.01")).toBe(false);
});

// --- shadow ---

test("a shadow deny_if that matches is reported as a would-be denial and the call proceeds", () => {
  const p = policy({ tools: { refund: { deny_if: [{ conditions: [{ path: "args.amount", op: "gt", value: 100 }], shadow: true, on_deny: "soon" }] } } });
  const result = planned(p, call("refund", { amount: 101 }));
  expect(result.shadowDenials).toEqual([{ decision: "deny", code: "denied", rule: "/tools/refund/deny_if/0", tool: "refund", message: "soon", shadow: true }]);
  expect(planned(p, call("refund", { amount: 100 })).shadowDenials).toEqual([]);
});

test("a shadow rule that fired is still reported when a later enforced rule denies the call", () => {
  const p = policy({ tools: { t: { deny_if: [{ conditions: [{ path: "args.x", op: "eq", value: 1 }], shadow: true }, { conditions: [{ path: "args.y", op: "eq", value: 2 }] }] } } });
  const result = precheck(p, call("t", { x: 1, y: 2 }));
  expect(result.kind).toBe("deny");
  expect(result.kind === "deny" && result.decision.rule).toBe("/tools/t/deny_if/1");
  expect(result.shadowDenials?.map((d) => d.rule)).toEqual(["/tools/t/deny_if/0"]);
});

test("a shadow require that fails is reported and the next real rule still decides", () => {
  const p = policy({ tools: { t: { require: [{ conditions: [{ path: "args.r", op: "exists", value: true }], shadow: true }], deny_if: [{ conditions: [{ path: "args.x", op: "eq", value: 1 }] }] } } });
  expect(planned(p, call("t", { x: 2 })).shadowDenials.map((d) => d.code)).toEqual(["requirement_failed"]);
  expect(denial(p, call("t", { x: 1 })).code).toBe("denied");
});

test("a shadow limit is planned with shadow set", () => {
  const p = policy({ tools: { t: { limits: [{ counter: "c", window: "hour", max: 5, shadow: true }] } } });
  expect(planned(p, call("t")).limits[0]!.shadow).toBe(true);
});

// --- limits ---

test("the seed rule plans one grant-scoped counter keyed by grant and counter name", () => {
  expect(planned(seed, call("stop_salesbot")).limits).toEqual([
    {
      request: { key: "grant:alice|stop_salesbot_rate", windowMs: 60_000, max: 10, amount: 1 },
      rule: "/tools/stop_salesbot/limits/0",
      counter: "stop_salesbot_rate",
      scope: "grant",
      window: "minute",
      windowMs: 60_000,
      max: 10,
      shadow: false,
      units: false,
    },
  ]);
});

test("scope keys are grant:<id>, session:<key> and global", () => {
  const p = policy({ tools: { t: { limits: [{ counter: "g", window: "minute", max: 1 }, { counter: "s", window: "minute", max: 1, scope: "session" }, { counter: "x", window: "minute", max: 1, scope: "global" }] } } });
  expect(planned(p, call("t", {}, { grantId: "bob", sessionKey: "sess-9" })).limits.map((l) => l.request.key)).toEqual(["grant:bob|g", "session:sess-9|s", "global|x"]);
});

test("the tool's own limits come before all_tools limits, and the rate_limit alias counts under <tool>_rate_limit", () => {
  const p = policy({ all_tools: { limits: [{ counter: "calls", window: "minute", max: 100 }] }, tools: { t: { limits: [{ counter: "own", window: 30, max: 3 }], rate_limit: { max: 5, window: 10 } } } });
  expect(planned(p, call("t")).limits.map((l) => [l.rule, l.request.key, l.window, l.windowMs, l.max])).toEqual([
    ["/tools/t/limits/0", "grant:alice|own", 30, 30_000, 3],
    ["/tools/t/rate_limit", "grant:alice|t_rate_limit", 10, 10_000, 5],
    ["/all_tools/limits/0", "grant:alice|calls", "minute", 60_000, 100],
  ]);
});

test("all_tools limits apply to unlisted tools under default allow", () => {
  const p = policy({ default: "allow", all_tools: { limits: [{ counter: "calls", window: "minute", max: 100 }] } });
  expect(planned(p, call("anything")).limits.map((l) => l.rule)).toEqual(["/all_tools/limits/0"]);
});

test("two applicable limits on the same counter key are reserved once, with the smaller max and its rule", () => {
  const p = policy({ all_tools: { limits: [{ counter: "shared", window: "minute", max: 3 }] }, tools: { t: { limits: [{ counter: "shared", window: 60, max: 10 }] } } });
  const limits = planned(p, call("t")).limits;
  expect(limits).toHaveLength(1);
  expect(limits[0]).toMatchObject({ rule: "/all_tools/limits/0", max: 3, request: { key: "grant:alice|shared", max: 3, amount: 1 } });
});

test("a shadow limit sharing a counter key with an enforced limit never tightens the enforced one", () => {
  // The shadow limit is the tighter one: enforcing its max would block calls a shadow rule must only log.
  const p = policy({ all_tools: { limits: [{ counter: "shared", window: "minute", max: 3, shadow: true }] }, tools: { t: { limits: [{ counter: "shared", window: 60, max: 10 }] } } });
  const limits = planned(p, call("t")).limits;
  expect(limits).toHaveLength(1);
  expect(limits[0]).toMatchObject({ rule: "/tools/t/limits/0", max: 10, shadow: false, request: { key: "grant:alice|shared", max: 10, amount: 1 } });
});

test("an enforced limit sharing a counter key with a looser shadow limit keeps its own max", () => {
  const p = policy({ all_tools: { limits: [{ counter: "shared", window: "minute", max: 3 }] }, tools: { t: { limits: [{ counter: "shared", window: 60, max: 10, shadow: true }] } } });
  expect(planned(p, call("t")).limits).toEqual([expect.objectContaining({ rule: "/all_tools/limits/0", max: 3, shadow: false })]);
});

test("increment_from counts the argument's value, fractions included", () => {
  const p = policy({ tools: { charge: { limits: [{ counter: "spend", window: "day", max: 100, increment_from: "args.amount" }] } } });
  expect(planned(p, call("charge", { amount: 12.5 })).limits[0]).toMatchObject({ units: true, request: { amount: 12.5 } });
  expect(planned(p, call("charge", { amount: 0 })).limits[0]!.request.amount).toBe(0);
});

test("increment_from that is missing, not a number or negative denies with invalid_arguments", () => {
  const p = policy({ tools: { charge: { limits: [{ counter: "spend", window: "day", max: 100, increment_from: "args.amount" }] } } });
  expect(denial(p, call("charge", {}))).toEqual({
    decision: "deny",
    code: "invalid_arguments",
    rule: "/tools/charge/limits/0",
    tool: "charge",
    message: "argument path `args.amount` is missing; rule `/tools/charge/limits/0` counts it against `spend`",
  });
  expect(denial(p, call("charge", { amount: "12" })).message).toBe('argument `args.amount` is "12", expected a number ≥ 0; rule `/tools/charge/limits/0` counts it against `spend`');
  expect(denial(p, call("charge", { amount: -1 })).code).toBe("invalid_arguments");
});

test("limitDenial reads like the README's denial and carries the limit facts", () => {
  const c = call("stop_salesbot");
  const limit = planned(seed, c).limits[0]!;
  const windowStartMs = Date.UTC(2026, 0, 1, 10, 0, 0);
  const d = limitDenial(c, limit, { used: 10, windowStartMs, windowEndMs: windowStartMs + 60_000, nowMs: windowStartMs + 37_000 });
  expect(d).toEqual({
    decision: "deny",
    code: "rate_limited",
    rule: "/tools/stop_salesbot/limits/0",
    tool: "stop_salesbot",
    message: "Rate limit exceeded: stop_salesbot_rate allows 10 calls per minute per grant. Retry in 23 s.",
    limit: { counter: "stop_salesbot_rate", scope: "grant", window: "minute", windowMs: 60_000, max: 10, remaining: 0, retryAfterMs: 23_000, resetAt: "2026-01-01T10:01:00.000Z" },
  });
});

test("rate limit messages round retry seconds up and word numeric windows, units and scopes", () => {
  const p = policy({
    tools: {
      t: {
        limits: [
          { counter: "burst", window: 30, max: 1, scope: "session" },
          { counter: "spend", window: "day", max: 100, increment_from: "args.amount", scope: "global" },
        ],
      },
    },
  });
  const c = call("t", { amount: 5 });
  const [burst, spend] = planned(p, c).limits;
  const level = { used: 1, windowStartMs: 0, windowEndMs: 30_000, nowMs: 28_001 };
  expect(limitDenial(c, burst!, level).message).toBe("Rate limit exceeded: burst allows 1 call per 30 seconds per session. Retry in 2 s.");
  const spent = limitDenial(c, spend!, { used: 97.5, windowStartMs: 0, windowEndMs: 86_400_000, nowMs: 86_399_999 });
  expect(spent.message).toBe("Rate limit exceeded: spend allows 100 units per day in total. Retry in 1 s.");
  expect(spent.limit!.remaining).toBe(2.5);
});

test("a denial from a shadow limit is marked shadow", () => {
  const p = policy({ tools: { t: { limits: [{ counter: "c", window: "second", max: 1, shadow: true }] } } });
  const c = call("t");
  const d = limitDenial(c, planned(p, c).limits[0]!, { used: 1, windowStartMs: 0, windowEndMs: 1_000, nowMs: 500 });
  expect(d.shadow).toBe(true);
  expect(d.message).toBe("Rate limit exceeded: c allows 1 call per second per grant. Retry in 1 s.");
});

test("an allowed call's decision lists the rules of the reserved limits", () => {
  const c = call("stop_salesbot");
  const next = concludeCall(planCall(seed, c), { argumentIssues: [], counters: { enforced: { kind: "reserved" }, shadow: { kind: "skipped" } } });
  expect(next).toEqual({ kind: "decided", decision: { decision: "allow", tool: "stop_salesbot", rules: ["/tools/stop_salesbot/limits/0"] }, wouldDeny: [] });
});

test("storeUnavailableDenial names the tool and the (store) rule", () => {
  expect(storeUnavailableDenial(call("t"))).toEqual({ decision: "deny", code: "store_unavailable", rule: "(store)", tool: "t", message: "tool `t` is denied: the counter store is unavailable" });
});

test("rule pointers escape `/` and `~` in tool names", () => {
  const p = policy({ tools: { "a/b~c": { deny_if: [{ conditions: [] }] } } });
  expect(denial(p, call("a/b~c")).rule).toBe("/tools/a~1b~0c/deny_if/0");
});

// --- tools/list ---

test("tools/list keeps listed and explicitly denied tools and drops hidden and default-denied ones", () => {
  const p = policy({ hide: ["secret"], tools: { list_leads: {}, delete_lead: { action: "deny" }, purge: { deny_if: [{ conditions: [] }] }, secret: {} } });
  expect(["list_leads", "delete_lead", "purge", "secret", "unlisted"].filter((t) => isToolVisible(p, t))).toEqual(["list_leads", "delete_lead", "purge"]);
  expect(isToolVisible(policy({ default: "allow" }), "unlisted")).toBe(true);
  expect(isToolVisible(policy({ default: "allow", hide: ["*"] }), "unlisted")).toBe(false);
  expect(isToolVisible(undefined, "list_leads")).toBe(false);
});

// --- what is not a tool: resources, prompts, methods ---

const beyondTools = policy({
  resources: {
    "kommo://account": {},
    "kommo://reports/{kind}": {
      deny_if: [{ conditions: [{ path: "args.kind", op: "eq", value: "payroll" }], on_deny: "Payroll reports are for HR." }],
      limits: [{ counter: "report_reads", window: "minute", max: 5 }],
    },
  },
  prompts: { analise_pipeline: {} },
  methods: { "tasks/get": { deny_if: [{ conditions: [] }] } },
  all_tools: { limits: [{ counter: "all", window: "minute", max: 1 }] },
});
const resource = (uri: string, extra: Partial<Call> = {}): Call => call(uri, { uri }, { kind: "resource", ...extra });

test("a resource is allowed by its exact URI, and a URI matching a template gets the template's rule with its values as arguments", () => {
  expect(precheck(beyondTools, resource("kommo://account"))).toEqual({ kind: "reserve", limits: [], shadowDenials: [] });
  const sales = planned(beyondTools, resource("kommo://reports/sales"));
  expect(sales.limits.map((l) => [l.rule, l.request.key])).toEqual([["/resources/kommo:~1~1reports~1{kind}/limits/0", "grant:alice|report_reads"]]);
  expect(denial(beyondTools, resource("kommo://reports/payroll"))).toEqual({ decision: "deny", code: "denied", rule: "/resources/kommo:~1~1reports~1{kind}/deny_if/0", tool: "kommo://reports/payroll", kind: "resource", message: "Payroll reports are for HR." });
});

test("under default deny an unlisted resource, prompt or method is denied and named by its kind; all_tools limits count tools only", () => {
  expect(denial(beyondTools, resource("kommo://dashboard"))).toEqual({ decision: "deny", code: "default_deny", rule: "(default deny)", tool: "kommo://dashboard", kind: "resource", message: "resource `kommo://dashboard` is not permitted by policy (default deny)" });
  expect(denial(beyondTools, call("motivos_perda", {}, { kind: "prompt" })).message).toBe("prompt `motivos_perda` is not permitted by policy (default deny)");
  expect(denial(beyondTools, call("tasks/cancel", {}, { kind: "method" })).message).toBe("method `tasks/cancel` is not permitted by policy (default deny)");
  expect(denial(beyondTools, call("tasks/get", {}, { kind: "method" }))).toMatchObject({ code: "denied", rule: "/methods/tasks~1get/deny_if/0", message: "method `tasks/get` is denied by rule `/methods/tasks~1get/deny_if/0`" });
  expect(planned(beyondTools, call("analise_pipeline", {}, { kind: "prompt" })).limits).toEqual([]);
  expect(denial(policy({ hide: ["*"] }), resource("kommo://account")).code).toBe("hidden");
});

test("reaching a target (subscribe, completion) is refused only by what always denies, and counts nothing", () => {
  expect(precheck(beyondTools, resource("kommo://reports/payroll", { reach: true }))).toEqual({ kind: "reserve", limits: [], shadowDenials: [] });
  expect(denial(beyondTools, resource("kommo://dashboard", { reach: true })).code).toBe("default_deny");
  expect(denial(beyondTools, call("tasks/get", {}, { kind: "method", reach: true })).code).toBe("denied");
});

test("list filtering by kind: what a request could reach stays, the rest goes", async () => {
  const { isVisible, isTemplateVisible } = await import("../../../src/policy/evaluate.js");
  expect(["kommo://account", "kommo://reports/sales", "kommo://dashboard"].filter((u) => isVisible(beyondTools, "resource", u))).toEqual(["kommo://account", "kommo://reports/sales"]);
  expect(isTemplateVisible(beyondTools, "kommo://reports/{kind}")).toBe(true);
  expect(isTemplateVisible(beyondTools, "kommo://leads/{id}")).toBe(false);
  expect(["analise_pipeline", "motivos_perda"].filter((p) => isVisible(beyondTools, "prompt", p))).toEqual(["analise_pipeline"]);
});

test("conditions may read the caller's token claims with the same operators as the arguments", () => {
  const p = policy({ tools: { stop_salesbot: { require: [{ conditions: [{ path: "claims.groups", op: "contains", value: "sales-ops" }], on_deny: "Only sales ops may stop bots." }] } } });
  expect(precheck(p, call("stop_salesbot", {}, { claims: { groups: ["sales-ops", "eu"] } })).kind).toBe("reserve");
  expect(denial(p, call("stop_salesbot", {}, { claims: { groups: ["support"] } })).message).toBe("Only sales ops may stop bots.");
  expect(denial(p, call("stop_salesbot")).message).toBe("claim path `claims.groups` is missing; rule `/tools/stop_salesbot/require/0` needs it");
});
