/**
 * `toolgate kommo-sim` over stdio with a real 2025-era client (SDK 1.x StdioClientTransport):
 * the 23 tools as the fixture lists them, every tool called once and checked against the REST
 * request it caused (read back from `--effects-file`), the 5 resources and the 4 prompts. The
 * child's clock is pinned through TOOLGATE_CLOCK_FILE.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { clockFile, kommoSimCommand, readEffectsFile, REPO_ROOT, tempDir, type EffectsFileLine } from "../helpers/kommo-sim-process.js";

const fixture = JSON.parse(readFileSync(join(REPO_ROOT, "fixtures/kommo/tools.json"), "utf8")) as { tools: Array<{ name: string; required: string[] }> };
const seed = loadDefaultSeed();
const NOW_MS = Date.UTC(2026, 2, 15, 12, 0, 0);
const dir = tempDir();
const effectsFile = join(dir, "effects.jsonl");
let client: Client;
let seenLines = 0;

/** The effects-file lines written since the last call to this function. */
function newLines(): EffectsFileLine[] {
  const lines = readEffectsFile(effectsFile);
  const fresh = lines.slice(seenLines);
  seenLines = lines.length;
  return fresh;
}

function requestsSince(): string[] {
  return newLines()
    .filter((l) => l.kind === "request")
    .map((l) => `${l.method} ${l.path}`);
}

async function call(name: string, args: Record<string, unknown> = {}): Promise<{ text: string; isError: boolean }> {
  const result = await client.callTool({ name, arguments: args });
  const content = result.content as Array<{ text: string }>;
  return { text: content[0]!.text, isError: result.isError === true };
}

beforeAll(async () => {
  const clock = clockFile(dir, NOW_MS);
  const { command, args } = kommoSimCommand(["--effects-file", effectsFile, "--kommo-rps", "0"]);
  const transport = new StdioClientTransport({ command, args, cwd: REPO_ROOT, env: { ...process.env, TOOLGATE_CLOCK_FILE: clock.path } as Record<string, string>, stderr: "pipe" });
  client = new Client({ name: "kommo-sim-stdio-test", version: "1.0.0" });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
});

test("a 2025-era stdio client sees kommo-mcp-server 3.0.0 with exactly the 23 tools and their required params", async () => {
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  const { tools } = await client.listTools();
  expect(tools.map((t) => ({ name: t.name, required: t.inputSchema.required ?? [] }))).toEqual(fixture.tools.map((t) => ({ name: t.name, required: t.required })));
});

