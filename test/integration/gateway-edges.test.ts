/**
 * The edges of one request, on real processes and sockets: a tool name that is not ASCII toward a
 * 2026-07-28 HTTP upstream (carried in `Mcp-Name` by the 2026-07-28 encoding, one answer, an
 * audit line that says what happened), a request that cannot be sent at all (one answer, audited
 * `not_sent`, never seen upstream), and malformed JSON in either direction whose text never
 * reaches stderr or the answer.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { INITIALIZE, readJsonLines, startRawGateway, tempDir, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";
import { startHttpGateway } from "./gateway-http-process.js";

const SECRET = "S3CR3T-ARG";
const TOOL = "ferramenta_中文";
const dir = tempDir("toolgate-edges-");
const policy = writeJson(dir, "policy.json", { version: "1", default: "allow" });

interface Seen {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
}

/** A 2026-07-28-only Streamable HTTP server (stateless, JSON answers) that records each POST's headers; tool `leak` answers with a body that is not JSON. */
let upstream: { url: string; seen: Seen[]; server: Server };

beforeAll(async () => {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.method !== "POST") return void res.writeHead(405).end();
      const m = JSON.parse(body) as { id?: number | string; method: string; params?: { name?: string } };
      seen.push({ headers: req.headers, method: m.method });
      if (m.id === undefined) return void res.writeHead(202).end();
      const json = (payload: object) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: m.id, ...payload }));
      if (m.method === "initialize") return json({ error: { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28"] } } });
      if (m.method === "server/discover") return json({ result: { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "modern", version: "1" } } } });
      if (m.method === "tools/list") return json({ result: { tools: [TOOL, "leak"].map((name) => ({ name, inputSchema: { type: "object" } })), resultType: "complete" } });
      if (m.method === "tools/call" && m.params?.name === "leak") return void res.writeHead(200, { "content-type": "application/json" }).end(`{"jsonrpc":"2.0","id":${JSON.stringify(m.id)},"result":{"echo":${SECRET}}}`);
      if (m.method === "tools/call") return json({ result: { content: [{ type: "text", text: `ran ${m.params?.name}` }], resultType: "complete" } });
      json({ error: { code: -32601, message: "Method not found" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstream = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen, server };
});

afterAll(async () => {
  upstream.server.closeAllConnections();
  await new Promise((resolve) => upstream.server.close(resolve));
});

test("a non-ASCII tool name and an unsendable method toward a 2026-07-28 HTTP upstream: one answer each, the name Base64-encoded in Mcp-Name, audit lines that say what happened, no argument text in stderr", async () => {
  const audit = join(dir, "audit-stdio.jsonl");
  // A long upstream timeout: a request left behind in flight would hold the exit (drain on stdin close) and then be answered a second time.
  const gw = startRawGateway([TOOLGATE_BIN, "serve", "--policy", policy, "--upstream-url", upstream.url, "--audit", audit, "--upstream-timeout-ms", "4000"]);
  try {
    gw.send(INITIALIZE);
    expect(await gw.answerFor("init")).toMatchObject({ result: { serverInfo: { name: "modern" } } });
    gw.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: TOOL, arguments: { query: SECRET } } }));
    expect(await gw.answerFor(3)).toEqual({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: `ran ${TOOL}` }] } });
    gw.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "x/métodos", params: { query: SECRET } }));
    expect(await gw.answerFor(4)).toMatchObject({ id: 4, error: { code: -32603, message: expect.stringContaining("was not sent to the upstream MCP server (the method name cannot be carried in the `Mcp-Method` header"), data: { "toolgate/error": "upstream_unreachable" } } });
    gw.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "leak", arguments: { query: SECRET } } }));
    expect(await gw.answerFor(5)).toMatchObject({ id: 5, error: { data: { "toolgate/error": "upstream_unreachable" } } });
    gw.send(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"leak","arguments":{"query":${SECRET}}}}`);
    expect(await gw.next()).toMatchObject({ id: null, error: { code: -32700 } });
    gw.child.stdin!.end();
    expect(await gw.exit).toBe(0);
    // After the exit every line the gateway wrote has been read: nothing more for id 3, 4 or 5.
    await expect(gw.next(50)).rejects.toThrow();
  } finally {
    await gw.stop();
  }
  const calls = upstream.seen.filter((s) => s.method === "tools/call");
  expect(calls.map((c) => c.headers["mcp-name"])).toEqual([`=?base64?${Buffer.from(TOOL, "utf8").toString("base64")}?=`, "leak"]);
  expect(upstream.seen.some((s) => s.method === "x/métodos")).toBe(false);
  const lines = readJsonLines(audit).map((l) => [l.tool, l.decision, l.outcome]);
  expect(lines).toEqual([
    [TOOL, "allow", "ok"],
    ["x/métodos", "allow", "not_sent"],
    ["leak", "allow", "rpc_error"],
  ]);
  expect(gw.stderr()).toContain('"event":"upstream_send_failed"');
  expect(gw.stderr()).not.toContain(SECRET);
}, 60_000);

test("over HTTP: a malformed POST body is answered 400 -32700 by position and length (its text in neither the answer nor stderr), and a 2026-07-28 client's Base64 Mcp-Name is decoded and checked", async () => {
  const gw = await startHttpGateway(["--policy", policy, "--upstream-url", upstream.url]);
  try {
    const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"leak","arguments":{"query":${SECRET}}}}`;
    const res = await fetch(gw.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(JSON.parse(text)).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32700, message: `parse error: not valid JSON: the text stops being JSON at character ${body.indexOf(SECRET) + 1} (${body.length} characters in all)` } });
    expect(text).not.toContain(SECRET);
    // A 2026-07-28 client names the tool in Mcp-Name's Base64 form: the front decodes it, and the upstream gets it in the same form.
    const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "modern-client", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
    const encoded = `=?base64?${Buffer.from(TOOL, "utf8").toString("base64")}?=`;
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call" };
    const call = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: TOOL, arguments: {}, _meta: meta } });
    const before = upstream.seen.length;
    const ok = await fetch(gw.url, { method: "POST", headers: { ...headers, "mcp-name": encoded }, body: call });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: 2, result: { content: [{ type: "text", text: `ran ${TOOL}` }] } });
    expect(upstream.seen.slice(before).filter((s) => s.method === "tools/call").map((s) => s.headers["mcp-name"])).toEqual([encoded]);
    const wrong = await fetch(gw.url, { method: "POST", headers: { ...headers, "mcp-name": `=?base64?${Buffer.from("other").toString("base64")}?=` }, body: call });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ id: 2, error: { code: -32020 } });
  } finally {
    await gw.stop();
  }
  expect(gw.stderr()).not.toContain(SECRET);
}, 60_000);
