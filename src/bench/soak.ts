/**
 * The soak: many calls through one in-process gateway on the memory store, on a `VirtualClock`
 * that moves forward as the calls go, so counters live through thousands of windows (second,
 * minute, hour and a 7-second window, in grant, session and global scope). The upstream is a
 * trivial in-process responder and the agent a raw JSON-RPC client, both on in-memory transports,
 * so what grows is the gateway's. RSS (after a forced GC when `--expose-gc` is on) is taken after
 * the checkpoint and at the end: ended windows must be collected, memory must stay flat.
 */
import { monotonicNs } from "../core/clock.js";
import { VirtualClock } from "../core/virtual-clock.js";
import { createGateway } from "../gateway/gateway.js";
import { SharedPolicy } from "../gateway/policy-source.js";
import type { JsonObject, JsonRpcMessage, JsonRpcRequest } from "../protocol/messages.js";
import { MemoryCounterStore } from "../stores/memory-counter-store.js";
import { InMemoryTransport } from "../transports/in-memory.js";
import { compileOrThrow } from "./evaluator-bench.js";
import { BENCH_TOOL } from "./upstream-server.js";

export interface SoakPlan {
  readonly totalCalls: number;
  readonly checkpointCalls: number;
  readonly inflight: number;
  /** Calls between clock moves, and how far each move goes. */
  readonly callsPerStep: number;
  readonly stepMs: number;
  /** Bound on the whole soak (real time). */
  readonly boundMs: number;
}

export interface MemoryPoint {
  readonly calls: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly liveSlots: number;
}

export interface SoakReport {
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly virtualSpanMs: number;
  readonly secondWindowsCrossed: number;
  readonly gcForced: boolean;
  readonly start: MemoryPoint;
  readonly checkpoint: MemoryPoint;
  readonly end: MemoryPoint;
  /** end.rss / checkpoint.rss − 1 */
  readonly rssGrowth: number;
  readonly heapGrowth: number;
  readonly usPerCall: number;
  readonly boundHit: boolean;
}

export const SOAK_POLICY = {
  version: "1",
  default: "deny",
  all_tools: { limits: [{ counter: "all_calls_hourly", window: "hour", max: 1_000_000_000, scope: "global" }] },
  tools: {
    [BENCH_TOOL]: {
      limits: [
        { counter: "stop_salesbot_rate", window: "minute", max: 1_000_000_000, scope: "grant" },
        { counter: "stop_salesbot_per_second", window: "second", max: 1_000_000_000, scope: "session" },
        { counter: "stop_salesbot_7s", window: 7, max: 1_000_000_000, scope: "global" },
      ],
    },
  },
} as const;

/** A trivial upstream: answers initialize, tools/list and stop_salesbot at once. */
function serveTrivialUpstream(transport: InMemoryTransport): void {
  transport.onmessage = (message: JsonRpcMessage) => {
    if (!("method" in message) || !("id" in message)) return;
    const request = message as JsonRpcRequest;
    const reply = (result: JsonObject): void => void transport.send({ jsonrpc: "2.0", id: request.id, result });
    switch (request.method) {
      case "initialize":
        return reply({ protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "soak-upstream", version: "1.0.0" } });
      case "tools/list":
        return reply({ tools: [{ name: BENCH_TOOL, inputSchema: { type: "object", properties: { bot_id: { type: "number" } }, required: ["bot_id"] } }] });
      case "tools/call": {
        const args = (request.params?.arguments ?? {}) as { bot_id?: unknown };
        return reply({ content: [{ type: "text", text: `stopped ${String(args.bot_id)}` }] });
      }
      default:
        return void transport.send({ jsonrpc: "2.0", id: request.id, error: { code: -32601, message: "method not found" } });
    }
  };
}

export async function runSoak(plan: SoakPlan): Promise<SoakReport> {
  const clock = new VirtualClock();
  const startMs = clock.nowMs();
  const store = new MemoryCounterStore({ clock });
  const [agentSide, gatewayDown] = InMemoryTransport.createLinkedPair();
  const [gatewayUp, upstreamSide] = InMemoryTransport.createLinkedPair();
  serveTrivialUpstream(upstreamSide);
  await upstreamSide.start();
  const gateway = createGateway({ policies: new SharedPolicy(compileOrThrow(SOAK_POLICY)), grantId: "soak", clock, store, upstream: gatewayUp, downstream: gatewayDown });
  await gateway.start();

  const waiting = new Map<number, (message: JsonRpcMessage) => void>();
  agentSide.onmessage = (message) => {
    const id = (message as { id?: unknown }).id;
    if (typeof id === "number") {
      const resolve = waiting.get(id);
      waiting.delete(id);
      resolve?.(message);
    }
  };
  await agentSide.start();
  let nextId = 1;
  const request = (method: string, params: JsonObject): Promise<JsonRpcMessage> => {
    const id = nextId++;
    const answer = new Promise<JsonRpcMessage>((resolve) => waiting.set(id, resolve));
    void agentSide.send({ jsonrpc: "2.0", id, method, params });
    return answer;
  };
  await request("initialize", { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "soak", version: "1.0.0" } });
  await agentSide.send({ jsonrpc: "2.0", method: "notifications/initialized" });

  let errors = 0;
  let firstError: string | undefined;
  let done = 0;
  const call = async (botId: number): Promise<void> => {
    const answer = (await request("tools/call", { name: BENCH_TOOL, arguments: { bot_id: botId } })) as { result?: { content?: { text?: string }[]; isError?: boolean } };
    const text = answer.result?.content?.[0]?.text;
    if (answer.result?.isError === true || text !== `stopped ${botId}`) {
      errors++;
      firstError ??= JSON.stringify(answer).slice(0, 300);
    }
    done++;
  };
  const gcForced = typeof globalThis.gc === "function";
  const measure = (): MemoryPoint => {
    globalThis.gc?.();
    const usage = process.memoryUsage();
    return { calls: done, rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, liveSlots: store.slotCount() };
  };

  const start = measure();
  let checkpoint: MemoryPoint | undefined;
  const boundNs = monotonicNs() + BigInt(plan.boundMs) * 1_000_000n;
  const t0 = monotonicNs();
  let boundHit = false;
  let issued = 0;
  while (issued < plan.totalCalls) {
    if (monotonicNs() > boundNs) {
      boundHit = true;
      break;
    }
    const batch = Math.min(plan.callsPerStep, plan.totalCalls - issued);
    const workers = Math.min(plan.inflight, batch);
    let left = batch;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (left > 0) {
          left--;
          await call(issued++);
        }
      }),
    );
    await clock.advanceBy(plan.stepMs);
    if (checkpoint === undefined && done >= plan.checkpointCalls) checkpoint = measure();
  }
  const elapsedUs = Number(monotonicNs() - t0) / 1_000;
  const end = measure();
  checkpoint ??= end;
  await gateway.close();
  await store.close();
  return {
    calls: done,
    errors,
    firstError,
    virtualSpanMs: clock.nowMs() - startMs,
    secondWindowsCrossed: Math.floor((clock.nowMs() - startMs) / 1_000),
    gcForced,
    start,
    checkpoint,
    end,
    rssGrowth: end.rssBytes / checkpoint.rssBytes - 1,
    heapGrowth: end.heapUsedBytes / checkpoint.heapUsedBytes - 1,
    usPerCall: elapsedUs / Math.max(1, done),
    boundHit,
  };
}
