/**
 * An in-process gateway between a scripted client and a scripted upstream, on a VirtualClock.
 * The test sees every message each side receives and decides how the upstream answers.
 */
import { VirtualClock, settle } from "../../../src/core/virtual-clock.js";
import type { AuditRecord } from "../../../src/gateway/audit-log.js";
import { createGateway, type Gateway, type GatewayOptions } from "../../../src/gateway/gateway.js";
import { compilePolicy, type CompiledPolicy } from "../../../src/policy/load-policy.js";
import type { JsonObject, JsonRpcMessage, JsonRpcRequest } from "../../../src/protocol/messages.js";
import type { CounterStore } from "../../../src/stores/counter-store.js";
import { MemoryCounterStore } from "../../../src/stores/memory-counter-store.js";
import type { Transport } from "../../../src/protocol/transport.js";
import { createLinkedPair, type InMemoryTransport } from "../../../src/transports/in-memory.js";
import { SharedPolicy } from "../../../src/gateway/policy-source.js";

export const TOOLS = [
  { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
  { name: "stop_salesbot", inputSchema: { type: "object", properties: { bot_id: { type: "integer" }, entity_id: { type: "integer" } }, required: ["bot_id", "entity_id"] } },
  { name: "delete_everything", inputSchema: { type: "object", properties: {} } },
  { name: "dangerous", inputSchema: { type: "object", properties: {} } },
];

export const POLICY = {
  version: "1",
  default: "deny",
  hide: ["delete_everything"],
  tools: {
    echo: {},
    dangerous: { action: "deny", reason: "never" },
    stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 2, scope: "grant" }] },
  },
};

export function policyOf(value: unknown): CompiledPolicy {
  const parsed = compilePolicy(value);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** What the scripted upstream does with a request: answer a result, an error, or hold it. */
export type UpstreamAnswer = { result: JsonObject } | { error: { code: number; message: string } } | "hold";

export interface Fixture {
  readonly clock: VirtualClock;
  readonly gateway: Gateway;
  /** The policy the gateway reads on every decision; `set` is a hot reload. */
  readonly policies: SharedPolicy;
  readonly store: CounterStore;
  readonly audit: AuditRecord[];
  readonly logs: object[];
  /** Messages the client received / the upstream received, in order. */
  readonly toClient: JsonRpcMessage[];
  readonly toUpstream: JsonRpcMessage[];
  readonly client: InMemoryTransport;
  readonly server: InMemoryTransport;
  send(message: JsonRpcMessage): Promise<void>;
  /** Sends a request from the client and settles; returns what the client got for that id. */
  // Loosely typed on purpose: tests read into results whose shape they assert.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(id: string | number, method: string, params?: JsonObject): Promise<any>;
  answerFor(id: string | number): JsonRpcMessage | undefined;
  upstreamCalls(): JsonRpcRequest[];
}

export async function createFixture(
  options: { policy?: unknown; answer?: (request: JsonRpcRequest) => UpstreamAnswer | undefined; tools?: JsonObject[]; store?: CounterStore; wrapUpstream?: (upstream: Transport, clock: VirtualClock) => Transport } & Partial<Pick<GatewayOptions, "shadow" | "storeFailMode" | "upstreamTimeoutMs" | "grantId" | "sessionKey" | "budget">> = {},
): Promise<Fixture> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const [client, down] = createLinkedPair();
  const [up, server] = createLinkedPair();
  const toClient: JsonRpcMessage[] = [];
  const toUpstream: JsonRpcMessage[] = [];
  const audit: AuditRecord[] = [];
  const logs: object[] = [];
  const tools = options.tools ?? TOOLS;
  client.onmessage = (m) => toClient.push(m);
  server.onmessage = (m) => {
    toUpstream.push(m);
    if (!("method" in m) || !("id" in m)) return;
    const request = m as JsonRpcRequest;
    const custom = options.answer?.(request);
    const answer: UpstreamAnswer =
      custom ??
      (request.method === "tools/list"
        ? { result: { tools } }
        : request.method === "tools/call"
          ? { result: { content: [{ type: "text", text: `ran ${String(request.params?.name)}` }] } }
          : { result: {} });
    if (answer === "hold") return;
    void server.send({ jsonrpc: "2.0", id: request.id, ...answer } as JsonRpcMessage);
  };
  const store = options.store ?? new MemoryCounterStore({ clock });
  const policies = new SharedPolicy(options.policy === undefined ? policyOf(POLICY) : options.policy === null ? undefined : policyOf(options.policy));
  const gateway = createGateway({
    policies,
    grantId: "grantId" in options ? options.grantId : "alice",
    sessionKey: options.sessionKey ?? "conn_test",
    clock,
    store,
    upstream: options.wrapUpstream ? options.wrapUpstream(up, clock) : up,
    downstream: down,
    audit: (r) => audit.push(r),
    logger: (l) => logs.push(l),
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 5_000,
    shadow: options.shadow,
    storeFailMode: options.storeFailMode,
    ...(options.budget ? { budget: options.budget } : {}),
  });
  await client.start();
  await server.start();
  await gateway.start();
  const answerFor = (id: string | number) => toClient.find((m) => "id" in m && m.id === id && !("method" in m));
  return {
    clock,
    gateway,
    policies,
    store,
    audit,
    logs,
    toClient,
    toUpstream,
    client,
    server,
    async send(message) {
      await client.send(message);
      await settle();
    },
    async call(id, method, params) {
      await client.send({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });
      await settle();
      return answerFor(id);
    },
    answerFor,
    upstreamCalls: () => toUpstream.filter((m): m is JsonRpcRequest => "method" in m && m.method === "tools/call"),
  };
}

export function decisionOf(message: JsonRpcMessage | undefined): Record<string, unknown> | undefined {
  if (!message || !("result" in message)) return undefined;
  const meta = message.result._meta as Record<string, Record<string, unknown>> | undefined;
  return meta?.["toolgate/decision"];
}
