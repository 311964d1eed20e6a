/**
 * Shadow mode: nothing is blocked, and every would-be denial is in the audit log with its code and
 * rule. Global `--shadow` (in process for every denial code, then through a real `toolgate serve
 * --shadow` with its audit file) and per-rule `shadow: true` (deny_if, require, limits,
 * rate_limit). Under `--shadow` a call that needs approval is forwarded and records no pending
 * approval.
 */
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { GatewayError } from "../../src/core/errors.js";
import type { CounterStore } from "../../src/stores/counter-store.js";
import { fixtureUpstreamCmd, INITIALIZE, readJsonLines, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";
import { createFixture, decisionOf } from "../unit/gateway/gateway-fixture.js";
import { createApprovalFixture } from "../unit/gateway/approvals/approval-fixture.js";

const everyDenial = {
  version: "1",
  default: "deny",
  hide: ["delete_everything"],
  tools: {
    echo: { deny_if: [{ conditions: [{ path: "args.text", op: "eq", value: "forbidden" }] }], require: [{ conditions: [{ path: "args.text", op: "neq", value: "" }] }] },
    dangerous: { action: "deny", reason: "never" },
    stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 1 }] },
  },
};

test("under --shadow every denial code is forwarded and audited as would-deny with its rule", async () => {
  const f = await createFixture({ policy: everyDenial, shadow: true });
  await f.call(0, "tools/list");
  const calls: Array<[string, Record<string, unknown> | undefined]> = [
    ["delete_everything", {}],
    ["not_in_policy", {}],
    ["echo", { text: 7 }],
    ["echo", { text: "forbidden" }],
    ["echo", { text: "" }],
    ["dangerous", {}],
    ["stop_salesbot", { bot_id: 1, entity_id: 2 }],
    ["stop_salesbot", { bot_id: 1, entity_id: 2 }],
  ];
  for (const [i, [name, args]] of calls.entries()) expect(decisionOf(await f.call(i + 1, "tools/call", { name, arguments: args ?? {} }))).toBeUndefined();
  expect(f.upstreamCalls()).toHaveLength(calls.length);
  expect(f.audit.map((r) => [r.tool, r.decision, r.wouldDeny ?? []])).toEqual([
    ["delete_everything", "allow", [{ code: "hidden", rule: "(hidden)" }]],
    ["not_in_policy", "allow", [{ code: "default_deny", rule: "(default deny)" }]],
    ["echo", "allow", [{ code: "invalid_arguments", rule: "(input schema)" }]],
    ["echo", "allow", [{ code: "denied", rule: "/tools/echo/deny_if/0" }]],
    ["echo", "allow", [{ code: "requirement_failed", rule: "/tools/echo/require/0" }]],
    ["dangerous", "allow", [{ code: "denied", rule: "/tools/dangerous/action" }]],
    ["stop_salesbot", "allow", []],
    ["stop_salesbot", "allow", [{ code: "rate_limited", rule: "/tools/stop_salesbot/limits/0" }]],
  ]);
  expect(f.audit.every((r) => r.outcome === "ok" && r.code === null)).toBe(true);
});

test("under --shadow a failing counter store is audited as would-deny store_unavailable and the call goes through", async () => {
  const broken: CounterStore = {
    reserve: async () => {
      throw new GatewayError("STORE_UNAVAILABLE", "down");
    },
    rollback: async () => {},
    peek: async () => ({ used: 0, windowStartMs: 0, windowEndMs: 0, nowMs: 0 }),
    close: async () => {},
  };
  const f = await createFixture({ policy: everyDenial, shadow: true, store: broken });
  expect(decisionOf(await f.call(1, "tools/call", { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } }))).toBeUndefined();
  expect(f.audit[0]).toMatchObject({ decision: "allow", wouldDeny: [{ code: "store_unavailable", rule: "(store)" }] });
});

test("under --shadow a call that needs approval is forwarded, audited as would-deny, and no approval is recorded", async () => {
  const f = await createApprovalFixture({ shadow: true });
  const alice = await f.connect("alice");
  expect(decisionOf(await alice.call(1, { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } }))).toBeUndefined();
  expect(alice.upstreamCalls()).toHaveLength(1);
  expect(f.decisionLines()[0]).toMatchObject({ decision: "allow", wouldDeny: [{ code: "approval_required", rule: "/tools/stop_salesbot/approval" }] });
  expect(f.approvalLines()).toEqual([]);
  expect(await f.gate.list()).toEqual([]);
});

