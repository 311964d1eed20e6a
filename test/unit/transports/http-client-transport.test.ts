/**
 * The Streamable HTTP client transport against raw loopback servers that misbehave: an upstream
 * that dies in the middle of an answer, and one that never answers the DELETE that ends a session.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, test } from "vitest";
import type { JsonRpcMessage } from "../../../src/protocol/messages.js";
import { HttpClientTransport } from "../../../src/transports/http-client-transport.js";

const servers: Server[] = [];
const transports: HttpClientTransport[] = [];

afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((t) => t.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<URL> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

function connect(url: URL, options: { closeTimeoutMs?: number } = {}): { transport: HttpClientTransport; received: JsonRpcMessage[] } {
  const transport = new HttpClientTransport({ url, ...options });
  transports.push(transport);
  const received: JsonRpcMessage[] = [];
  transport.onmessage = (m) => void received.push(m);
  transport.onerror = () => {};
  return { transport, received };
}

/** Bounded polling for I/O on loopback (no virtual time involved). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => process.nextTick(resolve));
    if (i > 50) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const CALL = { jsonrpc: "2.0" as const, id: 7, method: "tools/call", params: { name: "slow", arguments: {} } };

test("an upstream that dies in the middle of an event stream answers the request with an error at once", async () => {
  const url = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } })}\n\n`);
    setImmediate(() => res.socket?.destroy());
  });
  const { transport, received } = connect(url);
  await transport.send(CALL);
  await until(() => received.some((m) => "id" in m && m.id === 7), "the error answer");
  expect(received.find((m) => "id" in m && m.id === 7)).toMatchObject({ id: 7, error: { code: -32603, data: { "toolgate/error": "upstream_unreachable" } } });
});

test("an upstream that dies in the middle of a JSON body answers the request with an error at once", async () => {
  const url = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
    res.write('{"jsonrpc":"2.0","id":7,"result":{"content":[');
    setImmediate(() => res.socket?.destroy());
  });
  const { transport, received } = connect(url);
  await transport.send(CALL);
  await until(() => received.some((m) => "id" in m && m.id === 7), "the error answer");
  expect(received.find((m) => "id" in m && m.id === 7)).toMatchObject({ id: 7, error: { data: { "toolgate/error": "upstream_unreachable" } } });
});

test("an event stream that carries the answer and then ends is not answered twice", async () => {
  const url = await serve((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      const id = (JSON.parse(body) as { id: number }).id;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id, result: { content: [] } })}\n\n`);
    });
  });
  const { transport, received } = connect(url);
  await transport.send(CALL);
  await transport.send({ ...CALL, id: 8 }); // a second exchange, to know the first has fully closed
  await until(() => received.filter((m) => "id" in m).length >= 2, "both answers");
  expect(received.filter((m) => "id" in m && m.id === 7)).toEqual([{ jsonrpc: "2.0", id: 7, result: { content: [] } }]);
});

test("close does not wait forever for an upstream that never answers the DELETE ending its session", async () => {
  const url = await serve((req, res) => {
    req.resume();
    if (req.method === "DELETE") return; // never answered
    res.writeHead(200, { "content-type": "application/json", "mcp-session-id": "s1" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-11-25", capabilities: {}, serverInfo: { name: "s", version: "1" } } }));
  });
  const { transport, received } = connect(url, { closeTimeoutMs: 50 });
  await transport.send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "c", version: "1" } } });
  await until(() => received.length === 1, "the initialize answer");
  let closed = false;
  void transport.close().then(() => (closed = true));
  await until(() => closed, "close() to resolve");
});

test("a kept-alive socket the upstream reset while idle is retried once on a fresh socket, and the call is answered", async () => {
  const seenOnFirstSocket: number[] = [];
  let firstSocket: unknown;
  const url = await serve((req, res) => {
    const socket = req.socket;
    firstSocket ??= socket;
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const message = JSON.parse(body) as { id: number };
      if (socket === firstSocket) seenOnFirstSocket.push(message.id);
      // The second request on the first socket meets a server that already gave up on it.
      if (socket === firstSocket && seenOnFirstSocket.length === 2) return socket.resetAndDestroy();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { ok: message.id } }));
    });
  });
  const { transport, received } = connect(url);
  await transport.send({ ...CALL, id: 1 });
  await until(() => received.some((m) => "id" in m && m.id === 1), "the first answer");
  await transport.send({ ...CALL, id: 2 });
  await until(() => received.some((m) => "id" in m && m.id === 2), "the second answer");
  expect(received.find((m) => "id" in m && m.id === 2)).toEqual({ jsonrpc: "2.0", id: 2, result: { ok: 2 } });
  expect(seenOnFirstSocket).toEqual([1, 2]);
});

/** A 2026-07-28 tools/call (the revision in `_meta` makes the transport mirror the headers). */
const modernCall = (name: string, id = 9): JsonRpcMessage => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: {}, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
});

