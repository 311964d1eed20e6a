import { afterEach, expect, test } from "vitest";
import { startInProcessSim, type InProcessSim } from "../../../helpers/kommo-sim-in-process.js";

let sim: InProcessSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const requestsOf = (s: InProcessSim) => s.fake.requests.all().map((r) => ({ method: r.method, path: r.path, query: r.query, body: r.body }));

test("get_leads sends limit and page defaults (0 takes the default) and query only when non-empty", async () => {
  sim = await startInProcessSim();
  await sim.call("get_leads", { limit: 0, query: "" });
  await sim.call("get_leads", { limit: 5, page: 2, query: "acme corp" });
  const [first, second] = sim.fake.requests.all();
  expect(first?.query).toEqual({ limit: "250", page: "1" });
  expect(second?.query).toEqual({ limit: "5", page: "2", query: "acme corp" });
});

test("every REST request carries the bearer token and the axios-like JSON headers", async () => {
  sim = await startInProcessSim();
  await sim.call("get_account");
  const headers = sim.fake.requests.all()[0]!.headers;
  expect(headers.authorization).toBe(`Bearer ${sim.fake.token}`);
  expect(headers["content-type"]).toBe("application/json");
  expect(headers.accept).toBe("application/json, text/plain, */*");
});

test("get_account returns the account object pretty-printed with two spaces", async () => {
  sim = await startInProcessSim();
  const result = await sim.call("get_account");
  const data = JSON.parse(result.text) as Record<string, unknown>;
  expect(result.text).toBe(JSON.stringify(data, null, 2));
  expect(data.id).toBe(sim.fake.crm.account.id);
});

test("create_lead posts every argument as given (minus confirm) as a one-element array and returns _embedded.leads[0]", async () => {
  sim = await startInProcessSim();
  const before = sim.fake.crm.leads().length;
  const result = await sim.call("create_lead", { name: "Novo", price: 1200, responsible_user_id: sim.fake.crm.users()[0]!.id, confirm: true });
  expect(result.isError).toBe(false);
  const created = JSON.parse(result.text) as { id: number };
  expect(sim.fake.crm.leads()).toHaveLength(before + 1);
  expect(sim.fake.crm.lead(created.id)?.name).toBe("Novo");
  expect(requestsOf(sim)).toEqual([
    { method: "POST", path: "/api/v4/leads", query: {}, body: [{ name: "Novo", price: 1200, responsible_user_id: sim.fake.crm.users()[0]!.id }] },
  ]);
});

test("update_lead patches every argument except id, extra Kommo fields included", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const result = await sim.call("update_lead", { id: lead.id, price: 999, name: "Renomeado" });
  expect(result.isError).toBe(false);
  expect(requestsOf(sim)).toEqual([{ method: "PATCH", path: `/api/v4/leads/${lead.id}`, query: {}, body: { price: 999, name: "Renomeado" } }]);
  expect(sim.fake.crm.lead(lead.id)?.price).toBe(999);
});

test("move_lead sends {status_id}, or {pipeline_id, status_id} when a pipeline is given", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const pipeline = sim.fake.crm.pipelines()[0]!;
  await sim.call("move_lead", { lead_id: lead.id, status_id: 142 });
  await sim.call("move_lead", { lead_id: lead.id, status_id: 143, pipeline_id: pipeline.id });
  expect(sim.fake.requests.all().map((r) => r.body)).toEqual([{ status_id: 142 }, { pipeline_id: pipeline.id, status_id: 143 }]);
});

test("get_pipelines with a pipeline_id fetches the pipeline and its statuses", async () => {
  sim = await startInProcessSim();
  const pipeline = sim.fake.crm.pipelines()[0]!;
  const result = await sim.call("get_pipelines", { pipeline_id: pipeline.id });
  expect(Object.keys(JSON.parse(result.text) as object)).toEqual(["pipeline", "statuses"]);
  expect(sim.fake.requests.all().map((r) => r.path).sort()).toEqual([`/api/v4/leads/pipelines/${pipeline.id}`, `/api/v4/leads/pipelines/${pipeline.id}/statuses`]);
});

