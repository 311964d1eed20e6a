/**
 * The Streamable HTTP front over real loopback sockets, in front of the fixture server (one child
 * per MCP session): what is refused before any MCP handling (Origin, body size, unknown and ended
 * sessions, methods), server-to-client messages on POST streams and on the GET stream, the
 * era check for sessionless 2026-07-28 requests, /metrics, and a graceful SIGTERM that finishes a
 * call in flight.
 */
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fixtureUpstreamCmd, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const dir = tempDir("toolgate-http-");
const policy = writeJson(dir, "policy.json", { version: "1", default: "allow", tools: { delete_everything: { deny_if: [{ conditions: [] }] } } });
const JSON_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
let gateway: HttpGateway;
const clients: Client[] = [];

beforeAll(async () => {
  gateway = await startHttpGateway(["--policy", policy, "--upstream-cmd", fixtureUpstreamCmd(), "--max-body-bytes", "4096", "--allowed-origins", "https://app.example.com"]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await gateway?.stop();
});

async function openSession(): Promise<string> {
  const res = await fetch(gateway.url, { method: "POST", headers: JSON_HEADERS, body: INIT });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get("mcp-session-id")!;
}

test("a request from a foreign Origin is refused with 403 before MCP handling; loopback and allowed origins pass", async () => {
  const evil = await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, origin: "http://evil.example.com" }, body: INIT });
  expect(evil.status).toBe(403);
  expect(await evil.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000 } });
  for (const origin of ["http://127.0.0.1:3000", "http://localhost", "https://app.example.com"]) {
    const ok = await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, origin }, body: INIT });
    expect(ok.status, origin).toBe(200);
    await ok.text();
  }
  // fetch will not send a foreign Host; node:http will (a DNS-rebound browser request looks like this).
  const hostStatus = await new Promise<number>((resolve, reject) => {
    const req = request(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, host: "evil.example.com:80" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(INIT);
  });
  expect(hostStatus).toBe(403);
});

test("a body over --max-body-bytes gets 413 and never reaches a session", async () => {
  const sid = await openSession();
  const big = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { text: "x".repeat(5000) } } });
  const res = await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, "mcp-session-id": sid }, body: big });
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ error: { code: -32600, message: expect.stringContaining("at most 4096 bytes") } });
});

test("requests without a session, for an unknown one, and other methods get 400, 404 and 405", async () => {
  const call = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  expect((await fetch(gateway.url, { method: "POST", headers: JSON_HEADERS, body: call })).status).toBe(400);
  expect((await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, "mcp-session-id": "nope" }, body: call })).status).toBe(404);
  expect((await fetch(gateway.url, { method: "GET", headers: { accept: "text/event-stream" } })).status).toBe(405);
  const put = await fetch(gateway.url, { method: "PUT", headers: JSON_HEADERS, body: call });
  expect(put.status).toBe(405);
  expect(put.headers.get("allow")).toBe("GET, POST, DELETE");
  expect((await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, "mcp-protocol-version": "1999-01-01" }, body: INIT })).status).toBe(400);
  expect((await fetch(`${gateway.base}/nowhere`)).status).toBe(404);
});

test("DELETE ends a session; the same session id then gets 404", async () => {
  const { client, transport } = await connectClient(gateway.url, undefined);
  expect((await client.callTool({ name: "echo", arguments: { text: "before" } })).content).toEqual([{ type: "text", text: "before" }]);
  const sid = transport.sessionId!;
  await transport.terminateSession();
  const after = await fetch(gateway.url, { method: "POST", headers: { ...JSON_HEADERS, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" }, body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }) });
  expect(after.status).toBe(404);
  expect(await after.json()).toMatchObject({ error: { code: -32001 } });
  expect((await fetch(gateway.url, { method: "DELETE", headers: { "mcp-session-id": sid } })).status).toBe(404);
  await client.close();
});

test("sampling and elicitation requested during a call reach this session's client on the call's stream", async () => {
  const { client } = await connectClient(gateway.url, undefined, { capabilities: { sampling: {}, elicitation: {} } });
  clients.push(client);
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: "assistant", content: { type: "text", text: "hi" }, model: "m" }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { name: "Ana" } }));
  const result = (await client.callTool({ name: "ask_client", arguments: {} })) as CallToolResult;
  expect(result.content).toEqual([{ type: "text", text: 'sampled=hi elicited=accept:{"name":"Ana"}' }]);
});

