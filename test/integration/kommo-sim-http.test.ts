/**
 * `toolgate kommo-sim --listen` over Streamable HTTP on loopback: a 2025-era client (SDK 1.x) and
 * a 2026-07-28 client (SDK 2.x) against the default server, and the `--protocol 2026-07-28` server
 * refusing the former exactly as the real v3 HTTP entrypoint does while serving the latter.
 */
import { execFileSync } from "node:child_process";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyHttpTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { readEffectsFile, startKommoSimHttp, tempDir, type KommoSimHttpProcess } from "../helpers/kommo-sim-process.js";

const dir = tempDir();
const effectsFile = join(dir, "effects.jsonl");
let anyEra: KommoSimHttpProcess;
let modernOnly: KommoSimHttpProcess;
const clients: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
  [anyEra, modernOnly] = await Promise.all([
    startKommoSimHttp(["--effects-file", effectsFile, "--kommo-rps", "0", "--rest", "127.0.0.1:0"]),
    startKommoSimHttp(["--protocol", "2026-07-28", "--kommo-rps", "0", "--rest", "127.0.0.1:0", "--rest-tls", cert, key]),
  ]);
});

function restUrl(sim: KommoSimHttpProcess): string {
  const match = /fake Kommo REST API on (\S+)/.exec(sim.stderr());
  if (!match) throw new Error(`no REST URL announced; stderr:\n${sim.stderr()}`);
  return match[1]!;
}

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([anyEra?.stop(), modernOnly?.stop()]);
});

function modernClient(): ModernClient {
  const client = new ModernClient({ name: "modern-test", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  clients.push(client);
  return client;
}

function legacyClient(): LegacyClient {
  const client = new LegacyClient({ name: "legacy-test", version: "1.0.0" });
  clients.push(client);
  return client;
}

test("the server listens on 127.0.0.1 and /health reports 23 tools, 5 resources and 4 prompts", async () => {
  expect(new URL(anyEra.url).hostname).toBe("127.0.0.1");
  const health = (await (await fetch(anyEra.url.replace(/\/mcp$/, "/health"))).json()) as Record<string, unknown>;
  expect(health).toMatchObject({ status: "healthy", version: "3.0.0", protocol_version: "2026-07-28", tools_count: 23, resources_count: 5, prompts_count: 4 });
});

test("a 2025-era client (SDK 1.x Streamable HTTP) lists the 23 tools and stops a salesbot that the CRM records", async () => {
  const client = legacyClient();
  await client.connect(new LegacyHttpTransport(new URL(anyEra.url)));
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  expect((await client.listTools()).tools).toHaveLength(23);
  const result = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 2, entity_id: 102, entity_type: "leads" } });
  expect(result.content).toEqual([{ type: "text", text: '{\n  "accepted": true\n}' }]);
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect")).toEqual([expect.objectContaining({ effect: "stop", botId: 2, entityId: 102 })]);
});

test("a 2026-07-28 client (SDK 2.x) lists, calls, reads resources and gets prompts on the default server", async () => {
  const client = modernClient();
  await client.connect(new ModernHttpTransport(new URL(anyEra.url)));
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  expect((await client.listTools()).tools).toHaveLength(23);
  const account = await client.callTool({ name: "get_account", arguments: {} });
  expect(JSON.parse((account.content as Array<{ text: string }>)[0]!.text)).toHaveProperty("subdomain");
  expect((await client.listResources()).resources).toHaveLength(5);
  const read = await client.readResource({ uri: "kommo://pipelines" });
  expect(JSON.parse((read.contents[0] as { text: string }).text)).toHaveProperty("_embedded.pipelines");
  expect((await client.listPrompts()).prompts).toHaveLength(4);
});

test("with --protocol 2026-07-28 a 2025-era initialize gets HTTP 400 and the -32022 error naming the supported revision", async () => {
  const response = await fetch(modernOnly.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
  });
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({
    jsonrpc: "2.0",
    error: { code: -32022, message: "Unsupported protocol version: 2025-11-25", data: { supported: ["2026-07-28"], requested: "2025-11-25" } },
    id: 1,
  });
});

test("with --protocol 2026-07-28 the SDK 1.x client cannot connect", async () => {
  const client = legacyClient();
  await expect(client.connect(new LegacyHttpTransport(new URL(modernOnly.url)))).rejects.toThrow(/-32022|Unsupported protocol version/);
});

test("with --protocol 2026-07-28 a 2026-07-28 client is served", async () => {
  const client = modernClient();
  await client.connect(new ModernHttpTransport(new URL(modernOnly.url)));
  expect((await client.listTools()).tools).toHaveLength(23);
  const result = await client.callTool({ name: "get_loss_reasons", arguments: {} });
  expect(result.isError).not.toBe(true);
});

test("--rest serves the same fake Kommo over HTTP, with the bearer token, and its requests reach the effects file", async () => {
  const base = restUrl(anyEra);
  expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${base}/api/v4/account`)).status).toBe(401);
  const response = await fetch(`${base}/api/v4/leads/pipelines`, { headers: { authorization: "Bearer sim-token" } });
  expect(response.status).toBe(200);
  expect(await response.json()).toHaveProperty("_embedded.pipelines");
  const logged = readEffectsFile(effectsFile).filter((l) => l.kind === "request" && l.path === "/api/v4/leads/pipelines");
  expect(logged.map((l) => l.status)).toContain(200);
});

test("--rest-tls serves the fake Kommo over HTTPS with the given certificate", async () => {
  const base = restUrl(modernOnly);
  expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpsGet(`${base}/api/v4/account`, { headers: { authorization: "Bearer sim-token" }, rejectUnauthorized: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
  });
  expect(status).toBe(200);
  expect(JSON.parse(body)).toHaveProperty("subdomain");
});