test("a 2026-07-28 tool name that is not plain ASCII goes in Mcp-Name as Base64 of its UTF-8 bytes; a plain one as is", async () => {
  const seen: Array<string | undefined> = [];
  const url = await serve((req, res) => {
    seen.push(req.headers["mcp-name"] as string | undefined);
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: (JSON.parse(body) as { id: number }).id, result: { content: [] } }));
    });
  });
  const { transport, received } = connect(url);
  await transport.send(modernCall("ferramenta_中文", 1));
  await transport.send(modernCall("stop_salesbot", 2));
  await transport.send(modernCall("=?base64?abcd?=", 3));
  await until(() => received.filter((m) => "id" in m).length === 3, "three answers");
  expect(seen).toEqual([`=?base64?${Buffer.from("ferramenta_中文", "utf8").toString("base64")}?=`, "stop_salesbot", `=?base64?${Buffer.from("=?base64?abcd?=").toString("base64")}?=`]);
});

test("a 2026-07-28 method name that cannot go in Mcp-Method is refused by send, before anything reaches the upstream", async () => {
  const methods: unknown[] = [];
  const url = await serve((req, res) => {
    methods.push(req.headers["mcp-method"]);
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: 10, result: { content: [] } }));
  });
  const { transport, received } = connect(url);
  const m = { ...modernCall("x"), method: "métodos/chamar" } as JsonRpcMessage;
  expect(() => transport.send(m)).toThrow("the method name cannot be carried in the `Mcp-Method` header (it is not visible ASCII); the request was not sent");
  await transport.send(modernCall("x", 10)); // the next request is the first the upstream sees
  await until(() => received.some((r) => "id" in r && r.id === 10), "the later call's answer");
  expect(methods).toEqual(["tools/call"]);
});

test("an answer or an event that is not JSON is reported by position and length, never by its text", async () => {
  const secret = '{"jsonrpc":"2.0","id":7,"result":{"echo":S3CR3T-ARG}}';
  let mode: "json" | "sse" | "http500" = "json";
  const url = await serve((req, res) => {
    req.resume();
    if (mode === "json") return void res.writeHead(200, { "content-type": "application/json" }).end(secret);
    if (mode === "http500") return void res.writeHead(500, { "content-type": "text/plain" }).end(`boom ${secret}`);
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(`event: message\ndata: ${secret}\n\n`);
  });
  const { transport, received } = connect(url);
  const errors: string[] = [];
  transport.onerror = (e) => void errors.push(e.message);
  for (const [i, m] of (["json", "sse", "http500"] as const).entries()) {
    mode = m;
    await transport.send({ ...CALL, id: i + 1 });
    await until(() => received.some((r) => "id" in r && r.id === i + 1), `the error answer in ${m} mode`);
  }
  expect(errors, JSON.stringify(errors)).toContain(`the upstream sent a body that is not valid JSON: the text stops being JSON at character 42 (${secret.length} characters in all)`);
  expect(errors).toContain(`the upstream sent an event that is not valid JSON: the text stops being JSON at character 42 (${secret.length} characters in all)`);
  expect(errors).toContain(`the upstream answered HTTP 500 with ${secret.length + 5} characters that are not a JSON-RPC answer`);
  expect(JSON.stringify([errors, received]), JSON.stringify(errors)).not.toContain("S3CR3T");
});