test("progress notifications stream on the call's own response", async () => {
  const { client } = await connectClient(gateway.url, undefined);
  clients.push(client);
  const progress: number[] = [];
  const result = (await client.callTool({ name: "progress", arguments: { steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) })) as CallToolResult;
  expect(result.content).toEqual([{ type: "text", text: "done" }]);
  expect(progress).toEqual([1, 2, 3]);
});

test("the GET stream receives a message the server sends outside any request", async () => {
  // A raw stdio upstream that logs a message 50 ms after answering a call, when nothing is in flight.
  const script = join(dir, "late-notifier.mjs");
  writeFileSync(
    script,
    `import { createInterface } from "node:readline";
const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  if (m.method === "initialize") send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {}, logging: {} }, serverInfo: { name: "late", version: "1" } } });
  else if (m.method === "tools/list") send({ jsonrpc: "2.0", id: m.id, result: { tools: [{ name: "later", inputSchema: { type: "object" } }] } });
  else if (m.method === "tools/call") {
    send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: "soon" }] } });
    setTimeout(() => send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "late news" } }), 50);
  } else if ("id" in m && m.method) send({ jsonrpc: "2.0", id: m.id, result: {} });
});
`,
  );
  // A message that names no request is delivered only on a connection of the session's own.
  const late = await startHttpGateway(["--policy", policy, "--upstream-cmd", `"${process.execPath}" "${script}"`, "--upstream-sharing", "per-session"]);
  try {
    const { client } = await connectClient(late.url, undefined);
    const messages: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void messages.push(n.params.data));
    expect((await client.callTool({ name: "later", arguments: {} })).content).toEqual([{ type: "text", text: "soon" }]);
    await expect.poll(() => messages, { timeout: 5_000 }).toEqual(["late news"]);
    await client.close();
  } finally {
    await late.stop();
  }
});

