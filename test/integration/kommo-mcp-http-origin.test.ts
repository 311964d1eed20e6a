/**
 * The simulated Kommo MCP server's HTTP shell guards `/mcp` against browser origins as the real v3
 * entrypoint does: no `Origin` (not a browser) or a loopback one passes, any other origin gets
 * HTTP 403 with the JSON-RPC error -32000 "Origin not allowed", before any MCP handling.
 */
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import { startKommoMcpHttpServer, type KommoMcpHttpServer } from "../../src/kommo/mcp-http-server.js";
import { createKommoMcpServer, type KommoMcpServer } from "../../src/kommo/mcp-server.js";

let sim: KommoMcpServer | undefined;
let http: KommoMcpHttpServer | undefined;
afterEach(async () => {
  await http?.close();
  await sim?.close();
  sim = http = undefined;
});

async function start(allowedOrigins?: readonly string[]): Promise<KommoMcpHttpServer> {
  const clock = new VirtualClock(Date.UTC(2026, 2, 15));
  sim = createKommoMcpServer({ clock, fake: createFakeKommo({ clock, rateLimitPerSecond: 0 }), protocol: "2026-07-28" });
  http = await startKommoMcpHttpServer(sim, { host: "127.0.0.1", port: 0, clock, ...(allowedOrigins ? { allowedOrigins } : {}) });
  return http;
}

const meta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "origin-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

function listTools(url: string, origin?: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/list",
      ...(origin === undefined ? {} : { origin }),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: meta } }),
  });
}

test("a request without Origin or from a loopback origin reaches the MCP handler", async () => {
  const { url } = await start();
  for (const origin of [undefined, "http://localhost:5173", "http://127.0.0.1:8080", "http://[::1]:3000"]) {
    const response = await listTools(url, origin);
    expect(response.status, String(origin)).toBe(200);
    expect(((await response.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(23);
  }
});

test("a request from a non-loopback origin is refused with 403 and -32000 Origin not allowed", async () => {
  const { url } = await start();
  for (const origin of ["https://evil.example", "null"]) {
    const response = await listTools(url, origin);
    expect(response.status, origin).toBe(403);
    expect(await response.json()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "Origin not allowed" } });
  }
});

test("configured allowed origins replace the loopback default, as MCP_ALLOWED_ORIGINS does", async () => {
  const { url } = await start(["https://app.example"]);
  expect((await listTools(url, "https://app.example")).status).toBe(200);
  expect((await listTools(url, "http://localhost:5173")).status).toBe(403);
  expect((await listTools(url)).status).toBe(200);
});
