import { readFileSync } from "node:fs";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as LegacyInMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterEach, expect, test } from "vitest";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../../../src/kommo/rest-api/fake-kommo.js";
import { createKommoMcpServer, type KommoMcpServer } from "../../../../src/kommo/mcp-server.js";
import { startInProcessSim, type InProcessSim } from "../../../helpers/kommo-sim-in-process.js";

const fixture = JSON.parse(readFileSync(new URL("../../../../fixtures/kommo/tools.json", import.meta.url), "utf8")) as {
  tools: Array<{ name: string; required: string[]; write: boolean }>;
};

let sim: InProcessSim | undefined;
let legacySim: KommoMcpServer | undefined;
afterEach(async () => {
  await sim?.close();
  await legacySim?.close();
  sim = legacySim = undefined;
});

test("tools/list has the 23 tools of the fixture, in order, with their required params, titles and annotations", async () => {
  sim = await startInProcessSim();
  const { tools } = await sim.client.listTools();
  expect(tools.map((t) => ({ name: t.name, required: t.inputSchema.required ?? [] }))).toEqual(fixture.tools.map((t) => ({ name: t.name, required: t.required })));
  for (const tool of tools) {
    const write = fixture.tools.find((t) => t.name === tool.name)!.write;
    expect(tool.title, tool.name).toMatch(/\S/);
    expect(tool.description, tool.name).toMatch(/\S/);
    expect(tool.annotations, tool.name).toEqual({
      readOnlyHint: !write,
      destructiveHint: write,
      idempotentHint: !write || tool.name === "pin_note" || tool.name === "unpin_note",
      openWorldHint: true,
    });
    expect("confirm" in (tool.inputSchema.properties ?? {}), tool.name).toBe(write);
    expect(tool.outputSchema, tool.name).toBeUndefined();
  }
  expect(tools.filter((t) => fixture.tools.find((f) => f.name === t.name)!.write)).toHaveLength(9);
});

test("tool schemas are plain JSON Schema: numbers as type number, closed except create_lead, update_lead and create_task", async () => {
  sim = await startInProcessSim();
  const { tools } = await sim.client.listTools();
  const open = tools.filter((t) => t.inputSchema.additionalProperties !== false).map((t) => t.name);
  expect(open).toEqual(["create_lead", "update_lead", "create_task"]);
  const stop = tools.find((t) => t.name === "stop_salesbot")!;
  expect(stop.description).toBe("Parar um Salesbot pelo ID do bot");
  expect(stop.inputSchema.properties).toMatchObject({ bot_id: { type: "number" }, entity_id: { type: "number" }, entity_type: { type: "string", enum: ["leads"] } });
  const notes = tools.find((t) => t.name === "get_notes")!;
  expect(notes.inputSchema.properties).toMatchObject({ entity_type: { enum: ["leads", "contacts", "companies"] } });
});

test("the 5 resources are listed as application/json and read with the same REST calls as their tools", async () => {
  sim = await startInProcessSim();
  const { resources } = await sim.client.listResources();
  expect(resources.map((r) => [r.uri, r.mimeType])).toEqual([
    ["kommo://reports/sales", "application/json"],
    ["kommo://pipelines", "application/json"],
    ["kommo://loss_reasons", "application/json"],
    ["kommo://dashboard", "application/json"],
    ["kommo://account", "application/json"],
  ]);
  const read = await sim.client.readResource({ uri: "kommo://loss_reasons" });
  expect(read.contents[0]).toMatchObject({ uri: "kommo://loss_reasons", mimeType: "application/json" });
  expect(JSON.parse((read.contents[0] as { text: string }).text)).toHaveProperty("_embedded.loss_reasons");
  expect(sim.fake.requests.all().map((r) => r.path)).toEqual(["/api/v4/leads/loss_reasons"]);
});

test("a resource whose Kommo call fails errors with the one Portuguese read text", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("GET /api/v4/account", { status: 500 });
  await expect(sim.client.readResource({ uri: "kommo://account" })).rejects.toThrow("Não foi possível carregar este resource do Kommo.");
});

test("the 4 prompts are fixed Portuguese user messages and make no REST call", async () => {
  sim = await startInProcessSim();
  const { prompts } = await sim.client.listPrompts();
  expect(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}:${a.required === true}`)])).toEqual([
    ["analisar_vendas_mes", []],
    ["resumo_leads_status", []],
    ["analise_pipeline", ["pipeline_id:false"]],
    ["motivos_perda", []],
  ]);
  const prompt = await sim.client.getPrompt({ name: "analise_pipeline", arguments: { pipeline_id: "3" } });
  expect(prompt.messages).toEqual([{ role: "user", content: { type: "text", text: "Analise a performance do pipeline de vendas, incluindo conversão e gargalos." } }]);
  expect(sim.fake.requests.all()).toHaveLength(0);
});

test("a 2026-07-28 client sees the server identity kommo-mcp-server 3.0.0", async () => {
  sim = await startInProcessSim();
  expect(sim.client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
});

async function connectLegacy(protocol: "any" | "2026-07-28"): Promise<LegacyClient> {
  const clock = new VirtualClock();
  legacySim = createKommoMcpServer({ clock, fake: createFakeKommo({ clock, rateLimitPerSecond: 0 }), protocol });
  const [clientSide, serverSide] = LegacyInMemoryTransport.createLinkedPair();
  await legacySim.connect(serverSide);
  const client = new LegacyClient({ name: "legacy", version: "1.0.0" });
  await client.connect(clientSide);
  return client;
}

test("a 2025-era client (SDK 1.x, initialize) is served by default", async () => {
  const client = await connectLegacy("any");
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  expect((await client.listTools()).tools).toHaveLength(23);
  const result = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 7, entity_id: 101, entity_type: "leads" } });
  expect(result.content).toEqual([{ type: "text", text: '{\n  "accepted": true\n}' }]);
  await client.close();
});

test("with protocol 2026-07-28 a 2025-era client is refused with -32022 naming the supported revision", async () => {
  await expect(connectLegacy("2026-07-28")).rejects.toMatchObject({
    code: -32022,
    message: expect.stringContaining("Unsupported protocol version: 2025-11-25"),
    data: { supported: ["2026-07-28"], requested: "2025-11-25" },
  });
});
