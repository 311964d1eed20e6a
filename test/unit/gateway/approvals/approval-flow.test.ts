import { expect, test } from "vitest";
import { GatewayError } from "../../../../src/core/errors.js";
import type { ApprovalStore } from "../../../../src/stores/approval-store.js";
import { decisionOf, policyOf } from "../gateway-fixture.js";
import { APPROVAL_POLICY, createApprovalFixture, textOf, TTL_MS } from "./approval-fixture.js";

const stop = { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } };

test("a call that needs approval is recorded as pending and answered approval_required with its id", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const answer = await alice.call(1, stop);
  const decision = decisionOf(answer)!;
  expect(decision).toMatchObject({ decision: "deny", code: "approval_required", rule: "/tools/stop_salesbot/approval", tool: "stop_salesbot" });
  const id = decision.approvalId as string;
  expect(id).toMatch(/^apr_[0-9a-f]{16}$/);
  expect(answer.result.isError).toBe(true);
  expect(textOf(answer)).toBe(
    `[APPROVAL REQUIRED] tool \`stop_salesbot\` requires human approval (rule \`/tools/stop_salesbot/approval\`). Approval ${id} is pending until 2026-01-01T00:10:00.000Z; a human can approve it with \`toolgate approvals approve ${id}\`, then retry the identical call (same arguments) once.`,
  );
  expect(alice.upstreamCalls()).toEqual([]);
  const [record] = await f.gate.list();
  expect(record).toMatchObject({ id, state: "pending", grantId: "alice", tool: "stop_salesbot", policyVersion: expect.stringMatching(/^sha256:/), expiresAtMs: Date.UTC(2026, 0, 1, 0, 10) });
  expect(record!.argsDigest).toBe(f.decisionLines()[0]!.argsSha256);
  expect(f.decisionLines()[0]).toMatchObject({ decisionId: decision.decisionId, decision: "deny", code: "approval_required", approvalId: id, outcome: "not_forwarded" });
  expect(f.approvalLines()).toEqual([
    expect.objectContaining({ event: "approval", step: "pending", approvalId: id, grant: "alice", tool: "stop_salesbot", decisionId: decision.decisionId, expiresAt: "2026-01-01T00:10:00.000Z" }),
  ]);
});

test("the same call while its approval is pending answers the same id and records nothing new", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const first = decisionOf(await alice.call(1, stop))!.approvalId;
  await f.clock.advanceBy(60_000);
  const second = decisionOf(await alice.call(2, stop))!.approvalId;
  expect(second).toBe(first);
  expect(await f.gate.list()).toHaveLength(1);
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending"]);
});

test("after a human approves, the identical call passes exactly once and the next one asks again", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  expect(await f.gate.decide(id, "approved", "carol")).toMatchObject({ ok: true });
  const passed = await alice.call(2, stop);
  expect(decisionOf(passed)).toBeUndefined();
  expect(textOf(passed)).toBe("ran stop_salesbot");
  expect(alice.upstreamCalls()).toHaveLength(1);
  const replay = decisionOf(await alice.call(3, stop))!;
  expect(replay).toMatchObject({ code: "approval_required" });
  expect(replay.approvalId).not.toBe(id);
  expect(alice.upstreamCalls()).toHaveLength(1);
  expect(f.approvalLines().map((l) => [l.step, l.approvalId])).toEqual([["pending", id], ["approved", id], ["consumed", id], ["pending", replay.approvalId]]);
  expect(f.approvalLines()[1]).toMatchObject({ decidedBy: "carol" });
  expect(f.decisionLines()[1]).toMatchObject({ decision: "allow", code: null, approvalId: id, outcome: "ok" });
});

test("an approved call still meets its limits, and a limit denial gives the approval back", async () => {
  const policy = { ...APPROVAL_POLICY, tools: { stop_salesbot: { approval: true, limits: [{ counter: "stop_rate", window: "hour", max: 0 }] } } };
  const f = await createApprovalFixture({ policy });
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  expect(decisionOf(await alice.call(2, stop))).toMatchObject({ code: "rate_limited", rule: "/tools/stop_salesbot/limits/0" });
  expect((await f.gate.get(id))?.state).toBe("approved");
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "approved", "consumed", "restored"]);
});

