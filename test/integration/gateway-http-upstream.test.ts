/**
 * `toolgate serve --upstream-url`: the gateway's Streamable HTTP client in front of
 * `toolgate kommo-sim --listen` (a 2025-era SDK client on the gateway's stdio). Sessions,
 * protocol headers, JSON and SSE answers are the transport's business; the test checks the
 * agent-visible behaviour and what reached the CRM.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { readEffectsFile, startKommoSimHttp, type KommoSimHttpProcess } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, TOOLGATE_BIN, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";

const dir = tempDir();
const effectsFile = join(dir, "effects.jsonl");
const seed = loadDefaultSeed();
let sim: KommoSimHttpProcess;
let client: Client;

beforeAll(async () => {
  sim = await startKommoSimHttp(["--effects-file", effectsFile, "--kommo-rps", "0"]);
  const policy = writeJson(dir, "policy.json", { version: "1", default: "deny", hide: ["run_salesbot"], tools: { stop_salesbot: {}, get_account: {}, run_salesbot: {} } });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [TOOLGATE_BIN, "serve", "--policy", policy, "--upstream-url", sim.url],
    cwd: REPO_ROOT,
    stderr: "pipe",
  });
  client = new Client({ name: "gateway-http-upstream", version: "1.0.0" });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await sim?.stop();
});

test("initialize and tools/list go over HTTP and come back filtered", async () => {
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server" });
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(["get_account", "stop_salesbot"]);
});

test("an allowed call reaches the CRM over HTTP; a hidden one does not", async () => {
  const bot = seed.salesbots[0]!;
  const lead = seed.leads[0]!;
  const stopped = (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" } })) as CallToolResult;
  expect(stopped.isError).not.toBe(true);
  const hidden = (await client.callTool({ name: "run_salesbot", arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" } })) as CallToolResult;
  expect((hidden._meta as Record<string, { code: string }>)["toolgate/decision"]!.code).toBe("hidden");
  const effects = readEffectsFile(effectsFile).filter((l) => l.kind === "effect");
  expect(effects).toEqual([expect.objectContaining({ effect: "stop", botId: bot.id, entityId: lead.id })]);
});

test("invalid arguments are refused before they go over the wire", async () => {
  const before = readEffectsFile(effectsFile).length;
  const result = (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: "x" } })) as CallToolResult;
  expect((result._meta as Record<string, { code: string }>)["toolgate/decision"]!.code).toBe("invalid_arguments");
  const account = (await client.callTool({ name: "get_account", arguments: {} })) as CallToolResult;
  expect(account.isError).not.toBe(true);
  expect(readEffectsFile(effectsFile).slice(before).map((l) => `${l.method} ${l.path}`)).toEqual(["GET /api/v4/account"]);
});
