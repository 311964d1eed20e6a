/**
 * A 2025-era-only Kommo MCP server for the bridge tests: the simulator's tools, resources and
 * prompts (the same `KommoMcpServer` instances `toolgate kommo-sim` serves) connected the 2025 way
 * only: `McpServer.connect` on stdio, and one `NodeStreamableHTTPServerTransport` session per
 * `initialize` with `--listen HOST:PORT`. `server/discover` and sessionless 2026-07-28 requests are
 * refused as a 2025-era server (SDK 1.x) refuses them. `kommo-sim` serves both eras, so it cannot
 * stand in for a 2025-only server.
 *
 *   node --import tsx test/integration/bridge-legacy-kommo-server.ts [--listen 127.0.0.1:0] [--effects-file FILE]
 *
 * Time comes from TOOLGATE_CLOCK_FILE; the fake Kommo's own rate limit is off.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { processClock } from "../../src/core/clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import { createKommoMcpServer } from "../../src/kommo/mcp-server.js";
import { createEffectsFileWriter, recordingHandle } from "../../src/kommo/sim-effects-file.js";

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const clock = processClock(process.env);
const plain = createFakeKommo({ clock, rateLimitPerSecond: 0 });
const effectsFile = flag("--effects-file");
const fake = effectsFile ? recordingHandle(plain, createEffectsFileWriter(plain, effectsFile)) : plain;
const sim = createKommoMcpServer({ fake, clock });
const listen = flag("--listen");

if (listen === undefined) {
  await sim.createInstance().connect(new StdioServerTransport());
  process.stdin.once("end", () => process.exit(0));
} else {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const server = createServer((req, res) => {
    const sid = req.headers["mcp-session-id"];
    const existing = typeof sid === "string" ? sessions.get(sid) : undefined;
    if (existing) return void existing.handleRequest(req, res);
    if (typeof sid === "string") {
      res.writeHead(404, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
    }
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    void sim
      .createInstance()
      .connect(transport)
      .then(() => transport.handleRequest(req, res));
  });
  server.listen(port, host, () => {
    const address = server.address() as AddressInfo;
    process.stderr.write(`legacy-kommo: MCP Streamable HTTP on http://${host}:${address.port}/mcp\n`);
  });
  const stop = (): void => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
