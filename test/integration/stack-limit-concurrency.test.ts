/**
 * A stack-wide limit shared by tools of two servers holds exactly under 200 concurrent calls: two
 * gateway replicas, each fronting the same two scripted servers through its own aggregating
 * upstream, share one counter store — in memory, and on the real Redis. The servers count what
 * they executed; that count is the ground truth.
 */
import { expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createGateway } from "../../src/gateway/gateway.js";
import { PolicyTable } from "../../src/gateway/policy-source.js";
import { NO_SERVER } from "../../src/gateway/server-naming.js";
import { StackNaming } from "../../src/gateway/stack/stack-naming.js";
import { StackUpstream } from "../../src/gateway/stack/stack-upstream.js";
import { compilePolicy, type CompiledPolicy } from "../../src/policy/load-policy.js";
import { compileStackLimits, withStackLimits } from "../../src/policy/stack-limits.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../src/protocol/messages.js";
import type { CounterStore } from "../../src/stores/counter-store.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";
import { RedisCounterStore } from "../../src/stores/redis-counter-store.js";
import { createLinkedPair } from "../../src/transports/in-memory.js";
import { useRedisTestDb } from "../helpers/redis-test-db.js";

const MAX = 50;
const CALLS_PER_REPLICA = 100;
const redis = useRedisTestDb();

function policy(value: unknown): CompiledPolicy {
  const parsed = compilePolicy(value);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** An MCP server with one tool, `create_lead`, that records every call it executes. */
function scriptedServer(name: string, executed: string[]) {
  const [gatewaySide, serverSide] = createLinkedPair();
  serverSide.onmessage = (m: JsonRpcMessage) => {
    if (!("method" in m) || !("id" in m)) return;
    const r = m as JsonRpcRequest;
    const answer = (result: unknown) => void serverSide.send({ jsonrpc: "2.0", id: r.id, result } as JsonRpcMessage);
    if (r.method === "initialize") return answer({ protocolVersion: (r.params as { protocolVersion: string }).protocolVersion, capabilities: { tools: {} }, serverInfo: { name, version: "1" } });
    if (r.method === "tools/list") return answer({ tools: [{ name: "create_lead", inputSchema: { type: "object" } }] });
    if (r.method === "tools/call") {
      executed.push(name);
      return answer({ content: [{ type: "text", text: `${name} created a lead` }] });
    }
    void serverSide.send({ jsonrpc: "2.0", id: r.id, error: { code: -32601, message: "no such method" } } as JsonRpcMessage);
  };
  void serverSide.start();
  return gatewaySide;
}

async function replica(store: CounterStore, clock: VirtualClock, executed: string[]) {
  const naming = new StackNaming(["kommo", "crm2"], "__");
  const limits = compileStackLimits([{ limit: { counter: "creations", window: "minute", max: MAX, scope: "global" }, tools: ["*/create_lead"], rule: "/stack/limits/0" }]);
  const policies = new PolicyTable();
  for (const server of ["kommo", "crm2"]) policies.set("agent", withStackLimits(policy({ version: "1", default: "deny", tools: { create_lead: {} } }), limits), server);
  policies.set("agent", policy({ version: "1", default: "deny" }), NO_SERVER);
  const upstream = new StackUpstream({
    servers: ["kommo", "crm2"].map((name) => ({ name, open: () => scriptedServer(name, executed), onStartFailure: "fail" as const })),
    naming,
    clock,
    probeTimeoutMs: 5_000,
    log: () => {},
    serverInfo: { name: "toolgate", version: "test" },
  });
  const [client, downstream] = createLinkedPair();
  const waiting = new Map<number, (m: Record<string, any>) => void>();
  client.onmessage = (m: JsonRpcMessage) => {
    if ("id" in m && typeof m.id === "number" && !("method" in m)) waiting.get(m.id)?.(m as Record<string, any>);
  };
  const gateway = createGateway({ policies, naming, bridgeEras: false, grantId: "agent", clock, store, upstream, downstream, upstreamTimeoutMs: 30_000 });
  await client.start();
  await gateway.start();
  let nextId = 1;
  const request = (method: string, params: Record<string, unknown>) =>
    new Promise<Record<string, any>>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      void client.send({ jsonrpc: "2.0", id, method, params } as JsonRpcMessage);
    });
  const init = await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "agent", version: "1" } });
  expect(init.result.serverInfo.name).toBe("toolgate");
  await client.send({ jsonrpc: "2.0", method: "notifications/initialized" } as JsonRpcMessage);
  return { request, close: () => gateway.close() };
}

async function run(store: CounterStore, clock: VirtualClock) {
  const executed: string[] = [];
  const replicas = [await replica(store, clock, executed), await replica(store, clock, executed)];
  const answers = await Promise.all(
    replicas.flatMap((r) => Array.from({ length: CALLS_PER_REPLICA }, (_, i) => r.request("tools/call", { name: i % 2 === 0 ? "kommo__create_lead" : "crm2__create_lead", arguments: {} }))),
  );
  await Promise.all(replicas.map((r) => r.close()));
  const codes = answers.map((a) => a.result?._meta?.["toolgate/decision"]?.code ?? (a.error ? `error ${a.error.message}` : "allow"));
  return { executed, codes };
}

test("in memory: two replicas, 200 concurrent calls over two servers' tools, exactly max executed", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 10));
  const { executed, codes } = await run(new MemoryCounterStore({ clock }), clock);
  expect(executed).toHaveLength(MAX);
  expect(new Set(executed)).toEqual(new Set(["kommo", "crm2"]));
  expect(codes.filter((c) => c === "allow")).toHaveLength(MAX);
  expect(codes.filter((c) => c === "rate_limited")).toHaveLength(2 * CALLS_PER_REPLICA - MAX);
}, 60_000);

test("on Redis: two replicas on one Redis, 200 concurrent calls, exactly max executed", async () => {
  redis.assertReachable();
  const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 10));
  const store = redis.track(await RedisCounterStore.connect({ url: redis.url, keyPrefix: redis.prefix, timeSource: clock, commandTimeoutMs: 10_000 }));
  const { executed, codes } = await run(store, clock);
  expect(executed).toHaveLength(MAX);
  expect(codes.filter((c) => c === "allow")).toHaveLength(MAX);
  expect(codes.filter((c) => c === "rate_limited")).toHaveLength(2 * CALLS_PER_REPLICA - MAX);
}, 60_000);