test("a sessionless 2026-07-28 request to a 2025-only upstream is bridged and answered in the caller's revision", async () => {
  const res = await fetch(gateway.url, {
    method: "POST",
    headers: { ...JSON_HEADERS, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/list", params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { id: number; result: { resultType: string; tools: { name: string }[] } };
  expect(body.id).toBe(5);
  expect(body.result.resultType).toBe("complete");
  expect(body.result.tools.map((t) => t.name)).toContain("echo");
  expect(body.result.tools.map((t) => t.name)).toContain("delete_everything"); // explicitly denied tools stay visible
  const mismatch = await fetch(gateway.url, {
    method: "POST",
    headers: { ...JSON_HEADERS, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "echo" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "delete_everything" } }),
  });
  expect(mismatch.status).toBe(400);
  expect(await mismatch.json()).toMatchObject({ id: 6, error: { code: -32020, message: expect.stringContaining("does not match") } });
});

test("/metrics counts decisions by tool and code, upstream latency, sessions and calls in flight", async () => {
  const { client } = await connectClient(gateway.url, undefined);
  clients.push(client);
  await client.callTool({ name: "echo", arguments: { text: "a" } });
  await client.callTool({ name: "echo", arguments: { text: "b" } });
  await client.callTool({ name: "delete_everything", arguments: {} });
  const res = await fetch(`${gateway.base}/metrics`);
  expect(res.headers.get("content-type")).toContain("text/plain");
  const text = await res.text();
  expect(text).toMatch(/^toolgate_decisions_total\{tool="echo",decision="allow",code="none"\} ([3-9]|\d\d+)$/m);
  expect(text).toContain('toolgate_decisions_total{tool="delete_everything",decision="deny",code="denied"} 1');
  expect(text).toMatch(/^toolgate_upstream_latency_seconds_count ([3-9]|\d\d+)$/m);
  expect(text).toMatch(/^toolgate_upstream_latency_seconds_bucket\{le="\+Inf"\} \d+$/m);
  expect(text).toContain("toolgate_calls_in_flight 0");
  expect(text).toMatch(/^toolgate_sessions [1-9]\d*$/m);
  expect(text).toContain("toolgate_pending_approvals 0");
  const health = (await (await fetch(`${gateway.base}/health`)).json()) as { status: string };
  expect(health.status).toBe("ok");
});

test("SIGTERM stops accepting but finishes the call in flight, then exits 0", async () => {
  const own = await startHttpGateway(["--policy", policy, "--upstream-cmd", fixtureUpstreamCmd()]);
  try {
    const { client } = await connectClient(own.url, undefined);
    const progress: number[] = [];
    const call = client.callTool({ name: "progress", arguments: { steps: 15 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    await expect.poll(() => progress.length, { timeout: 5_000, interval: 5 }).toBeGreaterThan(0);
    own.child.kill("SIGTERM");
    expect(((await call) as CallToolResult).content).toEqual([{ type: "text", text: "done" }]);
    expect(await own.exit).toBe(0);
    await expect(fetch(`${own.base}/health`)).rejects.toThrow();
    expect(own.stderr()).toContain('"event":"draining"');
  } finally {
    await own.stop();
  }
});

test("serve refuses a non-loopback --listen without --grants, and other flag mix-ups, with exit code 2", async () => {
  const { main } = await import("../../src/cli/main.js");
  const { PassThrough } = await import("node:stream");
  const cmd = ["--upstream-cmd", "x"];
  const cases: Array<[string[], string]> = [
    [["serve", "--policy", policy, ...cmd, "--listen", "0.0.0.0:8080"], "flag `--listen`: refusing to listen on `0.0.0.0` without `--grants FILE`; anyone who can reach it could call the upstream. Use a loopback address or give grants"],
    [["serve", "--policy", policy, ...cmd, "--grants", "g.json"], "flag `--grants` needs `--listen HOST:PORT` (on stdio the grant is named with `--grant`)"],
    [["serve", "--policy", policy, ...cmd, "--listen", "127.0.0.1:0", "--grants", "g.json", "--grant", "a"], "give `--grants FILE` or `--grant ID`, not both"],
    [["serve", "--policy", policy, ...cmd, "--upstream-header", "Authorization: Bearer s"], "flag `--upstream-header` applies to `--upstream-url`; for `--upstream-cmd` use `--upstream-env NAME=VALUE`"],
    [["serve", "--policy", policy, "--upstream-url", "http://127.0.0.1:1/mcp", "--upstream-header", "no colon secret"], "flag `--upstream-header`: expected `Name: value` (the value is not shown here)"],
    [["serve", "--policy", policy, ...cmd, "--upstream-env", "1X=y"], "flag `--upstream-env`: expected `NAME=VALUE` with a variable name of letters, digits and `_`"],
    [["serve", "--policy", policy, ...cmd, "--max-body-bytes", "10"], "flag `--max-body-bytes` needs `--listen HOST:PORT`"],
    [["serve", "--policy", policy, ...cmd, "--listen", "127.0.0.1:0", "--allowed-origins", "https://a.example/path"], "flag `--allowed-origins`: expected origins like `https://app.example.com` (scheme and host, no path), found `https://a.example/path`"],
  ];
  for (const [args, message] of cases) {
    const stderr = new PassThrough();
    const io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: dir };
    expect(await main(args, io), args.join(" ")).toBe(2);
    expect(String(stderr.read())).toBe(`toolgate serve: ${message}\n`);
  }
});