test("per-rule shadow: shadow rules and limits are audited and never block, enforced rules still do", async () => {
  const policy = {
    version: "1",
    default: "allow",
    tools: {
      echo: {
        deny_if: [{ conditions: [{ path: "args.text", op: "contains", value: "x" }], shadow: true }],
        require: [{ conditions: [{ path: "args.text", op: "regex", value: "^[a-z]+$" }], shadow: true }],
        limits: [{ counter: "echo_shadow", window: "minute", max: 1, shadow: true }],
      },
      stop_salesbot: { rate_limit: { max: 1, window: 60, shadow: true }, limits: [{ counter: "stop_enforced", window: "minute", max: 2 }] },
    },
  };
  const f = await createFixture({ policy });
  await f.call(0, "tools/list");
  expect(decisionOf(await f.call(1, "tools/call", { name: "echo", arguments: { text: "ok" } }))).toBeUndefined();
  expect(decisionOf(await f.call(2, "tools/call", { name: "echo", arguments: { text: "x1" } }))).toBeUndefined();
  const stop = { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } };
  expect(decisionOf(await f.call(3, "tools/call", stop))).toBeUndefined();
  expect(decisionOf(await f.call(4, "tools/call", stop))).toBeUndefined();
  expect(decisionOf(await f.call(5, "tools/call", stop))).toMatchObject({ code: "rate_limited", rule: "/tools/stop_salesbot/limits/0" });
  expect(f.upstreamCalls()).toHaveLength(4);
  expect(f.audit.map((r) => [r.decision, r.code, r.wouldDeny ?? []])).toEqual([
    ["allow", null, []],
    [
      "allow",
      null,
      [
        { code: "denied", rule: "/tools/echo/deny_if/0" },
        { code: "requirement_failed", rule: "/tools/echo/require/0" },
        { code: "rate_limited", rule: "/tools/echo/limits/0" },
      ],
    ],
    ["allow", null, []],
    ["allow", null, [{ code: "rate_limited", rule: "/tools/stop_salesbot/rate_limit" }]],
    ["deny", "rate_limited", []],
  ]);
});

let gateway: RawGateway | undefined;
afterAll(async () => {
  await gateway?.stop();
});

test("toolgate serve --shadow forwards every call and writes each would-be denial to the audit file", async () => {
  const dir = tempDir("toolgate-shadow-");
  const callLog = join(dir, "calls.jsonl");
  const auditFile = join(dir, "audit.jsonl");
  const policyFile = writeJson(dir, "policy.json", { ...everyDenial, tools: { ...everyDenial.tools, progress: { action: "deny" }, fail_tool: { approval: true } } });
  gateway = startRawGateway(serveArgs(policyFile, fixtureUpstreamCmd(), ["--shadow", "--audit", auditFile]), { FIXTURE_CALL_LOG: callLog });
  gateway.send(INITIALIZE);
  await gateway.answerFor("init");
  const names = ["delete_everything", "echo", "progress", "stop_salesbot", "stop_salesbot", "fail_tool"];
  const args = [{}, { text: "forbidden" }, { steps: 0 }, { bot_id: 1, entity_id: 2 }, { bot_id: 1, entity_id: 2 }, {}];
  for (const [i, name] of names.entries()) {
    gateway.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name, arguments: args[i] } }));
    const answer = (await gateway.answerFor(i)) as { result?: { _meta?: Record<string, unknown> } };
    expect(answer.result?._meta?.["toolgate/decision"]).toBeUndefined();
  }
  expect(readJsonLines<{ tool: string }>(callLog).map((l) => l.tool)).toEqual(names);
  await gateway.stop();
  const audit = readJsonLines<{ tool: string; decision: string; wouldDeny?: unknown[] }>(auditFile);
  expect(audit.map((l) => [l.tool, l.decision, l.wouldDeny ?? []])).toEqual([
    ["delete_everything", "allow", [{ code: "hidden", rule: "(hidden)" }]],
    ["echo", "allow", [{ code: "denied", rule: "/tools/echo/deny_if/0" }]],
    ["progress", "allow", [{ code: "denied", rule: "/tools/progress/action" }]],
    ["stop_salesbot", "allow", []],
    ["stop_salesbot", "allow", [{ code: "rate_limited", rule: "/tools/stop_salesbot/limits/0" }]],
    ["fail_tool", "allow", [{ code: "approval_required", rule: "/tools/fail_tool/approval" }]],
  ]);
}, 60_000);
