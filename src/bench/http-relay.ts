/**
 * The HTTP floor of the bench: a bare `node:http` server in front of a stdio MCP server, with no
 * policy. One upstream process per session (created by `initialize`, named by `Mcp-Session-Id`),
 * as toolgate does; each POSTed request is written to the upstream as a line and answered with
 * the upstream's response as plain JSON (no SSE); notifications and responses are answered 202.
 * Every message is parsed and re-serialised once each way. No origin, auth or size checks: this
 * is the least any HTTP→stdio bridge must do, not something to deploy.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readLines } from "./stdio-relay.js";

interface Session {
  readonly child: ChildProcess;
  readonly pending: Map<unknown, ServerResponse>;
}

function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers }).end(text);
}

function openSession(command: string, args: readonly string[]): Session {
  const child = spawn(command, [...args], { stdio: ["pipe", "pipe", "inherit"] });
  const pending = new Map<unknown, ServerResponse>();
  readLines(child.stdout!, (line) => {
    let message: { id?: unknown; method?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch {
      return;
    }
    if (message.method !== undefined || message.id === undefined) return; // server notifications and requests: dropped
    const res = pending.get(message.id);
    if (res === undefined) return;
    pending.delete(message.id);
    answerJson(res, 200, message);
  });
  return { child, pending };
}

export function startHttpRelay(port: number, command: string, args: readonly string[]): Promise<Server> {
  const sessions = new Map<string, Session>();
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const header = req.headers["mcp-session-id"];
    const sessionId = typeof header === "string" ? header : undefined;
    if (req.method === "DELETE") {
      const session = sessionId === undefined ? undefined : sessions.get(sessionId);
      session?.child.stdin?.end();
      if (sessionId !== undefined) sessions.delete(sessionId);
      return void res.writeHead(session ? 200 : 404).end();
    }
    if (req.method !== "POST") return void res.writeHead(405, { allow: "POST, DELETE" }).end();
    let message: { id?: unknown; method?: unknown };
    try {
      message = JSON.parse(body) as typeof message;
    } catch {
      return answerJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
    }
    let session = sessionId === undefined ? undefined : sessions.get(sessionId);
    const headers: Record<string, string> = {};
    if (session === undefined && message.method === "initialize") {
      const id = randomUUID();
      session = openSession(command, args);
      sessions.set(id, session);
      headers["mcp-session-id"] = id;
    }
    if (session === undefined) return answerJson(res, 404, { jsonrpc: "2.0", id: null, error: { code: -32001, message: "session not found" } });
    const isRequest = message.method !== undefined && message.id !== undefined;
    if (isRequest) {
      session.pending.set(message.id, res);
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    }
    session.child.stdin!.write(`${JSON.stringify(message)}\n`);
    if (!isRequest) res.writeHead(202).end();
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  server.on("close", () => {
    for (const s of sessions.values()) s.child.stdin?.end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
