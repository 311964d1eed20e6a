/**
 * Per-request callers on the HTTP front: stateless 2026-07-28 requests of one grant and policy
 * share one gateway, yet each is decided with the claims of its own token and audited with its
 * own subject — even when they arrive together.
 */
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import type { AuditRecord } from "../../../../src/gateway/audit-log.js";
import { createGateway } from "../../../../src/gateway/gateway.js";
import { startHttpFront, type AuthOutcome, type HttpFront } from "../../../../src/gateway/http/http-front.js";
import { createJsonLogger } from "../../../../src/gateway/logger.js";
import { Metrics } from "../../../../src/gateway/metrics.js";
import { SharedPolicy } from "../../../../src/gateway/policy-source.js";
import type { JsonRpcRequest } from "../../../../src/protocol/messages.js";
import { MemoryCounterStore } from "../../../../src/stores/memory-counter-store.js";
import { createLinkedPair } from "../../../../src/transports/in-memory.js";
import { policyOf } from "../gateway-fixture.js";

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
const fronts: HttpFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

test("two callers of one grant on one stateless channel are each decided with their own claims and audited with their own sub", async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = new MemoryCounterStore({ clock });
  const policy = policyOf({ version: "1", default: "deny", tools: { t: { deny_if: [{ conditions: [{ path: "claims.sub", op: "eq", value: "bob" }], on_deny: "not bob" }] } } });
  const audit: AuditRecord[] = [];
  let gateways = 0;
  const authenticate = (authorization: string | undefined): Promise<AuthOutcome> => {
    const sub = authorization?.replace(/^Bearer /, "") ?? "";
    return Promise.resolve({ kind: "ok", grantId: "team", owner: "team\u0000p", caller: { claims: { sub }, subject: sub, clientId: "app", policyKey: "p" } });
  };
  const front = await startHttpFront({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 65_536,
    allowedOrigins: [],
    checkHost: true,
    metricsAccess: { kind: "open" },
    authenticate,
    metrics: new Metrics(),
    log: createJsonLogger({ write: () => {}, clock }),
    clock,
    openGateway: ({ grantId, sessionKey, downstream, callerOf }) => {
      gateways++;
      const [up, server] = createLinkedPair();
      server.onmessage = (m) => {
        if (!("method" in m) || !("id" in m)) return;
        const request = m as JsonRpcRequest;
        const result =
          request.method === "server/discover"
            ? { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete" }
            : request.method === "tools/list"
              ? { tools: [{ name: "t", inputSchema: { type: "object" } }], resultType: "complete" }
              : { content: [{ type: "text", text: "ran" }], resultType: "complete" };
        void server.send({ jsonrpc: "2.0", id: request.id, result });
      };
      void server.start();
      return createGateway({ policies: new SharedPolicy(policy), grantId, sessionKey, clock, store, upstream: up, downstream, upstreamTimeoutMs: 5_000, audit: (r) => audit.push(r), ...(callerOf ? { callerOf } : {}) });
    },
  });
  fronts.push(front);
  const call = (who: string, id: number) =>
    fetch(front.url, {
      method: "POST",
      headers: { authorization: `Bearer ${who}`, "content-type": "application/json", accept: "application/json", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "t" },
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "t", arguments: {}, _meta: META } }),
    }).then((r) => r.json() as Promise<{ result: { isError?: boolean; content: Array<{ text: string }> } }>);
  const [alice, bob] = await Promise.all([call("alice", 1), call("bob", 1)]);
  expect(alice.result.content[0]!.text).toBe("ran");
  expect(bob.result).toMatchObject({ isError: true, content: [{ text: "[POLICY DENIED] not bob" }] });
  expect(gateways).toBe(1);
  expect(audit.map((r) => [r.subject, r.clientId, r.grant, r.decision]).sort()).toEqual([
    ["alice", "app", "team", "allow"],
    ["bob", "app", "team", "deny"],
  ]);
});
