/**
 * A fuzz of random JSON-RPC frames, garbage values and framing errors through an in-process
 * gateway (in-memory transports, VirtualClock), with an upstream that answers, fails or hangs at
 * random. Properties: nothing escapes the gateway's handlers (no internal error is ever logged,
 * nothing throws), and no governed call reaches the upstream unchecked: every tools/call the
 * upstream sees names an allowed tool, carries arguments valid against that tool's inputSchema
 * and free of prototype keys, and no minute admits more successful stops than the limit.
 */
import { fc, test } from "@fast-check/vitest";
import { Ajv } from "ajv";
import { expect } from "vitest";
import { VirtualClock, settle } from "../../src/core/virtual-clock.js";
import { createGateway } from "../../src/gateway/gateway.js";
import { findArgumentProblem } from "../../src/gateway/unsafe-keys.js";
import { compilePolicy } from "../../src/policy/load-policy.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../src/protocol/messages.js";
import { FrameError } from "../../src/protocol/transport.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";
import { createLinkedPair } from "../../src/transports/in-memory.js";
import { SharedPolicy } from "../../src/gateway/policy-source.js";

const TOOLS = [
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
  { name: "stop_salesbot", inputSchema: { type: "object", properties: { bot_id: { type: "integer" }, entity_id: { type: "integer" } }, required: ["bot_id", "entity_id"] } },
  { name: "delete_everything", inputSchema: { type: "object" } },
  { name: "run_salesbot", inputSchema: { type: "object" } },
];
const compiled = compilePolicy({
  version: "1",
  default: "deny",
  hide: ["delete_everything"],
  tools: { echo: {}, stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 2 }] } },
});
if (!compiled.ok) throw new Error("fixture policy is invalid");
const POLICY = compiled.value;
const MAX_STOPS_PER_MINUTE = 2;
const ALLOWED = new Set(["echo", "stop_salesbot"]);
const ajv = new Ajv({ strict: false });
const validators = new Map(TOOLS.map((t) => [t.name, ajv.compile(t.inputSchema)]));

