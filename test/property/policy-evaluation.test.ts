/**
 * The evaluator + memory store against a small reference model, on random policies (limits,
 * windows, scopes), random call sequences and clock moves; plus determinism, default deny and
 * parse → canonical print → parse.
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { canonicalJson } from "../../src/core/canonical-json.js";
import { concludeCall, limitDenial, planCall, type CallInput } from "../../src/policy/evaluate.js";
import { precheck } from "../helpers/precheck.js";
import { compilePolicy, parsePolicyText, type CompiledPolicy } from "../../src/policy/load-policy.js";
import { windowMs } from "../../src/policy/windows.js";
import type { Reservation } from "../../src/stores/counter-store.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";

const TOOLS = ["t0", "t1", "t2"] as const;
const WINDOWS = ["second", 2, 5, "minute"] as const;
const SCOPES = ["grant", "session", "global"] as const;

interface LimitSpec {
  counter: string;
  window: string | number;
  max: number;
  scope?: string;
}

/** Counter names carry one window and one scope each, so every generated policy is valid. */
const counterDefs = fc.array(fc.record({ window: fc.constantFrom(...WINDOWS), scope: fc.option(fc.constantFrom(...SCOPES), { nil: undefined }) }), { minLength: 1, maxLength: 3 });

const policyDoc = counterDefs.chain((defs) => {
  const limit = fc.record({ c: fc.integer({ min: 0, max: defs.length - 1 }), max: fc.integer({ min: 0, max: 4 }) }).map(({ c, max }): LimitSpec => {
    const def = defs[c]!;
    return { counter: `c${c}`, window: def.window, max, ...(def.scope ? { scope: def.scope } : {}) };
  });
  const limits = fc.uniqueArray(limit, { maxLength: 2, selector: (l) => l.counter });
  return fc.record({
    version: fc.constant("1"),
    default: fc.constantFrom("allow", "deny"),
    hide: fc.option(fc.uniqueArray(fc.constantFrom(...TOOLS, "*"), { maxLength: 1 }), { nil: undefined }),
    all_tools: fc.option(fc.record({ limits }), { nil: undefined }),
    tools: fc.dictionary(fc.constantFrom(...TOOLS), fc.record({ limits: fc.option(limits, { nil: undefined }) }, { requiredKeys: [] }), { maxKeys: 3 }),
  }, { requiredKeys: ["version", "default", "tools"] });
});

