/**
 * The CRM never sees more than `max` calls in a window, and one approval never executes twice,
 * whatever the upstream does with each call: answer, answer a tool error, act and then answer a
 * JSON-RPC error, refuse without acting (-32602), act and answer after the timeout, act and never
 * answer, or act and die (the agent then reconnects: a new gateway connection on the same counter
 * and approval stores, as a new HTTP session would get). Time moves by random steps on one virtual
 * clock. What the fake upstream recorded as executed is the ground truth.
 */
import { fc, test } from "@fast-check/vitest";
import { expect } from "vitest";
import { VirtualClock, settle } from "../../src/core/virtual-clock.js";
import { ApprovalGate } from "../../src/gateway/approvals/approval-gate.js";
import { createGateway, type Gateway } from "../../src/gateway/gateway.js";
import { SharedPolicy } from "../../src/gateway/policy-source.js";
import { compilePolicy, type CompiledPolicy } from "../../src/policy/load-policy.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../src/protocol/messages.js";
import { MemoryApprovalStore } from "../../src/stores/memory-approval-store.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";
import { createLinkedPair, type InMemoryTransport } from "../../src/transports/in-memory.js";

const MODES = ["ok", "tool_error", "acts_then_errors", "not_run", "acts_answers_late", "acts_never_answers", "acts_then_dies"] as const;
type Mode = (typeof MODES)[number];
const TIMEOUT_MS = 5_000;
const TOOLS = [{ name: "stop_salesbot", inputSchema: { type: "object", properties: { bot_id: { type: "integer" } } } }];

function compile(doc: unknown): CompiledPolicy {
  const parsed = compilePolicy(doc);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

interface World {
  readonly clock: VirtualClock;
  readonly executedAtMs: number[];
  call(id: number, mode: Mode): Promise<void>;
  close(): Promise<void>;
}

/** An agent that reconnects whenever its upstream dies; every connection shares the stores and the gate. */
async function world(policy: CompiledPolicy, approvals: ApprovalGate | undefined, clock: VirtualClock, store: MemoryCounterStore): Promise<World> {
  const executedAtMs: number[] = [];
  let mode: Mode = "ok";
  let connection: { gateway: Gateway; client: InMemoryTransport; server: InMemoryTransport } | undefined;
  const connect = async (): Promise<void> => {
    const [client, down] = createLinkedPair();
    const [up, server] = createLinkedPair();
    client.onmessage = () => {};
    server.onmessage = (m: JsonRpcMessage) => {
      if (!("method" in m) || !("id" in m)) return;
      const request = m as JsonRpcRequest;
      if (request.method === "tools/list") return void server.send({ jsonrpc: "2.0", id: request.id, result: { tools: TOOLS } });
      if (request.method !== "tools/call") return void server.send({ jsonrpc: "2.0", id: request.id, result: {} });
      if (mode !== "not_run") executedAtMs.push(clock.nowMs());
      switch (mode) {
        case "ok":
          return void server.send({ jsonrpc: "2.0", id: request.id, result: { content: [] } });
        case "tool_error":
          return void server.send({ jsonrpc: "2.0", id: request.id, result: { content: [], isError: true } });
        case "acts_then_errors":
          return void server.send({ jsonrpc: "2.0", id: request.id, error: { code: -32603, message: "failed after acting" } });
        case "not_run":
          return void server.send({ jsonrpc: "2.0", id: request.id, error: { code: -32602, message: "invalid params" } });
        case "acts_answers_late":
          return void clock.setTimer(() => void server.send({ jsonrpc: "2.0", id: request.id, result: { content: [] } }).catch(() => {}), TIMEOUT_MS * 2);
        case "acts_never_answers":
          return;
        case "acts_then_dies":
          return void server.close();
      }
    };
    const gateway = createGateway({ policies: new SharedPolicy(policy), grantId: "runaway", clock, store, upstream: up, downstream: down, upstreamTimeoutMs: TIMEOUT_MS, audit: () => {}, ...(approvals ? { approvals } : {}) });
    await client.start();
    await server.start();
    await gateway.start();
    connection = { gateway, client, server };
  };
  await connect();
  return {
    clock,
    executedAtMs,
    async call(id, next) {
      mode = next;
      let closed = false;
      void connection!.gateway.closed.then(() => (closed = true));
      await connection!.client.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: { bot_id: 7 } } });
      await settle();
      if (closed) await connect();
    },
    async close() {
      await connection?.gateway.close();
    },
  };
}

const step = fc.record({ mode: fc.constantFrom(...MODES), advanceMs: fc.integer({ min: 0, max: 20_000 }), approve: fc.boolean() });

test.prop([fc.array(step, { minLength: 1, maxLength: 40 })], { numRuns: 120 })("no minute sees more than max executions, however the upstream answers, fails or dies", async (steps) => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const policy = compile({ version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 2 }] } } });
  const w = await world(policy, undefined, clock, new MemoryCounterStore({ clock }));
  for (const [i, s] of steps.entries()) {
    await w.call(i, s.mode);
    await clock.advanceBy(s.advanceMs);
    await settle();
  }
  await clock.advanceBy(4 * TIMEOUT_MS);
  await w.close();
  const perMinute = new Map<number, number>();
  for (const at of w.executedAtMs) perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1);
  for (const n of perMinute.values()) expect(n).toBeLessThanOrEqual(2);
});

test.prop([fc.array(step, { minLength: 1, maxLength: 30 })], { numRuns: 120 })("one approval never executes twice, however the upstream answers, fails or dies", async (steps) => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const approvalStore = new MemoryApprovalStore({ clock });
  const gate = new ApprovalGate({ store: approvalStore, clock });
  const policy = compile({ version: "1", default: "deny", tools: { stop_salesbot: { approval: { ttl: "1d" } } } });
  const w = await world(policy, gate, clock, new MemoryCounterStore({ clock }));
  let approved = 0;
  for (const [i, s] of steps.entries()) {
    if (s.approve) {
      for (const record of await gate.list()) {
        if (record.state === "pending" && (await gate.decide(record.id, "approved")).ok) approved++;
      }
    }
    await w.call(i, s.mode);
    await clock.advanceBy(s.advanceMs);
    await settle();
  }
  await clock.advanceBy(4 * TIMEOUT_MS);
  gate.close();
  await w.close();
  expect(w.executedAtMs.length).toBeLessThanOrEqual(approved);
});
