/**
 * A Streamable HTTP front for a stdio MCP server, used by scripts/conformance.mjs to put a
 * stdio-downstream gateway (`toolgate serve` without `--listen`) under the HTTP-only conformance
 * suite. Each HTTP session gets its own child (`sh -c "exec CMD"`, started ahead of need) and the bridge moves JSON-RPC
 * messages both ways untouched. Messages the child starts (notifications, sampling/elicitation
 * requests) go out on the POST stream of the request they belong to: the request whose
 * `progressToken` they carry, else the newest request still in flight, else the GET stream.
 *
 * The bridge itself answers what only an HTTP server can (Host/Origin checks, sessions, SSE), so
 * in this mode `dns-rebinding-protection` and `server-sse-*` measure the bridge, not the child.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const MAX_SESSIONS = 64;
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function hostnameOf(text, prefix = "") {
  try {
    return new URL(prefix + text).hostname;
  } catch {
    return undefined;
  }
}

function answerError(res, status, code, message) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/**
 * @param {{ command: string, onStderr?: (text: string) => void, warmChildren?: number }} options
 * @returns {Promise<{ url: string, sessionsOpened: () => number, close: () => Promise<void> }>}
 */
export async function startStdioBridge({ command, onStderr, warmChildren = 2 }) {
  /** @type {Map<string, { http: StreamableHTTPServerTransport, close: () => Promise<void> }>} */
  const sessions = new Map();
  /** Every session's close, initialized or not, so that no child outlives the bridge. */
  const closers = new Set();
  let opened = 0;

  /**
   * Children are started ahead of need (`warmChildren` of them), so that a session does not wait
   * for a gateway and its upstream to load; the suite opens its sessions one after another.
   */
  const warm = [];
  async function spawnChild() {
    const child = new StdioClientTransport({ command: "/bin/sh", args: ["-c", `exec ${command}`], stderr: "pipe" });
    await child.start();
    child.stderr?.on("data", (chunk) => onStderr?.(chunk.toString("utf8")));
    return child;
  }
  function refill() {
    while (!stopped && warm.length < warmChildren) warm.push(spawnChild());
  }
  async function takeChild() {
    const next = warm.shift() ?? spawnChild();
    refill();
    return next;
  }
  let stopped = false;

  async function openSession() {
    while (sessions.size >= MAX_SESSIONS) {
      const [oldestId, oldest] = sessions.entries().next().value;
      sessions.delete(oldestId);
      await oldest.close();
    }
    opened += 1;
    const child = await takeChild();
    /** In-flight client requests, oldest first: id → progress token. */
    const inflight = new Map();
    const http = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => sessions.set(sessionId, { http, close }),
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
        void child.close();
      },
    });
    let closed = false;
    async function close() {
      if (closed) return;
      closed = true;
      closers.delete(close);
      await Promise.allSettled([http.close(), child.close()]);
    }
    closers.add(close);

    http.onmessage = (message) => {
      if ("method" in message && "id" in message) inflight.set(message.id, message.params?._meta?.progressToken);
      child.send(message).catch(() => {});
    };
    http.onclose = () => {
      if (http.sessionId !== undefined) sessions.delete(http.sessionId);
      void close();
    };

    child.onmessage = (message) => {
      const isResponse = !("method" in message) && "id" in message;
      if (isResponse) {
        inflight.delete(message.id);
        http.send(message).catch(() => {});
        return;
      }
      const token = message.params?.progressToken;
      let related;
      if (token !== undefined) for (const [id, t] of inflight) if (t === token) related = id;
      if (related === undefined) related = [...inflight.keys()].at(-1);
      const sendLoose = () => http.send(message).catch(() => {});
      if (related === undefined) void sendLoose();
      else http.send(message, { relatedRequestId: related }).catch(sendLoose);
    };
    child.onclose = () => void close();
    child.onerror = () => {};

    await http.start();
    return http;
  }

  const server = createServer((req, res) => {
    (async () => {
      const hostOk = LOOPBACK_HOSTS.has(hostnameOf(req.headers.host ?? "", "http://") ?? "");
      const originOk = req.headers.origin === undefined || LOOPBACK_HOSTS.has(hostnameOf(req.headers.origin) ?? "");
      if (!hostOk || !originOk) return answerError(res, 403, -32000, "forbidden: Host and Origin must name a loopback host");
      if (new URL(req.url ?? "/", "http://localhost").pathname !== "/mcp") return answerError(res, 404, -32601, "not found: the MCP endpoint is /mcp");
      let body;
      if (req.method === "POST") {
        try {
          body = await readJson(req);
        } catch (error) {
          return answerError(res, 400, -32700, `parse error: ${error.message}`);
        }
      }
      const sessionId = req.headers["mcp-session-id"];
      if (typeof sessionId === "string") {
        const session = sessions.get(sessionId);
        if (session === undefined) return answerError(res, 404, -32001, `session \`${sessionId}\` is unknown or has ended`);
        return session.http.handleRequest(req, res, body);
      }
      const opens = Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body);
      if (req.method === "POST" && opens) return (await openSession()).handleRequest(req, res, body);
      return answerError(res, 400, -32000, "bad request: send `initialize` first, then the `Mcp-Session-Id` it returned");
    })().catch((error) => {
      if (!res.headersSent) answerError(res, 500, -32603, `internal error: ${error.message}`);
      else res.end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  refill();

  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessionsOpened: () => opened,
    close: async () => {
      stopped = true;
      const idle = await Promise.allSettled(warm.splice(0));
      await Promise.allSettled(idle.filter((r) => r.status === "fulfilled").map((r) => r.value.close()));
      const open = [...closers];
      sessions.clear();
      await Promise.allSettled(open.map((close) => close()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