function compile(doc: unknown): CompiledPolicy {
  const parsed = compilePolicy(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

type Doc = { default: string; hide?: string[]; all_tools?: { limits: LimitSpec[] }; tools: Record<string, { limits?: LimitSpec[] }> };

/** The model: which counters a call consumes, keyed like the store, merged to the smallest max. */
function modelLimits(doc: Doc, call: CallInput): Map<string, { windowMs: number; max: number }> | "deny" {
  if (doc.hide?.includes("*") || doc.hide?.includes(call.tool)) return "deny";
  const rule = doc.tools[call.tool];
  if (rule === undefined && doc.default === "deny") return "deny";
  const out = new Map<string, { windowMs: number; max: number }>();
  for (const l of [...(rule?.limits ?? []), ...(doc.all_tools?.limits ?? [])]) {
    const scope = l.scope ?? "grant";
    const key = `${scope === "grant" ? `grant:${call.grantId}` : scope === "session" ? `session:${call.sessionKey}` : "global"}|${l.counter}`;
    const prev = out.get(key);
    out.set(key, { windowMs: windowMs(l.window), max: Math.min(prev?.max ?? Infinity, l.max) });
  }
  return out;
}

const step = fc.oneof(
  fc.record({ kind: fc.constant("call" as const), tool: fc.constantFrom(...TOOLS, "unknown"), grant: fc.constantFrom("g0", "g1"), session: fc.constantFrom("s0", "s1") }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
  fc.record({ kind: fc.constant("rollback" as const), which: fc.nat() }),
);

test.prop([policyDoc, fc.array(step, { maxLength: 60 }), fc.integer({ min: 0, max: 60_000 })], { numRuns: 150 })(
  "gateway decisions follow the model: no window admits more than max, denied calls consume nothing, rollback returns exactly the slot",
  async (doc, steps, offsetMs) => {
    const policy = compile(doc);
    const clock = new VirtualClock(Date.UTC(2026, 0, 1) + offsetMs);
    const store = new MemoryCounterStore({ clock });
    const used = new Map<string, number>();
    const slot = (key: string, wMs: number, nowMs: number): string => `${key}@${wMs}:${Math.floor(nowMs / wMs)}`;
    const held: { reservation: Reservation; slots: { slot: string; startMs: number; wMs: number }[] }[] = [];
    const admittedPerSlot = new Map<string, { admitted: number; max: number }>();
    for (const s of steps) {
      const nowMs = clock.nowMs();
      if (s.kind === "advance") {
        await clock.advanceBy(s.ms);
        continue;
      }
      if (s.kind === "rollback") {
        if (held.length === 0) continue;
        const [h] = held.splice(s.which % held.length, 1);
        await store.rollback(h!.reservation);
        for (const x of h!.slots) {
          if (Math.floor(nowMs / x.wMs) * x.wMs === x.startMs) {
            used.set(x.slot, used.get(x.slot)! - 1);
            admittedPerSlot.get(x.slot)!.admitted--;
          }
        }
        continue;
      }
      const call: CallInput = { tool: s.tool, args: {}, grantId: s.grant, sessionKey: s.session };
      const expected = modelLimits(doc as Doc, call);
      const pre = precheck(policy, call);
      if (expected === "deny") {
        expect(pre.kind).toBe("deny");
        continue;
      }
      if (pre.kind !== "reserve") throw new Error(`model expected a reservation: ${JSON.stringify(pre)}`);
      expect(new Map(pre.limits.map((l) => [l.request.key, { windowMs: l.windowMs, max: l.max }]))).toEqual(expected);
      const fits = [...expected].every(([key, l]) => (used.get(slot(key, l.windowMs, nowMs)) ?? 0) + 1 <= l.max);
      const result = await store.reserve(pre.limits.map((l) => l.request));
      expect(result.ok).toBe(fits);
      if (result.ok) {
        const decided = concludeCall(planCall(policy, call), { argumentIssues: [], counters: { enforced: { kind: "reserved" }, shadow: { kind: "reserved" } } });
        expect(decided.kind === "decided" && decided.decision.decision).toBe("allow");
        const slots = pre.limits.map((l) => ({ slot: slot(l.request.key, l.windowMs, nowMs), startMs: Math.floor(nowMs / l.windowMs) * l.windowMs, wMs: l.windowMs }));
        slots.forEach((x, i) => {
          used.set(x.slot, (used.get(x.slot) ?? 0) + 1);
          // Tools sharing a counter may declare different maxes: each admission is checked against
          // its own, so the window as a whole holds at most the largest of them.
          const max = pre.limits[i]!.max;
          const a = admittedPerSlot.get(x.slot) ?? { admitted: 0, max };
          a.admitted++;
          a.max = Math.max(a.max, max);
          expect(used.get(x.slot)).toBeLessThanOrEqual(max);
          admittedPerSlot.set(x.slot, a);
        });
        held.push({ reservation: result.reservation, slots });
      } else {
        const denial = limitDenial(call, pre.limits[result.failedIndex]!, result.level);
        expect(denial.code).toBe("rate_limited");
        expect(denial.limit!.retryAfterMs).toBeGreaterThan(0);
        expect(denial.limit!.retryAfterMs).toBeLessThanOrEqual(pre.limits[result.failedIndex]!.windowMs);
      }
      for (const [key, l] of expected) expect((await store.peek(key, l.windowMs)).used).toBe(used.get(slot(key, l.windowMs, nowMs)) ?? 0);
    }
    for (const { admitted, max } of admittedPerSlot.values()) expect(admitted).toBeLessThanOrEqual(max);
  },
);

test.prop([policyDoc, fc.string({ minLength: 1, maxLength: 12 })], { numRuns: 200 })("unknown tools never pass under default deny", (doc, tool) => {
  fc.pre(!Object.hasOwn(doc.tools, tool));
  const policy = compile({ ...doc, default: "deny" });
  const result = precheck(policy, { tool, args: {}, grantId: "g", sessionKey: "s" });
  expect(result.kind).toBe("deny");
  if (result.kind === "deny") expect(["default_deny", "hidden"]).toContain(result.decision.code);
});

test.prop([policyDoc, fc.constantFrom(...TOOLS, "x"), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })], { numRuns: 200 })(
  "evaluation is deterministic: the same policy and call give the same answer, also after recompiling",
  (doc, tool, args) => {
    const call: CallInput = { tool, args, grantId: "g", sessionKey: "s" };
    const a = precheck(compile(doc), call);
    const b = precheck(compile(JSON.parse(JSON.stringify(doc))), call);
    expect(b).toEqual(a);
    expect(precheck(compile(doc), call)).toEqual(a);
  },
);

test.prop([policyDoc], { numRuns: 200 })("parse → canonical print → parse gives the same compiled policy", (doc) => {
  const first = compile(doc);
  const again = parsePolicyText(canonicalJson(first.document));
  if (!again.ok) throw new Error(JSON.stringify(again.issues));
  expect(again.value.document).toEqual(first.document);
  expect(again.value.version).toBe(first.version);
  expect(again.value).toEqual(first);
});
