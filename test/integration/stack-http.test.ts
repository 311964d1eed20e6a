/**
 * `toolgate serve --config FILE --listen` over real sockets: the config's grants give each bearer
 * token its servers and policies; one set of server processes serves every sharing session;
 * `/health` and `/metrics` show each server's state and last error; a killed server restarts
 * (backoff on the gateway's clock, the clock file) while the others answer; a session whose client
 * can be asked something gets a stack of its own, so server-everything's sampling, elicitation,
 * progress, resources, prompts and list changes all pass through for allowed names. What reached
 * the CRM is read from kommo-sim's effects file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { descendantPids, parentPid } from "../../src/bench/procfs.js";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { clockFile, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { until } from "../helpers/until.js";
import { REPO_ROOT, tempDir, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
const dir = tempDir("toolgate-stack-http-");
const effectsFile = join(dir, "effects.jsonl");
const clock = clockFile(dir, T0_MS);
const seed = loadDefaultSeed();
const STOP_ARGS = { bot_id: seed.salesbots[0]!.id, entity_id: seed.leads[0]!.id, entity_type: "leads" };
const bin = (pkg: string) => join(REPO_ROOT, "node_modules", "@modelcontextprotocol", pkg, "dist", "index.js");
const METRICS_TOKEN = "metrics-token-for-the-stack-test";

let gateway: HttpGateway;
const clients: Client[] = [];

function writeConfig(at: string, extra: Record<string, unknown> = {}): string {
  writeJson(at, "kommo.json", { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] } } });
  writeJson(at, "memory.json", { version: "1", default: "allow" });
  writeJson(at, "memory-readonly.json", { version: "1", default: "deny", tools: { read_graph: {} } });
  writeJson(at, "everything.json", { version: "1", default: "deny", tools: { echo: {}, "trigger-sampling-request": {}, "trigger-elicitation-request": {}, "trigger-long-running-operation": {}, "get-resource-links": {} }, prompts: { "simple-prompt": {} }, resources: { "demo://resource/static/document/architecture.md": {} } });
  return writeJson(at, "stack.json", {
    version: "1",
    servers: {
      kommo: { command: process.execPath, args: [TOOLGATE_BIN, "kommo-sim", "--kommo-rps", "0", "--effects-file", effectsFile], policy: "kommo.json" },
      memory: { command: process.execPath, args: [bin("server-memory")], env: { MEMORY_FILE_PATH: join(at, "memory.jsonl") }, policy: "memory.json" },
      everything: { command: process.execPath, args: [bin("server-everything"), "stdio"], policy: "everything.json" },
    },
    grants: [
      { id: "sales", tokenSha256: tokenSha256("sales-token") },
      { id: "reader", tokenSha256: tokenSha256("reader-token"), servers: ["memory"], policies: { memory: "memory-readonly.json" } },
    ],
    ...extra,
  });
}

beforeAll(async () => {
  const tokenFile = join(dir, "metrics.token");
  writeFileSync(tokenFile, METRICS_TOKEN);
  gateway = await startHttpGateway(["--config", writeConfig(dir), "--metrics-token-file", tokenFile], { TOOLGATE_CLOCK_FILE: clock.path });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await gateway?.stop();
});

async function agent(token: string, capabilities: Record<string, object> = {}): Promise<Client> {
  const client = new Client({ name: `agent-${token}`, version: "1.0.0" }, { capabilities });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

const decision = (r: CallToolResult) => (r._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const code = (r: CallToolResult) => String(decision(r)?.code ?? "allow");
const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();
const health = async () => (await (await fetch(`${gateway.base}/health`)).json()) as { status: string; servers: Array<{ name: string; state: string; lastError: string | null; restarts: number }> };
const metrics = async () => (await fetch(`${gateway.base}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } })).text();

test("each token sees its own servers under its own policies; a server a grant may not use is hidden and denied", async () => {
  const sales = await agent("sales-token");
  const reader = await agent("reader-token");
  const salesNames = await names(sales);
  expect(salesNames).toEqual(expect.arrayContaining(["kommo__stop_salesbot", "memory__create_entities", "memory__read_graph", "everything__echo"]));
  expect(await names(reader)).toEqual(["memory__read_graph"]);
  expect(code((await reader.callTool({ name: "kommo__stop_salesbot", arguments: STOP_ARGS })) as CallToolResult)).toBe("no_policy");
  expect(code((await reader.callTool({ name: "memory__create_entities", arguments: { entities: [] } })) as CallToolResult)).toBe("default_deny");
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect")).toHaveLength(0);
  const codes: string[] = [];
  for (let i = 0; i < 12; i++) codes.push(code((await sales.callTool({ name: "kommo__stop_salesbot", arguments: STOP_ARGS })) as CallToolResult));
  expect(codes).toEqual([...Array(10).fill("allow"), "rate_limited", "rate_limited"]);
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop")).toHaveLength(10);
});

test("a wrong or missing token is refused with 401 before any server is asked", async () => {
  const res = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: "Bearer not-a-grant" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
  expect(res.status).toBe(401);
  const none = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
  expect(none.status).toBe(401);
});

test("/health and /metrics show every server's state; decisions are counted per server", async () => {
  const h = await health();
  expect(h.status).toBe("ok");
  expect(h.servers.map((s) => [s.name, s.state, s.lastError])).toEqual([
    ["kommo", "ready", null],
    ["memory", "ready", null],
    ["everything", "ready", null],
  ]);
  const text = await metrics();
  expect(text).toContain('toolgate_server_state{server="kommo",state="ready"} 1');
  expect(text).toContain('toolgate_server_state{server="kommo",state="restarting"} 0');
  expect(text).toContain('toolgate_server_decisions_total{server="kommo",decision="allow"} 10');
  expect(text).toMatch(/toolgate_server_decisions_total\{server="kommo",decision="deny"\} 3\b/);
  expect(text).toContain('toolgate_server_restarts_total{server="memory"} 0');
});

test("killing one server: /health says so with its last error, the others answer, it comes back after the backoff on the gateway's clock", async () => {
  const sales = await agent("sales-token");
  const gatewayPid = gateway.child.pid!;
  const memoryPid = descendantPids(gatewayPid).find((pid) => parentPid(pid) === gatewayPid && readCmdline(pid).includes("server-memory"));
  expect(memoryPid).toBeGreaterThan(0);
  process.kill(memoryPid!, "SIGKILL");
  const down = await until("memory to be reported down", async () => (await health()).servers.find((s) => s.name === "memory" && s.state !== "ready"));
  expect(down.state).toBe("restarting");
  expect(down.lastError).toMatch(/closed|exit/);
  expect(await metrics()).toContain('toolgate_server_state{server="memory",state="restarting"} 1');
  expect(await names(sales)).not.toContain("memory__read_graph");
  const echo = (await sales.callTool({ name: "everything__echo", arguments: { message: "still here" } })) as CallToolResult;
  expect(JSON.stringify(echo.content)).toContain("still here");
  const whileDown = await sales.callTool({ name: "memory__read_graph", arguments: {} }).then(
    () => "answered",
    (e: Error) => e.message,
  );
  expect(whileDown).toMatch(/server `memory` is unavailable/);
  clock.set(T0_MS + 1_000); // past the first restart delay (250 ms)
  const back = await until("memory to be ready again", async () => (await health()).servers.find((s) => s.name === "memory" && s.state === "ready"));
  expect(back.restarts).toBe(1);
  expect(await names(sales)).toContain("memory__read_graph");
  expect(code((await sales.callTool({ name: "memory__read_graph", arguments: {} })) as CallToolResult)).toBe("allow");
}, 60_000);

test("a client that can be asked gets a stack of its own: sampling, elicitation, progress, prompts and resources pass through for allowed names", async () => {
  const asking = await agent("sales-token", { sampling: {}, elicitation: {} });
  asking.setRequestHandler(CreateMessageRequestSchema, async (request) => ({ model: "test-model", role: "assistant", content: { type: "text", text: `sampled: ${JSON.stringify(request.params.messages[0]?.content)}` } }));
  asking.setRequestHandler(ElicitRequestSchema, async () => ({ action: "decline" }));
  const listed = await names(asking);
  expect(listed).toEqual(expect.arrayContaining(["everything__trigger-sampling-request", "everything__trigger-elicitation-request", "everything__trigger-long-running-operation"]));
  expect(listed).not.toContain("everything__get-sum");
  const sampled = (await asking.callTool({ name: "everything__trigger-sampling-request", arguments: { prompt: "hello stack", maxTokens: 5 } })) as CallToolResult;
  expect(JSON.stringify(sampled.content)).toContain("sampled:");
  const elicited = (await asking.callTool({ name: "everything__trigger-elicitation-request", arguments: {} })) as CallToolResult;
  expect(JSON.stringify(elicited.content)).toMatch(/declin/i);
  const progress: number[] = [];
  const long = (await asking.callTool({ name: "everything__trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } }, undefined, { onprogress: (p) => void progress.push(p.progress) })) as CallToolResult;
  expect(code(long)).toBe("allow");
  expect(progress).toEqual([1, 2]);
  const prompt = await asking.getPrompt({ name: "everything__simple-prompt" });
  expect(prompt.messages.length).toBeGreaterThan(0);
  const resources = (await asking.listResources()).resources.map((r) => r.uri);
  expect(resources).toContain("everything+demo://resource/static/document/architecture.md");
  const read = await asking.readResource({ uri: "everything+demo://resource/static/document/architecture.md" });
  expect(read.contents[0]!.uri).toBe("everything+demo://resource/static/document/architecture.md");
  await expect(asking.readResource({ uri: "everything+demo://resource/static/document/features.md" })).rejects.toThrow(/denied|policy/i);
  // Links in a tool's result come back under exposed URIs, so the agent can read them through the stack.
  const links = (await asking.callTool({ name: "everything__get-resource-links", arguments: { count: 2 } })) as CallToolResult;
  const linked = links.content.filter((c) => c.type === "resource_link").map((c) => (c as { uri: string }).uri);
  expect(linked.length).toBeGreaterThan(0);
  for (const uri of linked) expect(uri.startsWith("everything+")).toBe(true);
}, 60_000);

test("a server whose onStartFailure is `fail` and cannot start stops the gateway before it listens, naming the server", async () => {
  const at = tempDir("toolgate-stack-http-fail-");
  const config = writeConfig(at);
  const doc = JSON.parse(readFileSync(config, "utf8")) as { servers: Record<string, unknown> };
  doc.servers = { broken: { command: process.execPath, args: ["-e", "process.exit(3)"], policy: "memory.json", onStartFailure: "fail" } };
  writeFileSync(config, JSON.stringify({ ...doc, grants: undefined }));
  await expect(startHttpGateway(["--config", config])).rejects.toThrow(/exited with code 1 before listening[\s\S]*server `broken` did not start/);
}, 60_000);

test("a server that cannot start under `serve_rest` leaves the rest serving, and /health names it with its error", async () => {
  const at = tempDir("toolgate-stack-http-rest-");
  writeJson(at, "memory.json", { version: "1", default: "allow" });
  const config = writeJson(at, "stack.json", {
    version: "1",
    servers: {
      broken: { command: process.execPath, args: ["-e", "process.exit(3)"], policy: "memory.json" },
      memory: { command: process.execPath, args: [bin("server-memory")], env: { MEMORY_FILE_PATH: join(at, "memory.jsonl") }, policy: "memory.json" },
    },
  });
  const rest = await startHttpGateway(["--config", config], { TOOLGATE_CLOCK_FILE: clockFile(at, T0_MS).path });
  try {
    const h = (await (await fetch(`${rest.base}/health`)).json()) as Awaited<ReturnType<typeof health>>;
    expect(h.servers.find((s) => s.name === "memory")?.state).toBe("ready");
    const broken = h.servers.find((s) => s.name === "broken")!;
    expect(["failing", "restarting"]).toContain(broken.state);
    expect(broken.lastError).not.toBeNull();
    const client = new Client({ name: "rest", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(rest.url)));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("memory__read_graph");
    await client.close();
  } finally {
    await rest.stop();
  }
}, 60_000);

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return ""; // gone meanwhile
  }
}