test("create_task forwards only its five fields and drops extras and a falsy responsible_user_id", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const result = await sim.call("create_task", { text: "Ligar", entity_id: lead.id, entity_type: "leads", complete_till: 1_800_000_000, responsible_user_id: 0, extra: "x" });
  expect(result.isError).toBe(false);
  expect(sim.fake.requests.all()[0]?.body).toEqual([{ text: "Ligar", entity_id: lead.id, entity_type: "leads", complete_till: 1_800_000_000 }]);
});

test("add_note posts a common note by default to the entity's notes", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const result = await sim.call("add_note", { entity_type: "leads", entity_id: lead.id, text: "Olá" });
  expect(result.isError).toBe(false);
  expect(requestsOf(sim)).toEqual([{ method: "POST", path: `/api/v4/leads/${lead.id}/notes`, query: {}, body: [{ note_type: "common", params: { text: "Olá" } }] }]);
});

test("pin_note answered 204 gives the text \"\" (two quote characters), not an error", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const note = JSON.parse((await sim.call("add_note", { entity_type: "leads", entity_id: lead.id, text: "fixar" })).text) as { id: number };
  const result = await sim.call("pin_note", { entity_type: "leads", note_id: note.id });
  expect(result).toEqual({ text: '""', isError: false });
  expect(sim.fake.crm.note(note.id)?.is_pinned).toBe(true);
  expect(await sim.call("unpin_note", { entity_type: "leads", note_id: note.id })).toEqual({ text: '""', isError: false });
  expect(sim.fake.requests.all().slice(1).map((r) => `${r.method} ${r.path} ${r.bodyText}`)).toEqual([
    `POST /api/v4/leads/notes/${note.id}/pin `,
    `POST /api/v4/leads/notes/${note.id}/unpin `,
  ]);
});

test("a list Kommo answers with 204 (empty) gives the text \"\"", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("GET /api/v4/companies", { status: 204 });
  expect(await sim.call("get_companies")).toEqual({ text: '""', isError: false });
});

