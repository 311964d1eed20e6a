import { expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { ruleState, toolViews } from "../../../../src/gateway/console/tool-states.js";
import { compilePolicy, type CompiledPolicy } from "../../../../src/policy/load-policy.js";
import { MemoryCounterStore } from "../../../../src/stores/memory-counter-store.js";

function compile(doc: unknown): CompiledPolicy {
  const parsed = compilePolicy(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const policy = compile({
  version: "1",
  default: "deny",
  hide: ["secret"],
  tools: {
    secret: {},
    delete_lead: { action: "deny", reason: "never" },
    guarded: { deny_if: [{ conditions: [{ path: "args.x", op: "eq", value: 1 }] }] },
    stop_salesbot: { approval: { ttl: "5m" }, limits: [{ counter: "stops", window: "minute", max: 10 }] },
    list_leads: { limits: [{ counter: "reads", window: "minute", max: 3, scope: "session" }] },
    get_lead: {},
  },
});

test("each tool's state follows the decision order: hidden, default deny, deny, argument rules, approval, limits, allow", () => {
  expect(ruleState(policy, "secret")).toEqual({ state: "hide", rule: "/hide" });
  expect(ruleState(policy, "unknown_tool")).toEqual({ state: "deny", rule: "/default" });
  expect(ruleState(policy, "delete_lead")).toEqual({ state: "deny", rule: "/tools/delete_lead/action", denyReason: "never" });
  expect(ruleState(policy, "guarded")).toMatchObject({ state: "custom" });
  expect(ruleState(policy, "stop_salesbot")).toMatchObject({ state: "approval", approvalTtlMs: 300_000 });
  expect(ruleState(policy, "list_leads")).toMatchObject({ state: "rate_limited" });
  expect(ruleState(policy, "get_lead")).toEqual({ state: "allow", rule: "/tools/get_lead" });
  expect(ruleState(compile({ version: "1", default: "allow", hide: ["*"] }), "anything").state).toBe("hide");
});

test("counters show the store's level and time to reset for grant scope, none for session scope", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 20));
  const store = new MemoryCounterStore({ clock });
  await store.reserve([{ key: "grant:g1|stops", windowMs: 60_000, max: 10, amount: 1 }]);
  const views = await toolViews(policy, "g1", [{ name: "stop_salesbot", annotations: { destructiveHint: true } }], store, clock);
  const stop = views.find((v) => v.name === "stop_salesbot")!;
  expect(stop).toMatchObject({ risk: "execute", state: "approval", counters: [{ counter: "stops", used: 1, max: 10, resetInMs: 40_000, key: "grant:g1|stops" }] });
  expect(views.find((v) => v.name === "list_leads")!.counters).toEqual([{ rule: "/tools/list_leads/limits/0", counter: "reads", scope: "session", window: "minute", max: 3, shadow: false }]);
  expect(views.map((v) => v.name)).toEqual(["stop_salesbot", "secret", "delete_lead", "guarded", "list_leads", "get_lead"]);
});
