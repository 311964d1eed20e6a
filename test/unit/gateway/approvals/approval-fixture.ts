/**
 * Gateways with one shared `ApprovalGate` on a VirtualClock: one connection per grant, a scripted
 * upstream per connection, every audit line (decision and approval lines) in one list.
 */
import { settle, VirtualClock } from "../../../../src/core/virtual-clock.js";
import { ApprovalGate, type ApprovalGateOptions } from "../../../../src/gateway/approvals/approval-gate.js";
import type { ApprovalAuditRecord } from "../../../../src/gateway/approvals/approval-audit.js";
import type { AuditRecord } from "../../../../src/gateway/audit-log.js";
import { createGateway, type Gateway } from "../../../../src/gateway/gateway.js";
import type { JsonObject, JsonRpcMessage, JsonRpcRequest } from "../../../../src/protocol/messages.js";
import type { ApprovalStore } from "../../../../src/stores/approval-store.js";
import type { CounterStore } from "../../../../src/stores/counter-store.js";
import { MemoryApprovalStore } from "../../../../src/stores/memory-approval-store.js";
import { MemoryCounterStore } from "../../../../src/stores/memory-counter-store.js";
import { createLinkedPair } from "../../../../src/transports/in-memory.js";
import { policyOf, TOOLS, type UpstreamAnswer } from "../gateway-fixture.js";
import { SharedPolicy } from "../../../../src/gateway/policy-source.js";

export const APPROVAL_POLICY = {
  version: "1",
  default: "deny",
  tools: {
    echo: {},
    stop_salesbot: { approval: { ttl: "10m" }, limits: [{ counter: "stop_rate", window: "hour", max: 3 }] },
  },
};

export const TTL_MS = 600_000;

export interface Connection {
  readonly gateway: Gateway;
  readonly toClient: JsonRpcMessage[];
  /** Sends a request and settles; returns the client's answer for that id (undefined while held). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(id: string | number, params: JsonObject): Promise<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  answerFor(id: string | number): any;
  send(message: JsonRpcMessage): Promise<void>;
  upstreamCalls(): JsonRpcRequest[];
}

export interface ApprovalFixture {
  readonly clock: VirtualClock;
  readonly gate: ApprovalGate;
  /** The policy every connection reads on each decision; `set` is a hot reload. */
  readonly policies: SharedPolicy;
  readonly approvalStore: ApprovalStore;
  readonly counters: CounterStore;
  readonly audit: Array<AuditRecord | ApprovalAuditRecord>;
  readonly logs: object[];
  connect(grantId: string, answer?: (request: JsonRpcRequest) => UpstreamAnswer | undefined): Promise<Connection>;
  /** Lines of the audit that are approval lines. */
  approvalLines(): ApprovalAuditRecord[];
  decisionLines(): AuditRecord[];
}

export async function createApprovalFixture(
  options: { policy?: unknown; shadow?: boolean; approvalStore?: ApprovalStore } & Partial<Pick<ApprovalGateOptions, "mode" | "holdTimeoutMs" | "pollMs">> = {},
): Promise<ApprovalFixture> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const audit: Array<AuditRecord | ApprovalAuditRecord> = [];
  const logs: object[] = [];
  const approvalStore = options.approvalStore ?? new MemoryApprovalStore({ clock });
  const gate = new ApprovalGate({
    store: approvalStore,
    clock,
    audit: (r) => audit.push(r),
    log: (l) => logs.push(l),
    ...(options.mode ? { mode: options.mode } : {}),
    ...(options.holdTimeoutMs ? { holdTimeoutMs: options.holdTimeoutMs } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
  });
  const counters = new MemoryCounterStore({ clock });
  const policies = new SharedPolicy(policyOf(options.policy ?? APPROVAL_POLICY));
  return {
    clock,
    gate,
    policies,
    approvalStore,
    counters,
    audit,
    logs,
    approvalLines: () => audit.filter((r): r is ApprovalAuditRecord => "event" in r),
    decisionLines: () => audit.filter((r): r is AuditRecord => !("event" in r)),
    async connect(grantId, answer) {
      const [client, down] = createLinkedPair();
      const [up, server] = createLinkedPair();
      const toClient: JsonRpcMessage[] = [];
      const toUpstream: JsonRpcMessage[] = [];
      client.onmessage = (m) => toClient.push(m);
      server.onmessage = (m) => {
        toUpstream.push(m);
        if (!("method" in m) || !("id" in m)) return;
        const request = m as JsonRpcRequest;
        const custom = answer?.(request);
        const reply: UpstreamAnswer =
          custom ??
          (request.method === "tools/list" ? { result: { tools: TOOLS } } : { result: { content: [{ type: "text", text: `ran ${String(request.params?.name)}` }] } });
        if (reply === "hold") return;
        void server.send({ jsonrpc: "2.0", id: request.id, ...reply } as JsonRpcMessage);
      };
      const gateway = createGateway({
        policies,
        grantId,
        sessionKey: `conn_${grantId}`,
        clock,
        store: counters,
        upstream: up,
        downstream: down,
        audit: (r) => audit.push(r),
        logger: (l) => logs.push(l),
        upstreamTimeoutMs: 5_000,
        shadow: options.shadow ?? false,
        approvals: gate,
      });
      await client.start();
      await server.start();
      await gateway.start();
      const answerFor = (id: string | number) => toClient.find((m) => "id" in m && m.id === id && !("method" in m));
      return {
        gateway,
        toClient,
        async call(id, params) {
          await client.send({ jsonrpc: "2.0", id, method: "tools/call", params });
          await settle();
          return answerFor(id);
        },
        answerFor,
        async send(message) {
          await client.send(message);
          await settle();
        },
        upstreamCalls: () => toUpstream.filter((m): m is JsonRpcRequest => "method" in m && m.method === "tools/call"),
      };
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function textOf(answer: any): string {
  return answer?.result?.content?.[0]?.text ?? "";
}
