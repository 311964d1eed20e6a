/**
 * The Streamable HTTP shell of the simulated Kommo MCP server, after the real one: `/mcp` served by
 * the SDK handler (both eras, or 2026-07-28 only), `GET /health` with the surface counts and
 * `GET /ready`. Loopback only unless told otherwise; no auth (the gateway in front owns that).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import type { Clock } from "../core/clock.js";
import { KOMMO_SERVER_VERSION, MODERN_PROTOCOL_VERSION, type KommoMcpServer } from "./mcp-server.js";
import { KOMMO_PROMPTS } from "./prompts.js";
import { KOMMO_RESOURCES } from "./resources.js";
import { kommoTools } from "./tools/catalog.js";

export interface KommoMcpHttpServer {
  /** e.g. `http://127.0.0.1:39123/mcp` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startKommoMcpHttpServer(
  sim: KommoMcpServer,
  options: { host: string; port: number; clock: Clock; onerror?: (error: Error) => void },
): Promise<KommoMcpHttpServer> {
  const mcp = toNodeHandler(sim.http, options.onerror ? { onerror: options.onerror } : {});
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/mcp") {
      void mcp(req, res);
      return;
    }
    if (req.method === "GET" && path === "/health") {
      sendJson(res, 200, {
        status: "healthy",
        timestamp: new Date(options.clock.nowMs()).toISOString(),
        version: KOMMO_SERVER_VERSION,
        protocol_version: MODERN_PROTOCOL_VERSION,
        tools_count: kommoTools().length,
        resources_count: KOMMO_RESOURCES.length,
        prompts_count: KOMMO_PROMPTS.length,
        environment: "simulation",
      });
      return;
    }
    if (req.method === "GET" && path === "/ready") {
      sendJson(res, 200, { status: "ready", timestamp: new Date(options.clock.nowMs()).toISOString() });
      return;
    }
    sendJson(res, 404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