test("run_salesbot posts a one-element array and answers accepted on 202", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  const bot = sim.fake.crm.salesbots()[0]!;
  const result = await sim.call("run_salesbot", { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" });
  expect(JSON.parse(result.text)).toEqual({ accepted: true });
  expect(sim.fake.requests.all()[0]?.body).toEqual([{ bot_id: bot.id, entity_id: lead.id, entity_type: "leads" }]);
  expect(sim.fake.effects.countRuns({ botId: bot.id })).toBe(1);
});

test("stop_salesbot posts {entity_id, entity_type} to /bots/{id}/stop; a 200 gives accepted:false without error", async () => {
  sim = await startInProcessSim();
  const result = await sim.call("stop_salesbot", { bot_id: 7, entity_id: 101, entity_type: "leads" });
  expect(JSON.parse(result.text)).toEqual({ accepted: true });
  expect(requestsOf(sim)).toEqual([{ method: "POST", path: "/api/v4/bots/7/stop", query: {}, body: { entity_id: 101, entity_type: "leads" } }]);
  expect(sim.fake.effects.countStops({ botId: 7 })).toBe(1);
  sim.fake.faults.set("POST /api/v4/bots/:id/stop", { status: 200, body: {} });
  expect(await sim.call("stop_salesbot", { bot_id: 7, entity_id: 101, entity_type: "leads" })).toEqual({ text: '{\n  "accepted": false\n}', isError: false });
});

test("with schema v2, stop_salesbot takes only bot_id and posts no body, which Kommo v4 rejects", async () => {
  sim = await startInProcessSim({ schema: "v2" });
  const listed = (await sim.client.listTools()).tools.find((t) => t.name === "stop_salesbot")!;
  expect(listed.inputSchema).toEqual({
    type: "object",
    properties: { bot_id: { type: "number", description: "ID do bot Salesbot" }, confirm: { type: "boolean", description: "Confirma explicitamente a operação de escrita quando exigido." } },
    required: ["bot_id"],
    additionalProperties: false,
  });
  expect(await sim.call("stop_salesbot", { bot_id: 7 })).toEqual({ text: "A API do Kommo não conseguiu concluir a operação.", isError: true });
  expect(sim.fake.requests.all().map((r) => `${r.method} ${r.path} ${JSON.stringify(r.bodyText)} ${r.status}`)).toEqual(['POST /api/v4/bots/7/stop "" 400']);
  expect(sim.fake.effects.countStops()).toBe(0);
  sim.fake.faults.set("POST /api/v4/bots/:id/stop", { status: 202 });
  expect(await sim.call("stop_salesbot", { bot_id: 7 })).toEqual({ text: '""', isError: false });
  const extra = await sim.call("stop_salesbot", { bot_id: 7, entity_id: 101 });
  expect(extra).toEqual({ text: "Input validation error: Invalid arguments for tool stop_salesbot: data must NOT have additional properties", isError: true });
});

test("with confirmWrites, a write without confirm:true is refused before any REST call; with it, confirm is stripped", async () => {
  sim = await startInProcessSim({ confirmWrites: true });
  const refused = "Esta operação exige confirm=true porque MCP_CONFIRM_WRITES está ativo.";
  expect(await sim.call("stop_salesbot", { bot_id: 7, entity_id: 101, entity_type: "leads" })).toEqual({ text: refused, isError: true });
  expect(await sim.call("create_lead", { name: "X", confirm: false })).toEqual({ text: refused, isError: true });
  expect(sim.fake.requests.all()).toHaveLength(0);
  expect((await sim.call("get_account")).isError).toBe(false);
  const accepted = await sim.call("stop_salesbot", { bot_id: 7, entity_id: 101, entity_type: "leads", confirm: true });
  expect(JSON.parse(accepted.text)).toEqual({ accepted: true });
  expect(sim.fake.requests.all({ path: "/api/v4/bots/7/stop" })[0]?.body).toEqual({ entity_id: 101, entity_type: "leads" });
});

test.each([
  ["stop_salesbot", { bot_id: 7, entity_type: "leads" }, "data must have required property 'entity_id'"],
  ["stop_salesbot", { bot_id: "7", entity_id: 101, entity_type: "leads" }, "data/bot_id must be number"],
  ["run_salesbot", { bot_id: 7, entity_id: 101, entity_type: "contacts" }, "data/entity_type must be equal to one of the allowed values"],
  ["get_account", { verbose: true }, "data must NOT have additional properties"],
  ["get_notes", { entity_type: "deals", entity_id: 1 }, "data/entity_type must be equal to one of the allowed values"],
  ["pin_note", { entity_type: "leads", note_id: 1, confirm: "yes" }, "data/confirm must be boolean"],
])("schema violation on %s is an isError result naming the ajv message, with no REST call", async (name, args, message) => {
  sim = await startInProcessSim();
  expect(await sim.call(name, args)).toEqual({ text: `Input validation error: Invalid arguments for tool ${name}: ${message}`, isError: true });
  expect(sim.fake.requests.all()).toHaveLength(0);
});

test("create_lead and update_lead accept extra properties; create_task accepts them too", async () => {
  sim = await startInProcessSim();
  const lead = sim.fake.crm.leads()[0]!;
  expect((await sim.call("update_lead", { id: lead.id, custom_thing: 1 })).text).not.toContain("Input validation error");
});

test("an unknown tool is a JSON-RPC error -32602, not a tool result", async () => {
  sim = await startInProcessSim();
  await expect(sim.client.callTool({ name: "delete_everything", arguments: {} })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining("Tool delete_everything not found") });
});