test("changed arguments do not match an approval and ask for their own", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  const other = decisionOf(await alice.call(2, { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 3 } }))!;
  expect(other).toMatchObject({ code: "approval_required" });
  expect(other.approvalId).not.toBe(id);
  expect(alice.upstreamCalls()).toEqual([]);
  // Key order does not matter: the digest is over canonical JSON.
  expect(decisionOf(await alice.call(3, { name: "stop_salesbot", arguments: { entity_id: 2, bot_id: 1 } }))).toBeUndefined();
  expect(alice.upstreamCalls()).toHaveLength(1);
});

test("another grant does not pass on alice's approval", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const bob = await f.connect("bob");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  const bobs = decisionOf(await bob.call(1, stop))!;
  expect(bobs).toMatchObject({ code: "approval_required" });
  expect(bobs.approvalId).not.toBe(id);
  expect(bob.upstreamCalls()).toEqual([]);
  expect(decisionOf(await alice.call(2, stop))).toBeUndefined();
});

test("a human's denial is answered approval_denied once, then the call asks again", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "denied", "dave");
  const denied = await alice.call(2, stop);
  expect(decisionOf(denied)).toMatchObject({ code: "approval_denied", approvalId: id, rule: "/tools/stop_salesbot/approval" });
  expect(textOf(denied)).toBe(`[POLICY DENIED] a human denied approval ${id} for tool \`stop_salesbot\` (rule \`/tools/stop_salesbot/approval\`). Calling it again asks for a new approval.`);
  const again = decisionOf(await alice.call(3, stop))!;
  expect(again).toMatchObject({ code: "approval_required" });
  expect(again.approvalId).not.toBe(id);
  expect(alice.upstreamCalls()).toEqual([]);
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "denied", "pending"]);
  expect(f.decisionLines().map((l) => l.code)).toEqual(["approval_required", "approval_denied", "approval_required"]);
});

test("a pending approval expires: approval_expired once, then a new pending approval", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.clock.advanceBy(TTL_MS);
  expect(await f.gate.decide(id, "approved")).toMatchObject({ ok: false, reason: "expired" });
  const expired = await alice.call(2, stop);
  expect(decisionOf(expired)).toMatchObject({ code: "approval_expired", approvalId: id });
  expect(textOf(expired)).toBe(`[POLICY DENIED] approval ${id} for tool \`stop_salesbot\` (rule \`/tools/stop_salesbot/approval\`) expired at 2026-01-01T00:10:00.000Z before it was decided. Calling it again asks for a new approval.`);
  expect(decisionOf(await alice.call(3, stop))).toMatchObject({ code: "approval_required" });
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "expired", "pending"]);
});

test("an approval not used before its expiry no longer lets the call pass", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.clock.advanceBy(TTL_MS - 1);
  await f.gate.decide(id, "approved");
  await f.clock.advanceBy(1);
  const expired = await alice.call(2, stop);
  expect(decisionOf(expired)).toMatchObject({ code: "approval_expired", approvalId: id });
  expect(textOf(expired)).toContain("before it was used");
  expect(alice.upstreamCalls()).toEqual([]);
});

test("a reloaded policy with another version needs a new approval", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  f.policies.set(policyOf({ ...APPROVAL_POLICY, tools: { ...APPROVAL_POLICY.tools, echo: { description: "changed" } } }));
  const after = decisionOf(await alice.call(2, stop))!;
  expect(after).toMatchObject({ code: "approval_required" });
  expect(after.approvalId).not.toBe(id);
  expect(alice.upstreamCalls()).toEqual([]);
});

test("an upstream error that says the call was not run (-32602) gives the approval back, and the retried call passes once", async () => {
  let fail = true;
  const f = await createApprovalFixture();
  const alice = await f.connect("alice", (r) => (r.method === "tools/call" && fail ? { error: { code: -32602, message: "invalid params" } } : undefined));
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  expect(await alice.call(2, stop)).toMatchObject({ error: { code: -32602 } });
  expect((await f.gate.get(id))?.state).toBe("approved");
  fail = false;
  expect(textOf(await alice.call(3, stop))).toBe("ran stop_salesbot");
  expect(decisionOf(await alice.call(4, stop))).toMatchObject({ code: "approval_required" });
  expect(alice.upstreamCalls()).toHaveLength(2);
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "approved", "consumed", "restored", "consumed", "pending"]);
  expect(await f.counters.peek("grant:alice|stop_rate", 3_600_000)).toMatchObject({ used: 1 });
});