test("every tool reaches the fake Kommo with the REST calls of the real server", async () => {
  const lead = seed.leads[0]!;
  const pipeline = seed.pipelines[0]!;
  const lossReason = seed.loss_reasons[0]!;
  const note = seed.notes.find((n) => n.entity_type === "leads")!;
  const bot = seed.salesbots[0]!;
  newLines();
  const leadsPages = ["GET /api/v4/leads", "GET /api/v4/leads"]; // 300 seeded leads: two pages of 250
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ["get_account", {}, ["GET /api/v4/account"]],
    ["get_leads", { limit: 2 }, ["GET /api/v4/leads"]],
    ["get_lead", { id: lead.id }, [`GET /api/v4/leads/${lead.id}`]],
    ["create_lead", { name: "Via stdio", price: 10 }, ["POST /api/v4/leads"]],
    ["update_lead", { id: lead.id, price: 4321 }, [`PATCH /api/v4/leads/${lead.id}`]],
    ["move_lead", { lead_id: lead.id, status_id: 142 }, [`PATCH /api/v4/leads/${lead.id}`]],
    ["get_pipelines", {}, ["GET /api/v4/leads/pipelines"]],
    ["get_sales_report", {}, ["GET /api/v4/account", ...leadsPages, "GET /api/v4/leads/pipelines", "GET /api/v4/users"]],
    ["get_dashboard", {}, ["GET /api/v4/account", ...leadsPages, "GET /api/v4/tasks", "GET /api/v4/leads/pipelines"]],
    ["get_contacts", {}, ["GET /api/v4/contacts"]],
    ["get_companies", {}, ["GET /api/v4/companies"]],
    ["get_tasks", {}, ["GET /api/v4/tasks"]],
    ["create_task", { text: "Ligar", entity_id: lead.id, entity_type: "leads", complete_till: NOW_MS / 1000 + 3600 }, ["POST /api/v4/tasks"]],
    ["get_users", {}, ["GET /api/v4/users"]],
    ["get_loss_reasons", {}, ["GET /api/v4/leads/loss_reasons"]],
    ["get_loss_reason", { id: lossReason.id }, [`GET /api/v4/leads/loss_reasons/${lossReason.id}`]],
    ["get_notes", { entity_type: "leads", entity_id: note.entity_id }, [`GET /api/v4/leads/${note.entity_id}/notes`]],
    ["add_note", { entity_type: "leads", entity_id: lead.id, text: "nota" }, [`POST /api/v4/leads/${lead.id}/notes`]],
    ["pin_note", { entity_type: "leads", note_id: note.id }, [`POST /api/v4/leads/notes/${note.id}/pin`]],
    ["unpin_note", { entity_type: "leads", note_id: note.id }, [`POST /api/v4/leads/notes/${note.id}/unpin`]],
    ["run_salesbot", { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" }, ["POST /api/v4/bots/run"]],
    ["stop_salesbot", { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" }, [`POST /api/v4/bots/${bot.id}/stop`]],
    ["ask_kommo", { question: "Quantas vendas tivemos este mês?" }, leadsPages],
  ];
  expect(cases.map((c) => c[0]).sort()).toEqual(fixture.tools.map((t) => t.name).sort());
  for (const [name, args, expected] of cases) {
    const result = await call(name, args);
    expect(result.isError, `${name}: ${result.text}`).toBe(false);
    expect(requestsSince().sort(), name).toEqual([...expected].sort());
  }
});

test("the effects file records the call that reached the simulator, its REST request with status, and the stop", async () => {
  newLines();
  const bot = seed.salesbots[1]!;
  const lead = seed.leads[1]!;
  expect(JSON.parse((await call("stop_salesbot", { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" })).text)).toEqual({ accepted: true });
  const lines = newLines();
  expect(lines).toEqual([
    { kind: "call", atMs: NOW_MS, tool: "stop_salesbot", argsSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    { kind: "request", atMs: NOW_MS, method: "POST", path: `/api/v4/bots/${bot.id}/stop`, query: {}, body: { entity_id: lead.id, entity_type: "leads" }, status: 202 },
    { kind: "effect", effect: "stop", botId: bot.id, entityId: lead.id, entityType: "leads", atMs: NOW_MS },
  ]);
});

test("the child's clock comes from TOOLGATE_CLOCK_FILE: the sales report defaults end on that day", async () => {
  const report = JSON.parse((await call("get_sales_report")).text) as { period: unknown };
  expect(report.period).toEqual({ from: "2026-02-15", to: "2026-03-15" });
});

test("a CRM write through one tool is seen by the next read", async () => {
  const created = JSON.parse((await call("create_lead", { name: "Lead lido de volta", price: 77 })).text) as { id: number };
  const lead = JSON.parse((await call("get_lead", { id: created.id })).text) as { name: string; price: number };
  expect(lead).toMatchObject({ name: "Lead lido de volta", price: 77 });
});

test("the 5 resources are listed and readable as JSON, and the 4 prompts are listed and readable", async () => {
  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri)).toEqual(["kommo://reports/sales", "kommo://pipelines", "kommo://loss_reasons", "kommo://dashboard", "kommo://account"]);
  for (const resource of resources) {
    const read = await client.readResource({ uri: resource.uri });
    const content = read.contents[0] as { mimeType: string; text: string };
    expect(content.mimeType, resource.uri).toBe("application/json");
    expect(() => JSON.parse(content.text), resource.uri).not.toThrow();
  }
  const { prompts } = await client.listPrompts();
  expect(prompts.map((p) => p.name)).toEqual(["analisar_vendas_mes", "resumo_leads_status", "analise_pipeline", "motivos_perda"]);
  for (const prompt of prompts) {
    const got = await client.getPrompt({ name: prompt.name, arguments: {} });
    expect(got.messages[0]?.role, prompt.name).toBe("user");
  }
});

test("schema violations and unknown tools answer as the real server does, without a REST call", async () => {
  newLines();
  expect(await call("stop_salesbot", { bot_id: 7 })).toEqual({
    text: "Input validation error: Invalid arguments for tool stop_salesbot: data must have required property 'entity_id', data must have required property 'entity_type'",
    isError: true,
  });
  await expect(client.callTool({ name: "nope", arguments: {} })).rejects.toMatchObject({ code: -32602 });
  expect(requestsSince()).toEqual([]);
});