const names = fc.constantFrom("echo", "stop_salesbot", "delete_everything", "run_salesbot", "Echo", "stop_salesbot ", "stop_sаlesbot", "", "tools/call");
const id = fc.oneof(fc.integer({ min: -3, max: 20 }), fc.constantFrom("a", "b", "1"));
const args = fc.oneof(
  fc.record({ text: fc.string() }),
  fc.record({ bot_id: fc.integer(), entity_id: fc.integer() }),
  fc.record({ bot_id: fc.oneof(fc.integer(), fc.string(), fc.double()), entity_id: fc.jsonValue() }, { requiredKeys: [] }),
  fc.constantFrom(JSON.parse('{"text":"x","__proto__":{"admin":true}}'), JSON.parse('{"bot_id":1,"entity_id":2,"n":{"constructor":{}}}')),
  fc.jsonValue(),
);
const wellFormedCall = fc.oneof(
  fc.record({ name: fc.constant("echo"), arguments: fc.record({ text: fc.string({ maxLength: 5 }) }) }),
  fc.record({ name: fc.constant("stop_salesbot"), arguments: fc.record({ bot_id: fc.integer(), entity_id: fc.integer() }) }),
);
const downstreamFrame = fc.oneof(
  { weight: 6, arbitrary: fc.record({ jsonrpc: fc.constant("2.0"), id, method: fc.constant("tools/call"), params: wellFormedCall }) },
  { weight: 4, arbitrary: fc.record({ jsonrpc: fc.constant("2.0"), id, method: fc.constant("tools/call"), params: fc.record({ name: names, arguments: args }, { requiredKeys: ["name"] }) }) },
  fc.record({ jsonrpc: fc.constant("2.0"), id, method: fc.constantFrom("tools/list", "ping", "initialize", "resources/list") }),
  fc.record({ jsonrpc: fc.constant("2.0"), method: fc.constant("notifications/cancelled"), params: fc.record({ requestId: id }) }),
  fc.record({ jsonrpc: fc.constant("2.0"), id, result: fc.dictionary(fc.string(), fc.jsonValue()) }),
  fc.record({ jsonrpc: fc.constantFrom("2.0", "1.0"), id: fc.jsonValue(), method: fc.oneof(fc.string(), fc.jsonValue()), params: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const step = fc.oneof(
  { weight: 6, arbitrary: downstreamFrame.map((frame) => ({ kind: "down" as const, frame })) },
  { weight: 1, arbitrary: fc.constantFrom<FrameError["kind"]>("parse_error", "too_large").map((error) => ({ kind: "frame-error" as const, error })) },
  { weight: 1, arbitrary: fc.jsonValue().map((frame) => ({ kind: "up" as const, frame })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((ms) => ({ kind: "advance" as const, ms })) },
);
const upstreamMode = fc.constantFrom("result", "tool-error", "rpc-error", "hold");

test.prop([fc.array(step, { minLength: 10, maxLength: 50 }), fc.array(upstreamMode, { minLength: 1, maxLength: 8 })], { numRuns: 150 })(
  "random frames never crash the gateway and never let a governed call through unchecked",
  async (steps, modes) => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const [client, down] = createLinkedPair();
    const [up, server] = createLinkedPair();
    const logs: Array<Record<string, unknown>> = [];
    const forwarded: Array<{ request: JsonRpcRequest; atMs: number; mode: string }> = [];
    let callNo = 0;
    client.onmessage = () => {};
    server.onmessage = (m: JsonRpcMessage) => {
      if (!("method" in m) || !("id" in m)) return;
      const request = m as JsonRpcRequest;
      if (request.method === "tools/list") return void server.send({ jsonrpc: "2.0", id: request.id, result: { tools: TOOLS } });
      if (request.method !== "tools/call") return void server.send({ jsonrpc: "2.0", id: request.id, result: {} });
      const mode = modes[callNo++ % modes.length]!;
      forwarded.push({ request, atMs: clock.nowMs(), mode });
      if (mode === "result") void server.send({ jsonrpc: "2.0", id: request.id, result: { content: [] } });
      if (mode === "tool-error") void server.send({ jsonrpc: "2.0", id: request.id, result: { content: [], isError: true } });
      if (mode === "rpc-error") void server.send({ jsonrpc: "2.0", id: request.id, error: { code: -32000, message: "no" } });
    };
    const gateway = createGateway({
      policies: new SharedPolicy(POLICY),
      grantId: "g",
      clock,
      store: new MemoryCounterStore({ clock }),
      upstream: up,
      downstream: down,
      upstreamTimeoutMs: 10_000,
      logger: (line) => logs.push(line as Record<string, unknown>),
      audit: () => {},
    });
    await client.start();
    await server.start();
    await gateway.start();
    for (const s of steps) {
      if (s.kind === "down") await client.send(s.frame as unknown as JsonRpcMessage);
      else if (s.kind === "up") await server.send(s.frame as unknown as JsonRpcMessage);
      else if (s.kind === "frame-error") down.onerror?.(new FrameError(s.error, "fuzzed"));
      else await clock.advanceBy(s.ms);
      await settle();
    }
    await clock.advanceBy(60_000);
    await gateway.close();

    expect(logs.filter((l) => l.event === "internal_error" || l.event === "decision_failed")).toEqual([]);
    const successfulStopsPerMinute = new Map<number, number>();
    for (const { request, atMs, mode } of forwarded) {
      const name = request.params?.name as string;
      const callArgs = (request.params?.arguments ?? {}) as Record<string, unknown>;
      expect(ALLOWED.has(name), `forwarded ${JSON.stringify(name)}`).toBe(true);
      expect(validators.get(name)!(callArgs), `forwarded invalid arguments ${JSON.stringify(callArgs)}`).toBe(true);
      expect(findArgumentProblem(callArgs)).toBeUndefined();
      if (name === "stop_salesbot" && (mode === "result" || mode === "tool-error")) {
        const minute = Math.floor(atMs / 60_000);
        successfulStopsPerMinute.set(minute, (successfulStopsPerMinute.get(minute) ?? 0) + 1);
      }
    }
    for (const count of successfulStopsPerMinute.values()) expect(count).toBeLessThanOrEqual(MAX_STOPS_PER_MINUTE);
  },
);
