/**
 * The HTTP front's stateless (2026-07-28) channel in process: a real loopback listener, gateways
 * over in-memory upstreams scripted per connection, a VirtualClock for the gateways' timers. The
 * channel learns the upstream's era from the gateway's era bridge.
 */
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { createGateway } from "../../../../src/gateway/gateway.js";
import { startHttpFront, type HttpFront } from "../../../../src/gateway/http/http-front.js";
import { createJsonLogger } from "../../../../src/gateway/logger.js";
import { Metrics } from "../../../../src/gateway/metrics.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../../../src/protocol/messages.js";
import { MemoryCounterStore } from "../../../../src/stores/memory-counter-store.js";
import { createLinkedPair } from "../../../../src/transports/in-memory.js";
import { policyOf } from "../gateway-fixture.js";
import { SharedPolicy } from "../../../../src/gateway/policy-source.js";

const META = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
const fronts: HttpFront[] = [];

afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

/** A front whose n-th upstream connection answers with `answer(n, request)`. */
async function startFront(
  answer: (connection: number, request: JsonRpcRequest) => JsonRpcMessage | undefined,
  policyValue: unknown = { version: "1", default: "allow" },
): Promise<{ front: HttpFront; opened: () => number; clock: VirtualClock }> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = new MemoryCounterStore({ clock });
  const policy = policyOf(policyValue);
  let connections = 0;
  const front = await startHttpFront({
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 65_536,
    allowedOrigins: [],
    checkHost: true,
    authenticate: () => ({ kind: "ok", grantId: "g" }),
    metrics: new Metrics(),
    metricsAccess: { kind: "open" },
    log: createJsonLogger({ write: () => {}, clock }),
    clock,
    openGateway: ({ grantId, sessionKey, downstream }) => {
      const connection = ++connections;
      const [up, server] = createLinkedPair();
      server.onmessage = (m) => {
        if (!("method" in m) || !("id" in m)) return;
        const reply = answer(connection, m as JsonRpcRequest);
        if (reply) void server.send(reply);
      };
      void server.start();
      return createGateway({ policies: new SharedPolicy(policy), grantId, sessionKey, clock, store, upstream: up, downstream, upstreamTimeoutMs: 5_000 });
    },
  });
  fronts.push(front);
  return { front, opened: () => connections, clock };
}

function post(front: HttpFront, id: number): Promise<Response> {
  return fetch(front.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: { _meta: META } }),
  });
}

test("an upstream that fails the first stateless probe is probed again on the next request, not refused for good", async () => {
  const { front, opened } = await startFront((connection, request) => {
    if (connection === 1) return { jsonrpc: "2.0", id: request.id, error: { code: -32603, message: "upstream warming up" } };
    if (request.method === "server/discover") return { jsonrpc: "2.0", id: request.id, result: { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete" } };
    return { jsonrpc: "2.0", id: request.id, result: { tools: [], resultType: "complete" } };
  });
  const first = await post(front, 1);
  expect(first.status).toBe(502);
  expect(await first.json()).toMatchObject({ id: 1, error: { message: expect.stringContaining("upstream warming up") } });
  const second = await post(front, 2);
  expect(second.status).toBe(200);
  expect(await second.json()).toMatchObject({ jsonrpc: "2.0", id: 2, result: { tools: [] } });
  expect(opened()).toBe(2);
});

test("an upstream that answers the probe without 2026-07-28 is refused with era_mismatch and not probed again", async () => {
  const { front, opened } = await startFront((_connection, request) => {
    if (request.method === "server/discover") return { jsonrpc: "2.0", id: request.id, result: { supportedVersions: ["2025-11-25"] } };
    return { jsonrpc: "2.0", id: request.id, error: { code: -32601, message: "no such method" } };
  });
  for (const id of [1, 2]) {
    const res = await post(front, id);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id, error: { data: { "toolgate/error": "era_mismatch" } } });
  }
  expect(opened()).toBe(1);
});

/** A 2026-07-28-only upstream: discover, a tool list, and a call that answers "ok". */
function modernUpstream(_connection: number, request: JsonRpcRequest): JsonRpcMessage {
  if (request.method === "server/discover") return { jsonrpc: "2.0", id: request.id, result: { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete" } };
  if (request.method === "tools/list") return { jsonrpc: "2.0", id: request.id, result: { tools: [{ name: "bad", inputSchema: { type: "object" } }], resultType: "complete" } };
  return { jsonrpc: "2.0", id: request.id, result: { content: [{ type: "text", text: "ok" }], resultType: "complete" } };
}

test("a sessionless request that names 2026-07-28 only in MCP-Protocol-Version is denied in the 2026-07-28 form", async () => {
  const { front } = await startFront(modernUpstream, { version: "1", default: "allow", tools: { bad: { deny_if: [{ conditions: [] }] } } });
  const res = await fetch(front.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "bad" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "bad", arguments: {} } }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ id: 3, result: { isError: true, resultType: "complete", _meta: { "toolgate/decision": { code: "denied" } } } });
});

test("an upstream that answers neither probe is refused as unavailable once the era bridge has given up on both, then asked again", async () => {
  const held: string[] = [];
  const { front, clock, opened } = await startFront((connection, request) => {
    if (connection > 1) return modernUpstream(connection, request);
    held.push(request.method);
    return undefined;
  });
  let first: Response | undefined;
  const pending = post(front, 1).then((res) => (first = res));
  await expect.poll(() => held).toEqual(["server/discover"]);
  await clock.advanceBy(5_000); // server/discover times out; the bridge tries initialize
  await expect.poll(() => held).toEqual(["server/discover", "initialize"]);
  expect(first).toBeUndefined();
  await clock.advanceBy(5_000);
  await pending;
  expect(first!.status).toBe(502);
  expect(await first!.json()).toEqual({
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32000, message: "bad gateway: the upstream MCP server did not answer `server/discover`: the upstream did not answer `server/discover` within 5000 ms; try again", data: { "toolgate/error": "upstream_unavailable" } },
  });
  const second = await post(front, 2);
  expect(second.status).toBe(200);
  expect(opened()).toBe(2);
});
