/**
 * The bridge over the Streamable HTTP client transport, against scripted upstreams on a loopback
 * socket that record every POST's headers: which HTTP headers each era's upstream receives, and
 * a 2025-era server's sessionless refusal (HTTP 400, `"id": null`) answering the probe at once.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { EraBridge } from "../../../../src/gateway/bridge/era-bridge.js";
import type { JsonRpcMessage, JsonRpcRequest } from "../../../../src/protocol/messages.js";
import { HttpClientTransport } from "../../../../src/transports/http-client-transport.js";

interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly body: JsonRpcRequest;
}

type Reply = { status: number; body: object; headers?: Record<string, string> };

const servers: Server[] = [];
const bridges: EraBridge[] = [];

afterEach(async () => {
  await Promise.allSettled(bridges.splice(0).map((b) => b.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function upstream(reply: (body: JsonRpcRequest, headers: IncomingHttpHeaders) => Reply | undefined): Promise<{ url: URL; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (c: string) => (text += c));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(405).end();
        return;
      }
      const body = JSON.parse(text) as JsonRpcRequest;
      seen.push({ headers: req.headers, body });
      const r = reply(body, req.headers);
      if (r === undefined) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(r.status, { "content-type": "application/json", ...r.headers }).end(JSON.stringify(r.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), seen };
}

async function bridgeTo(url: URL): Promise<{ bridge: EraBridge; answers: JsonRpcMessage[]; answerFor(id: number): Promise<JsonRpcMessage> }> {
  const bridge = new EraBridge({ upstream: new HttpClientTransport({ url }), clock: new VirtualClock(0), probeTimeoutMs: 60_000, log: () => {} });
  bridges.push(bridge);
  const answers: JsonRpcMessage[] = [];
  const waiters: Array<() => void> = [];
  bridge.onmessage = (m) => {
    answers.push(m);
    for (const w of waiters.splice(0)) w();
  };
  await bridge.start();
  // Waits on answers only; the test's own timeout bounds the wait.
  const answerFor = async (id: number): Promise<JsonRpcMessage> => {
    for (;;) {
      const found = answers.find((m) => "id" in m && m.id === id);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { bridge, answers, answerFor };
}

const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "m", version: "2" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

test("a 2025 agent's call to a 2026-07-28-only HTTP upstream carries MCP-Protocol-Version, Mcp-Method and Mcp-Name and no session", async () => {
  const up = await upstream((body) => {
    if (body.method === "initialize") return { status: 400, body: { jsonrpc: "2.0", id: body.id, error: { code: -32022, message: "Unsupported protocol version: 2025-11-25", data: { supported: ["2026-07-28"] } } } };
    if (body.method === "server/discover") return { status: 200, body: { jsonrpc: "2.0", id: body.id, result: { supportedVersions: ["2026-07-28"], capabilities: {}, resultType: "complete" } } };
    return { status: 200, body: { jsonrpc: "2.0", id: body.id, result: { content: [], resultType: "complete" } } };
  });
  const b = await bridgeTo(up.url);
  await b.bridge.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "l", version: "1" } } });
  expect(await b.answerFor(1)).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
  b.bridge.setProtocolVersion("2025-11-25");
  await b.bridge.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "stop_salesbot", arguments: {} } });
  expect(await b.answerFor(2)).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [] } });
  const call = up.seen.find((s) => s.body.method === "tools/call")!;
  expect(call.headers["mcp-protocol-version"]).toBe("2026-07-28");
  expect(call.headers["mcp-method"]).toBe("tools/call");
  expect(call.headers["mcp-name"]).toBe("stop_salesbot");
  expect(call.headers["mcp-session-id"]).toBeUndefined();
});

test("a 2026-07-28 agent's call to a 2025-only HTTP upstream carries the session and its revision, and no Mcp-Method or Mcp-Name", async () => {
  const up = await upstream((body, headers) => {
    if (body.method === "initialize") return { status: 200, body: { jsonrpc: "2.0", id: body.id, result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } } }, headers: { "mcp-session-id": "sess-1" } };
    if (headers["mcp-session-id"] !== "sess-1") return { status: 400, body: { jsonrpc: "2.0", id: null, error: { code: -32000, message: "Bad Request: Server not initialized" } } };
    if (!("id" in body)) return undefined;
    return { status: 200, body: { jsonrpc: "2.0", id: body.id, result: { content: [] } } };
  });
  const b = await bridgeTo(up.url);
  await b.bridge.send({ jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: MODERN_META } });
  // The sessionless refusal names no id; it still answers the probe (no wait for the 60 s timeout).
  expect(await b.answerFor(1)).toMatchObject({ result: { supportedVersions: ["2026-07-28"], resultType: "complete" } });
  await b.bridge.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "stop_salesbot", arguments: {}, _meta: MODERN_META } });
  expect(await b.answerFor(2)).toMatchObject({ result: { content: [], resultType: "complete" } });
  const call = up.seen.find((s) => s.body.method === "tools/call")!;
  expect(call.headers["mcp-session-id"]).toBe("sess-1");
  expect(call.headers["mcp-protocol-version"]).toBe("2025-06-18");
  expect(call.headers["mcp-method"]).toBeUndefined();
  expect(call.headers["mcp-name"]).toBeUndefined();
  expect(call.body.params).toEqual({ name: "stop_salesbot", arguments: {} });
  expect(up.seen.map((s) => s.body.method)).toEqual(["server/discover", "initialize", "notifications/initialized", "tools/call"]);
});
