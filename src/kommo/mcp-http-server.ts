/**
 * The Streamable HTTP shell of the simulated Kommo MCP server, after the real one: `/mcp` served by
 * the SDK handler (both eras, or 2026-07-28 only), `GET /health` with the surface counts and
 * `GET /ready`. Loopback only unless told otherwise; no auth (the gateway in front owns that). As
 * the real server, `/mcp` refuses browser origins other than loopback (or, when `allowedOrigins`
 * is given, other than those, like `MCP_ALLOWED_ORIGINS`) with 403 and -32000 "Origin not allowed".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import type { Clock } from "../core/clock.js";
import { SERVER_ERROR } from "../protocol/wire-errors.js";
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
  options: { host: string; port: number; clock: Clock; allowedOrigins?: readonly string[]; onerror?: (error: Error) => void },
): Promise<KommoMcpHttpServer> {
  const allowedOrigins = options.allowedOrigins ?? [];
  const mcp = toNodeHandler(sim.http, options.onerror ? { onerror: options.onerror } : {});
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/mcp") {
      if (!originAllowed(req.headers.origin, allowedOrigins)) {
        sendJson(res, 403, { jsonrpc: "2.0", id: null, error: { code: SERVER_ERROR, message: "Origin not allowed" } });
        return;
      }
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

/** No Origin (not a browser) passes; else a configured origin, or a loopback one when none are configured. */
function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    const { hostname } = new URL(origin);
    return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
  } catch {
    return false;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