test("any other upstream error may follow the effect: the approval stays used and the identical retry asks again", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice", (r) => (r.method === "tools/call" ? { error: { code: -32050, message: "boom after the effect" } } : undefined));
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  expect(await alice.call(2, stop)).toMatchObject({ error: { code: -32050 } });
  expect((await f.gate.get(id))?.state).toBe("used");
  expect(decisionOf(await alice.call(3, stop))).toMatchObject({ code: "approval_required" });
  expect(alice.upstreamCalls()).toHaveLength(1);
});

test("an upstream timeout keeps the approval used: one approval never runs twice", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice", (r) => (r.method === "tools/call" ? "hold" : undefined));
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  await alice.call(2, stop);
  expect((await f.gate.get(id))?.state).toBe("used");
  await f.clock.advanceBy(5_000);
  expect(alice.answerFor(2)).toMatchObject({ error: { message: expect.stringContaining("did not answer") } });
  expect((await f.gate.get(id))?.state).toBe("used");
  expect(decisionOf(await alice.call(3, stop))).toMatchObject({ code: "approval_required" });
  expect(alice.upstreamCalls()).toHaveLength(1);
});

test("a tool result with isError reached the server: the approval stays used", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice", (r) => (r.method === "tools/call" ? { result: { content: [], isError: true } } : undefined));
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  await alice.call(2, stop);
  expect((await f.gate.get(id))?.state).toBe("used");
});

test("hold mode keeps the call open until a human approves, then forwards it", async () => {
  const f = await createApprovalFixture({ mode: "hold", holdTimeoutMs: 30_000 });
  const alice = await f.connect("alice");
  expect(await alice.call(1, stop)).toBeUndefined();
  const [pending] = await f.gate.list();
  expect(pending?.state).toBe("pending");
  expect(f.gate.heldCalls()).toBe(1);
  await f.clock.advanceBy(10_000);
  expect(alice.answerFor(1)).toBeUndefined();
  await f.gate.decide(pending!.id, "approved");
  await f.clock.advanceBy(0);
  expect(textOf(alice.answerFor(1))).toBe("ran stop_salesbot");
  expect(alice.upstreamCalls()).toHaveLength(1);
  expect(f.gate.heldCalls()).toBe(0);
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "approved", "consumed"]);
});

test("hold mode picks up a decision made elsewhere on its next poll", async () => {
  const f = await createApprovalFixture({ mode: "hold", holdTimeoutMs: 30_000, pollMs: 1_000 });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  const [pending] = await f.gate.list();
  await f.approvalStore.decide(pending!.id, "denied"); // straight to the store: another replica's admin API
  expect(alice.answerFor(1)).toBeUndefined();
  await f.clock.advanceBy(1_000);
  expect(decisionOf(alice.answerFor(1))).toMatchObject({ code: "approval_denied", approvalId: pending!.id });
});

test("hold mode answers approval_required when no one decides in time, and the approval stays pending", async () => {
  const f = await createApprovalFixture({ mode: "hold", holdTimeoutMs: 30_000 });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  await f.clock.advanceBy(29_999);
  expect(alice.answerFor(1)).toBeUndefined();
  await f.clock.advanceBy(1);
  const answer = alice.answerFor(1);
  expect(decisionOf(answer)).toMatchObject({ code: "approval_required" });
  const id = decisionOf(answer)!.approvalId as string;
  expect((await f.gate.get(id))?.state).toBe("pending");
  await f.gate.decide(id, "approved");
  // The retry is held, finds the approval at once and passes.
  expect(textOf(await alice.call(2, stop))).toBe("ran stop_salesbot");
});

test("hold mode answers approval_denied when a human denies the held call", async () => {
  const f = await createApprovalFixture({ mode: "hold" });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  const [pending] = await f.gate.list();
  await f.gate.decide(pending!.id, "denied");
  await f.clock.advanceBy(0);
  expect(decisionOf(alice.answerFor(1))).toMatchObject({ code: "approval_denied" });
  expect(alice.upstreamCalls()).toEqual([]);
});

test("hold mode answers approval_expired when the approval expires before the hold times out", async () => {
  const policy = { ...APPROVAL_POLICY, tools: { stop_salesbot: { approval: { ttl: 20 } } } };
  const f = await createApprovalFixture({ policy, mode: "hold", holdTimeoutMs: 30_000, pollMs: 60_000 });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  await f.clock.advanceBy(20_000);
  expect(decisionOf(alice.answerFor(1))).toMatchObject({ code: "approval_expired" });
});

