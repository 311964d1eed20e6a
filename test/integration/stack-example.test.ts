/**
 * The README's stack example works as written from a clone: `toolgate validate` accepts the config
 * and `toolgate serve --config examples/stack/stack.json` lists the three servers' tools under
 * their exposed names, then exits 0 when the agent hangs up; `team.json` over HTTP gives each
 * example token its servers.
 */
import { spawn, spawnSync } from "node:child_process";
import { expect, test } from "vitest";
import { REPO_ROOT, TOOLGATE_BIN } from "../fixtures/servers/gateway-process.js";

test("validate accepts the example config and every policy it names", () => {
  const r = spawnSync(process.execPath, [TOOLGATE_BIN, "validate", "examples/stack/stack.json"], { cwd: REPO_ROOT, encoding: "utf8" });
  expect(r.stdout).toBe("examples/stack/stack.json: ok (gateway config, 3 servers (kommo, memory, files), 1 stack limit)\n");
  expect(r.status).toBe(0);
});

test("serve --config examples/stack/stack.json lists every server's allowed tools and exits 0 on hang-up", async () => {
  const child = spawn(process.execPath, [TOOLGATE_BIN, "serve", "--config", "examples/stack/stack.json"], { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  const listed = new Promise<{ tools: Array<{ name: string }> }>((resolve) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      for (const line of out.split("\n")) {
        if (line.includes('"id":2')) resolve(JSON.parse(line).result);
      }
    });
  });
  const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
  send({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "readme", version: "1" } } });
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  const names = (await listed).tools.map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(["kommo__stop_salesbot", "kommo__create_lead", "memory__read_graph", "files__read_text_file", "files__write_file"]));
  expect(names.filter((n) => n.startsWith("kommo__"))).toHaveLength(5);
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code).toBe(0);
}, 60_000);

test("serve --config examples/stack/team.json --listen: each example token sees its servers, /health lists them all ready", async () => {
  const { startHttpGateway } = await import("./gateway-http-process.js");
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const gateway = await startHttpGateway(["--config", "examples/stack/team.json"]);
  try {
    const tools = async (token: string) => {
      const client = new Client({ name: "readme", version: "1" });
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      await client.close();
      return names;
    };
    expect(await tools("sales-example-token")).toEqual(expect.arrayContaining(["kommo__stop_salesbot", "memory__read_graph", "files__read_text_file"]));
    expect(await tools("notes-example-token")).toEqual(["memory__open_nodes", "memory__read_graph", "memory__search_nodes"]);
    const health = (await (await fetch(`${gateway.base}/health`)).json()) as { servers: Array<{ name: string; state: string; lastError: string | null; restarts: number }> };
    expect(health.servers).toEqual([
      { name: "kommo", state: "ready", lastError: null, restarts: 0 },
      { name: "memory", state: "ready", lastError: null, restarts: 0 },
      { name: "files", state: "ready", lastError: null, restarts: 0 },
    ]);
  } finally {
    await gateway.stop();
  }
}, 60_000);
