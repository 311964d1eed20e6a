/**
 * The simulated upstream of every bench path: an SDK 1.x `McpServer` with one tool,
 * `stop_salesbot {bot_id: number}`, answering `stopped <bot_id>` at once with no I/O, so that the
 * cost of whatever sits in front of it is not hidden behind a slow tool. Served over stdio, or over
 * Streamable HTTP as the SDK's own examples do: stateful, one server and transport per session
 * keyed by `Mcp-Session-Id`, SSE-framed POST answers (the SDK default), no event store.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export const BENCH_TOOL = "stop_salesbot";

export function createBenchServer(): McpServer {
  const server = new McpServer({ name: "toolgate-bench-upstream", version: "1.0.0" });
  server.registerTool(
    BENCH_TOOL,
    { description: "Stops a salesbot (bench: answers at once, no I/O).", inputSchema: { bot_id: z.number().int() } },
    async ({ bot_id }) => ({ content: [{ type: "text", text: `stopped ${bot_id}` }] }),
  );
  // The `sessions` section leaves calls pending (`session-memory.ts`): a tool that never answers.
  if (process.env.BENCH_UPSTREAM_HOLD === "1") server.registerTool("hold", { description: "Never answers (bench: a pending call).", inputSchema: {} }, () => new Promise(() => {}));
  return server;
}

export async function serveBenchStdio(): Promise<void> {
  const server = createBenchServer();
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = () => resolve()));
  process.stdin.once("end", () => void server.close());
  await server.connect(transport);
  await closed;
}

export interface BenchHttpServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveBenchHttp(host: string, port: number): Promise<BenchHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? "/").split("?")[0] !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res);
    if (req.method !== "POST") {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "no valid session" } }));
      return;
    }
    const body = await readJson(req);
    if (!isInitializeRequest(body)) {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message: "expected initialize without a session" } }));
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await createBenchServer().connect(transport);
    await transport.handleRequest(req, res, body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of sessions.values()) void t.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", reject);
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(error);
      }
    });
  });
}