test("closing the gate answers held calls approval_required and keeps their approvals pending", async () => {
  const f = await createApprovalFixture({ mode: "hold" });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  f.gate.close();
  await f.clock.advanceBy(0);
  const decision = decisionOf(alice.answerFor(1));
  expect(decision).toMatchObject({ code: "approval_required" });
  expect((await f.gate.get(decision!.approvalId as string))?.state).toBe("pending");
  expect(decisionOf(await alice.call(2, stop))).toMatchObject({ code: "store_unavailable" });
});

test("a held call the client cancels is dropped and never forwarded", async () => {
  const f = await createApprovalFixture({ mode: "hold" });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  await alice.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  const [pending] = await f.gate.list();
  await f.gate.decide(pending!.id, "approved");
  await f.clock.advanceBy(0);
  expect(alice.answerFor(1)).toBeUndefined();
  expect(alice.upstreamCalls()).toEqual([]);
  expect((await f.gate.get(pending!.id))?.state).toBe("approved");
});

test("two identical held calls share one approval and only one of them passes on it", async () => {
  const f = await createApprovalFixture({ mode: "hold", holdTimeoutMs: 30_000 });
  const alice = await f.connect("alice");
  await alice.call(1, stop);
  await alice.call(2, stop);
  const records = await f.gate.list();
  expect(records).toHaveLength(1);
  await f.gate.decide(records[0]!.id, "approved");
  await f.clock.advanceBy(0);
  expect(alice.upstreamCalls()).toHaveLength(1);
  const answered = [alice.answerFor(1), alice.answerFor(2)].filter((a) => a !== undefined);
  expect(answered).toHaveLength(1);
  await f.clock.advanceBy(30_000);
  expect(decisionOf(alice.answerFor(2) ?? alice.answerFor(1))).toMatchObject({ code: "approval_required" });
});

test("in shadow mode a call needing approval is forwarded, audited as would-deny, and nothing is recorded", async () => {
  const f = await createApprovalFixture({ shadow: true });
  const alice = await f.connect("alice");
  expect(textOf(await alice.call(1, stop))).toBe("ran stop_salesbot");
  expect(f.decisionLines()[0]).toMatchObject({ decision: "allow", wouldDeny: [{ code: "approval_required", rule: "/tools/stop_salesbot/approval" }] });
  expect(await f.gate.list()).toEqual([]);
});

test("when the approval store fails the call is denied store_unavailable, never let through", async () => {
  const broken: ApprovalStore = {
    check: async () => {
      throw new GatewayError("STORE_UNAVAILABLE", "redis approval store is unreachable");
    },
    request: async () => {
      throw new GatewayError("STORE_UNAVAILABLE", "unreachable");
    },
    restore: async () => undefined,
    decide: async () => ({ ok: false, reason: "unknown" }),
    get: async () => undefined,
    list: async () => [],
    close: async () => {},
  };
  const f = await createApprovalFixture({ approvalStore: broken });
  const alice = await f.connect("alice");
  const answer = await alice.call(1, stop);
  expect(decisionOf(answer)).toMatchObject({ code: "store_unavailable", rule: "(store)" });
  expect(textOf(answer)).toContain("the approval store is unavailable");
  expect(alice.upstreamCalls()).toEqual([]);
  expect(f.logs).toContainEqual(expect.objectContaining({ event: "approval_store_unavailable" }));
});

test("a tool without an approval rule never touches the approval store", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  expect(textOf(await alice.call(1, { name: "echo", arguments: { text: "x" } }))).toBe("ran echo");
  expect(await f.gate.list()).toEqual([]);
});

test("a call cancelled while a failing counter store decides gives its consumed approval back", async () => {
  const f = await createApprovalFixture();
  const alice = await f.connect("alice");
  const id = decisionOf(await alice.call(1, stop))!.approvalId as string;
  await f.gate.decide(id, "approved");
  let fail: (error: Error) => void = () => {};
  f.counters.reserve = () => new Promise((_resolve, reject) => (fail = reject));
  await alice.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: stop }); // approval consumed, waiting on the store
  await alice.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2, reason: "user" } });
  fail(new GatewayError("STORE_UNAVAILABLE", "redis is down"));
  await f.clock.advanceBy(0);
  expect(alice.upstreamCalls()).toEqual([]);
  expect(alice.answerFor(2)).toBeUndefined();
  expect((await f.gate.get(id))?.state).toBe("approved");
  expect(f.approvalLines().map((l) => l.step)).toEqual(["pending", "approved", "consumed", "restored"]);
});
