/**
 * The fake Kommo REST API v4 as a client sees it, through `fake.handle(new Request(...))`:
 * envelopes, paging, errors, the rate limit, writes, Salesbot effects, faults and the request log.
 */
import { beforeEach, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import type { FakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";

const BASE = "https://sim.kommo.test";
let clock: VirtualClock;
let fake: FakeKommo;

beforeEach(() => {
  clock = new VirtualClock();
  fake = createFakeKommo({ clock, rateLimitPerSecond: 0 });
});

interface CallOptions {
  body?: unknown;
  rawBody?: string;
  token?: string | null;
  signal?: AbortSignal;
}

function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/plain, */*" };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? "sim-token"}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return fake.handle(new Request(`${BASE}${path}`, { method, headers, body, signal: options.signal }));
}

async function json(response: Response): Promise<Record<string, any>> {
  return (await response.json()) as Record<string, any>;
}

test("the account answers as hal+json with BRL currency and a self link", async () => {
  const response = await call("GET", "/api/v4/account");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/hal+json");
  const account = await json(response);
  expect(account).toMatchObject({ currency: "BRL", currency_symbol: "R$", country: "BR", _links: { self: { href: `${BASE}/api/v4/account` } } });
  expect(account.current_user_id).toBe(fake.crm.users()[0]!.id);
});

test("a lead list page carries _page, _links and _embedded.leads with limit items", async () => {
  const page = await json(await call("GET", "/api/v4/leads?limit=25&page=2"));
  expect(page._page).toBe(2);
  expect(page._embedded.leads).toHaveLength(25);
  expect(page._embedded.leads[0].id).toBe(fake.crm.leads()[25]!.id);
  expect(page._links.self.href).toBe(`${BASE}/api/v4/leads?page=2&limit=25`);
  expect(page._links.next.href).toBe(`${BASE}/api/v4/leads?page=3&limit=25`);
  expect(page._links.prev.href).toBe(`${BASE}/api/v4/leads?page=1&limit=25`);
  expect(page._links.first.href).toBe(`${BASE}/api/v4/leads?page=1&limit=25`);
  expect(page._embedded.leads[0]._links.self.href).toMatch(/\/api\/v4\/leads\/\d+$/);
});

test("the limit defaults to 50 and the first page has no prev link", async () => {
  const page = await json(await call("GET", "/api/v4/leads"));
  expect(page._embedded.leads).toHaveLength(50);
  expect(page._links.prev).toBeUndefined();
});

test("walking pages of 250 stops at the last page, which has no next link", async () => {
  const total = fake.crm.leads().length;
  const first = await json(await call("GET", "/api/v4/leads?limit=250&page=1"));
  const last = await json(await call("GET", "/api/v4/leads?limit=250&page=2"));
  expect(first._links.next).toBeDefined();
  expect(last._links.next).toBeUndefined();
  expect(first._embedded.leads.length + last._embedded.leads.length).toBe(total);
});

test("a page past the end answers 204 with an empty body", async () => {
  const response = await call("GET", "/api/v4/leads?limit=250&page=3");
  expect(response.status).toBe(204);
  expect(await response.text()).toBe("");
});

test("a query that matches nothing answers 204", async () => {
  const response = await call("GET", "/api/v4/leads?query=zzzz-nada");
  expect(response.status).toBe(204);
});

test("limit above 250 is a 400 problem+json with validation errors", async () => {
  const response = await call("GET", "/api/v4/leads?limit=251");
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = await json(response);
  expect(body).toMatchObject({ title: "Bad Request", type: "https://httpstatus.es/400", status: 400, detail: "Request validation failed" });
  expect(body["validation-errors"][0].errors[0]).toMatchObject({ code: "TooHigh", path: "limit" });
});

test("a page below 1 is a 400 TooLow", async () => {
  const body = await json(await call("GET", "/api/v4/contacts?page=0"));
  expect(body["validation-errors"][0].errors[0]).toMatchObject({ code: "TooLow", path: "page" });
});

test("query searches lead names case-insensitively", async () => {
  const target = fake.crm.leads()[7]!;
  const word = target.name.split(" ")[1]!.toUpperCase();
  const page = await json(await call("GET", `/api/v4/leads?limit=250&query=${encodeURIComponent(word)}`));
  const names: string[] = page._embedded.leads.map((l: { name: string }) => l.name.toUpperCase());
  expect(names.every((n) => n.includes(word))).toBe(true);
  expect(page._embedded.leads.map((l: { id: number }) => l.id)).toContain(target.id);
});

test("query finds contacts by phone digits and by email", async () => {
  const contact = fake.crm.contacts()[3]!;
  const phone = String(contact.custom_fields_values!.find((f) => f.field_code === "PHONE")!.values[0]!.value);
  const email = String(contact.custom_fields_values!.find((f) => f.field_code === "EMAIL")!.values[0]!.value);
  const byPhone = await json(await call("GET", `/api/v4/contacts?query=${encodeURIComponent(phone.replace(/\D/g, "").slice(-8))}`));
  const byEmail = await json(await call("GET", `/api/v4/contacts?query=${encodeURIComponent(email)}`));
  expect(byPhone._embedded.contacts.map((c: { id: number }) => c.id)).toContain(contact.id);
  expect(byEmail._embedded.contacts.map((c: { id: number }) => c.id)).toEqual([contact.id]);
});

test("leads filter by pipeline, by pipeline status pair, by responsible user and by created_at range", async () => {
  const leads = fake.crm.leads();
  const pipelineId = leads[0]!.pipeline_id;
  const byPipeline = await json(await call("GET", `/api/v4/leads?limit=250&filter[pipeline_id][]=${pipelineId}`));
  expect(byPipeline._embedded.leads.length).toBe(leads.filter((l) => l.pipeline_id === pipelineId).length);

  const won = await json(await call("GET", `/api/v4/leads?limit=250&filter[statuses][0][pipeline_id]=${pipelineId}&filter[statuses][0][status_id]=142`));
  expect(won._embedded.leads.length).toBe(leads.filter((l) => l.pipeline_id === pipelineId && l.status_id === 142).length);
  expect(won._embedded.leads.length).toBeGreaterThan(0);

  const userId = leads[0]!.responsible_user_id;
  const byUser = await json(await call("GET", `/api/v4/leads?limit=250&filter[responsible_user_id][]=${userId}`));
  expect(byUser._embedded.leads.every((l: { responsible_user_id: number }) => l.responsible_user_id === userId)).toBe(true);

  const from = Date.UTC(2025, 10, 1) / 1000;
  const to = Date.UTC(2025, 10, 30, 23, 59, 59) / 1000;
  const november = leads.filter((l) => l.created_at >= from && l.created_at <= to);
  const byDate = await json(await call("GET", `/api/v4/leads?limit=250&filter[created_at][from]=${from}&filter[created_at][to]=${to}`));
  expect(byDate._embedded.leads.length).toBe(november.length);
});

test("order[created_at]=desc returns the newest lead first", async () => {
  const page = await json(await call("GET", "/api/v4/leads?limit=3&order[created_at]=desc"));
  const newest = Math.max(...fake.crm.leads().map((l) => l.created_at));
  expect(page._embedded.leads[0].created_at).toBe(newest);
  expect(page._links.next.href).toContain("order%5Bcreated_at%5D=desc");
});

test("pipelines carry _total_items and embedded statuses including 142 and 143", async () => {
  const body = await json(await call("GET", "/api/v4/leads/pipelines"));
  expect(body._total_items).toBe(fake.crm.pipelines().length);
  for (const pipeline of body._embedded.pipelines) {
    const ids = pipeline._embedded.statuses.map((s: { id: number }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([142, 143]));
  }
  expect(body._embedded.pipelines.filter((p: { is_main: boolean }) => p.is_main)).toHaveLength(1);
});

test("one pipeline and its statuses answer by id, an unknown pipeline is a 404", async () => {
  const id = fake.crm.pipelines()[1]!.id;
  const pipeline = await json(await call("GET", `/api/v4/leads/pipelines/${id}`));
  const statuses = await json(await call("GET", `/api/v4/leads/pipelines/${id}/statuses`));
  expect(pipeline.id).toBe(id);
  expect(statuses._total_items).toBe(fake.crm.pipelines()[1]!.statuses.length);
  expect(statuses._embedded.statuses[0].pipeline_id).toBe(id);
  const missing = await call("GET", "/api/v4/leads/pipelines/999999");
  expect(missing.status).toBe(404);
  expect((await json(missing)).detail).toBe("Pipeline not found");
});

test("loss reasons list with _total_items, and an unknown loss reason is a 404 'Loss reason not found'", async () => {
  const list = await json(await call("GET", "/api/v4/leads/loss_reasons"));
  expect(list._total_items).toBeGreaterThanOrEqual(5);
  const one = await json(await call("GET", `/api/v4/leads/loss_reasons/${list._embedded.loss_reasons[0].id}`));
  expect(one.name).toBe(list._embedded.loss_reasons[0].name);
  const missing = await call("GET", "/api/v4/leads/loss_reasons/424242");
  expect(missing.status).toBe(404);
  expect(missing.headers.get("content-type")).toBe("application/problem+json");
  expect(await json(missing)).toEqual({ title: "Not Found", type: "https://httpstatus.es/404", status: 404, detail: "Loss reason not found" });
});

test("users carry _total_items and _page_count", async () => {
  const body = await json(await call("GET", "/api/v4/users"));
  expect(body._total_items).toBe(fake.crm.users().length);
  expect(body._page_count).toBe(1);
  expect(body._embedded.users[0].rights.is_admin).toBe(true);
});

test("an unknown lead is a 404 problem, an unknown route is a 404 problem", async () => {
  const lead = await call("GET", "/api/v4/leads/999999");
  expect(lead.status).toBe(404);
  expect((await json(lead)).detail).toBe("Lead not found");
  const route = await call("GET", "/api/v4/unicorns");
  expect(route.status).toBe(404);
  expect(route.headers.get("content-type")).toBe("application/problem+json");
});

test("a missing or wrong bearer token is a 401 problem+json", async () => {
  const missing = await call("GET", "/api/v4/leads", { token: null });
  const wrong = await call("GET", "/api/v4/leads", { token: "nope" });
  for (const response of [missing, wrong]) {
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await json(response)).toMatchObject({ title: "Unauthorized", type: "https://httpstatus.es/401", status: 401 });
  }
});

test("creating a lead without status lands it in the main pipeline's first status and stores extra fields", async () => {
  const response = await call("POST", "/api/v4/leads", { body: [{ name: "Pedido Teste", price: 1200, custom_tag: "x" }] });
  expect(response.status).toBe(200);
  const body = await json(response);
  const created = body._embedded.leads[0];
  expect(created).toEqual({ id: expect.any(Number), request_id: "0", _links: { self: { href: `${BASE}/api/v4/leads/${created.id}` } } });
  const lead = await json(await call("GET", `/api/v4/leads/${created.id}`));
  const main = fake.crm.mainPipeline();
  expect(lead).toMatchObject({ name: "Pedido Teste", price: 1200, pipeline_id: main.id, status_id: fake.crm.firstStatus(main).id, custom_tag: "x", closed_at: null });
  expect(lead.created_at).toBe(clock.nowMs() / 1000);
});

test("a batch create echoes request_id and rejects bad elements with their index", async () => {
  const ok = await json(await call("POST", "/api/v4/leads", { body: [{ name: "A", request_id: "alpha" }, { name: "B" }] }));
  expect(ok._embedded.leads.map((l: { request_id: string }) => l.request_id)).toEqual(["alpha", "1"]);
  const bad = await call("POST", "/api/v4/leads", { body: [{ name: "ok" }, { price: "caro" }] });
  expect(bad.status).toBe(400);
  const body = await json(bad);
  expect(body["validation-errors"]).toEqual([{ request_id: "1", errors: [expect.objectContaining({ code: "InvalidType", path: "price" })] }]);
});

test("patching a lead to 142 closes it and returns {id, updated_at, _links}", async () => {
  const lead = fake.crm.leads().find((l) => l.closed_at === null)!;
  await clock.advanceBy(5_000);
  const response = await call("PATCH", `/api/v4/leads/${lead.id}`, { body: { status_id: 142 } });
  expect(response.status).toBe(200);
  const body = await json(response);
  const nowS = clock.nowMs() / 1000;
  expect(body).toEqual({ id: lead.id, updated_at: nowS, _links: { self: { href: `${BASE}/api/v4/leads/${lead.id}` } } });
  expect(fake.crm.lead(lead.id)).toMatchObject({ status_id: 142, closed_at: nowS, pipeline_id: lead.pipeline_id });
});

test("patching a lead to a status of another pipeline without pipeline_id is rejected", async () => {
  const lead = fake.crm.leads().find((l) => l.pipeline_id === fake.crm.mainPipeline().id)!;
  const other = fake.crm.pipelines().find((p) => !p.is_main)!;
  const foreign = fake.crm.firstStatus(other).id;
  const moved = await call("PATCH", `/api/v4/leads/${lead.id}`, { body: { pipeline_id: other.id, status_id: foreign } });
  expect(moved.status).toBe(200);
  expect(fake.crm.lead(lead.id)).toMatchObject({ pipeline_id: other.id, status_id: foreign });
  const bad = await call("PATCH", `/api/v4/leads/${lead.id}`, { body: { pipeline_id: fake.crm.mainPipeline().id, status_id: foreign } });
  expect(bad.status).toBe(400);
  expect((await json(bad))["validation-errors"][0].errors[0]).toMatchObject({ code: "NotSupportedChoice", path: "status_id" });
});

test("patching an unknown lead is a 404 and an invalid JSON body is a 400", async () => {
  expect((await call("PATCH", "/api/v4/leads/999999", { body: { name: "x" } })).status).toBe(404);
  const invalid = await call("PATCH", `/api/v4/leads/${fake.crm.leads()[0]!.id}`, { rawBody: "{name:" });
  expect(invalid.status).toBe(400);
  expect(invalid.headers.get("content-type")).toBe("application/problem+json");
});

test("tasks list and create; text and complete_till are required", async () => {
  const list = await json(await call("GET", "/api/v4/tasks?limit=250"));
  expect(list._embedded.tasks.length).toBe(fake.crm.tasks().length);
  const created = await json(await call("POST", "/api/v4/tasks", { body: [{ text: "Ligar amanhã", entity_id: 101, entity_type: "leads", complete_till: 1767312000 }] }));
  expect(created._embedded.tasks[0]).toMatchObject({ id: expect.any(Number), request_id: "0" });
  expect(fake.crm.task(created._embedded.tasks[0].id)).toMatchObject({ text: "Ligar amanhã", entity_id: 101, is_completed: false });
  const bad = await json(await call("POST", "/api/v4/tasks", { body: [{ entity_id: 101, entity_type: "leads" }] }));
  expect(bad["validation-errors"][0].errors.map((e: { path: string }) => e.path)).toEqual(["text", "complete_till"]);
});

test("notes list per lead, add a note, pin and unpin it with 204", async () => {
  const lead = fake.crm.leads().find((l) => fake.crm.notes("leads", l.id).length === 0)!;
  expect((await call("GET", `/api/v4/leads/${lead.id}/notes`)).status).toBe(204);
  const added = await json(await call("POST", `/api/v4/leads/${lead.id}/notes`, { body: [{ note_type: "common", params: { text: "Cliente pediu retorno" } }] }));
  const noteId = added._embedded.notes[0].id;
  expect(added._embedded.notes[0]).toMatchObject({ entity_id: lead.id, request_id: "0" });
  const list = await json(await call("GET", `/api/v4/leads/${lead.id}/notes?limit=10&page=1`));
  expect(list._embedded.notes).toHaveLength(1);
  expect(list._embedded.notes[0].params.text).toBe("Cliente pediu retorno");
  const pinned = await call("POST", `/api/v4/leads/notes/${noteId}/pin`);
  expect(pinned.status).toBe(204);
  expect(await pinned.text()).toBe("");
  expect(fake.crm.note(noteId)!.is_pinned).toBe(true);
  expect((await call("POST", `/api/v4/leads/notes/${noteId}/unpin`)).status).toBe(204);
  expect(fake.crm.note(noteId)!.is_pinned).toBe(false);
  expect((await call("POST", `/api/v4/contacts/notes/${noteId}/pin`)).status).toBe(404);
  expect((await call("GET", "/api/v4/leads/999999/notes")).status).toBe(404);
});

test("stopping a salesbot answers 202 with no body, records the effect and stops the run", async () => {
  await clock.advanceBy(1_500);
  expect(fake.crm.botRuns({ botId: 7, entityId: 101, state: "running" })).toHaveLength(1);
  const response = await call("POST", "/api/v4/bots/7/stop", { body: { entity_id: 101, entity_type: "leads" } });
  expect(response.status).toBe(202);
  expect(await response.text()).toBe("");
  expect(fake.effects.stops()).toEqual([{ kind: "stop", botId: 7, entityId: 101, entityType: "leads", atMs: clock.nowMs() }]);
  expect(fake.effects.countStops({ botId: 7 })).toBe(1);
  expect(fake.crm.botRuns({ botId: 7, entityId: 101, state: "running" })).toHaveLength(0);
  expect(fake.crm.botRuns({ botId: 7, entityId: 101, state: "stopped" })).toHaveLength(1);
});

test("stopping with an entity_type other than leads is a 400 NotSupportedChoice on entity_type, with no effect", async () => {
  const response = await call("POST", "/api/v4/bots/7/stop", { body: { entity_id: 101, entity_type: "contacts" } });
  expect(response.status).toBe(400);
  const body = await json(response);
  expect(body["validation-errors"][0].errors).toEqual([expect.objectContaining({ code: "NotSupportedChoice", path: "entity_type" })]);
  expect(fake.effects.size).toBe(0);
});

test("stopping an unknown bot is a 404; a stop with no body (the v2 shape) is a 400", async () => {
  expect((await call("POST", "/api/v4/bots/99/stop", { body: { entity_id: 101, entity_type: "leads" } })).status).toBe(404);
  expect((await call("POST", "/api/v4/bots/7/stop")).status).toBe(400);
  expect(fake.effects.size).toBe(0);
});

test("running salesbots takes an array, answers 202 and records one run effect per element", async () => {
  const response = await call("POST", "/api/v4/bots/run", { body: [{ bot_id: 2, entity_id: 150, entity_type: "leads" }, { bot_id: 3, entity_id: 510, entity_type: "contacts" }] });
  expect(response.status).toBe(202);
  expect(await response.text()).toBe("");
  expect(fake.effects.runs().map((e) => [e.botId, e.entityId, e.entityType])).toEqual([[2, 150, "leads"], [3, 510, "contacts"]]);
  expect(fake.crm.botRuns({ botId: 2, entityId: 150, state: "running" })).toHaveLength(1);
});

test("running a salesbot rejects bot_id 0 as TooLow, a bad entity_type as NotSupportedChoice, an unknown bot as 404", async () => {
  const tooLow = await json(await call("POST", "/api/v4/bots/run", { body: [{ bot_id: 0, entity_id: 1, entity_type: "leads" }] }));
  expect(tooLow["validation-errors"][0].errors[0]).toMatchObject({ code: "TooLow", path: "bot_id" });
  const choice = await json(await call("POST", "/api/v4/bots/run", { body: [{ bot_id: 1, entity_id: 1, entity_type: "companies" }] }));
  expect(choice["validation-errors"][0].errors[0]).toMatchObject({ code: "NotSupportedChoice", path: "entity_type" });
  const unknown = await call("POST", "/api/v4/bots/run", { body: [{ bot_id: 77, entity_id: 1, entity_type: "leads" }] });
  expect(unknown.status).toBe(404);
  expect(fake.effects.size).toBe(0);
});

test("the 8th request in one virtual second is a 429 with Retry-After 1, and the next second recovers", async () => {
  fake = createFakeKommo({ clock });
  await clock.advanceTo(Math.ceil(clock.nowMs() / 1000) * 1000 + 100);
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await call("GET", "/api/v4/account")).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 429]);
  const refused = await call("GET", "/api/v4/account");
  expect(refused.headers.get("retry-after")).toBe("1");
  expect(refused.headers.get("content-type")).toBe("application/problem+json");
  expect((await json(refused)).status).toBe(429);
  await clock.advanceBy(1_000);
  expect((await call("GET", "/api/v4/account")).status).toBe(200);
});

test("the rate limit counts per token in windows aligned to epoch seconds", async () => {
  fake = createFakeKommo({ clock, rateLimitPerSecond: 2 });
  await clock.advanceTo(Math.ceil(clock.nowMs() / 1000) * 1000 + 900);
  expect((await call("GET", "/api/v4/account")).status).toBe(200);
  expect((await call("GET", "/api/v4/account")).status).toBe(200);
  expect((await call("GET", "/api/v4/account")).status).toBe(429);
  await clock.advanceBy(100);
  expect((await call("GET", "/api/v4/account")).status).toBe(200);
});

test("a fault answers with its status as problem+json, for `times` requests only", async () => {
  fake.faults.set("GET /api/v4/leads", { status: 403, times: 2 });
  const first = await call("GET", "/api/v4/leads");
  expect(first.status).toBe(403);
  expect(await json(first)).toMatchObject({ title: "Forbidden", type: "https://httpstatus.es/403", status: 403 });
  expect((await call("GET", "/api/v4/leads")).status).toBe(403);
  expect((await call("GET", "/api/v4/leads")).status).toBe(200);
});

test("a fault key with :id matches every id and can carry a body and headers", async () => {
  fake.faults.set("POST /api/v4/bots/:id/stop", { status: 429, headers: { "retry-after": "2" }, body: { title: "slow down" } });
  const response = await call("POST", "/api/v4/bots/3/stop", { body: { entity_id: 110, entity_type: "leads" } });
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe("2");
  expect(await json(response)).toEqual({ title: "slow down" });
  expect(fake.effects.size).toBe(0);
  fake.faults.clear();
  expect((await call("POST", "/api/v4/bots/3/stop", { body: { entity_id: 110, entity_type: "leads" } })).status).toBe(202);
});

test("fault latency waits on the virtual clock before the real answer", async () => {
  fake.faults.set("GET /api/v4/account", { latencyMs: 2_000 });
  let settled = false;
  const pending = call("GET", "/api/v4/account").then((r) => {
    settled = true;
    return r;
  });
  await clock.advanceBy(1_999);
  expect(settled).toBe(false);
  await clock.advanceBy(1);
  expect(settled).toBe(true);
  expect((await pending).status).toBe(200);
});

test("a timeout fault never answers until the request's AbortSignal fires, then rejects", async () => {
  fake.faults.set("GET /api/v4/users", { timeout: true });
  const controller = new AbortController();
  let outcome = "pending";
  const pending = call("GET", "/api/v4/users", { signal: controller.signal }).then(
    () => (outcome = "answered"),
    (error: unknown) => (outcome = `rejected:${(error as Error).name}`),
  );
  await clock.advanceBy(60_000);
  expect(outcome).toBe("pending");
  controller.abort();
  await pending;
  expect(outcome).toBe("rejected:AbortError");
  expect(fake.requests.last({ path: "/api/v4/users" })!.status).toBe(0);
});

test("the request log keeps method, path, query, parsed body, lowercased headers with authorization, and status", async () => {
  await call("GET", "/api/v4/leads?limit=5&filter[pipeline_id][]=7001&filter[pipeline_id][]=7002");
  await call("POST", "/api/v4/bots/7/stop", { body: { entity_id: 101, entity_type: "leads" } });
  const [list, stop] = fake.requests.all();
  expect(list).toMatchObject({ method: "GET", path: "/api/v4/leads", query: { limit: "5", "filter[pipeline_id][]": ["7001", "7002"] }, body: undefined, status: 200 });
  expect(stop).toMatchObject({ atMs: clock.nowMs(), method: "POST", path: "/api/v4/bots/7/stop", body: { entity_id: 101, entity_type: "leads" }, status: 202 });
  expect(stop!.headers.authorization).toBe("Bearer sim-token");
  expect(stop!.headers["content-type"]).toBe("application/json");
  expect(fake.requests.count({ method: "POST", path: "/api/v4/bots/:id/stop" })).toBe(1);
});

test("reset returns the CRM to the seed and clears logs, effects and faults", async () => {
  const lead = fake.crm.leads()[0]!;
  const originalName = lead.name;
  await call("PATCH", `/api/v4/leads/${lead.id}`, { body: { name: "mudado" } });
  expect(fake.crm.lead(lead.id)!.name).toBe("mudado");
  await call("POST", "/api/v4/bots/7/stop", { body: { entity_id: 101, entity_type: "leads" } });
  fake.faults.set("GET /api/v4/account", { status: 500 });
  fake.reset();
  expect(fake.crm.lead(lead.id)!.name).toBe(originalName);
  expect(fake.requests.size).toBe(0);
  expect(fake.effects.size).toBe(0);
  expect(fake.faults.list()).toEqual([]);
  expect(fake.crm.botRuns({ botId: 7, entityId: 101, state: "running" })).toHaveLength(1);
});

test("control routes expose the log and effects, set faults and reset, without a token", async () => {
  await call("POST", "/api/v4/bots/7/stop", { body: { entity_id: 101, entity_type: "leads" } });
  const log = (await (await fake.handle(new Request(`${BASE}/__log`))).json()) as { method: string; path: string; body: unknown; headers: Record<string, string> }[];
  expect(log).toEqual([expect.objectContaining({ method: "POST", path: "/api/v4/bots/7/stop", body: { entity_id: 101, entity_type: "leads" }, headers: expect.objectContaining({ authorization: "Bearer sim-token" }) })]);
  const effects = (await (await fake.handle(new Request(`${BASE}/__effects`))).json()) as unknown[];
  expect(effects).toHaveLength(1);
  const set = await fake.handle(new Request(`${BASE}/__faults`, { method: "POST", body: JSON.stringify({ "GET /api/v4/account": { status: 503, times: 1 } }) }));
  expect(set.status).toBe(200);
  expect((await call("GET", "/api/v4/account")).status).toBe(503);
  expect((await call("GET", "/api/v4/account")).status).toBe(200);
  const invalid = await fake.handle(new Request(`${BASE}/__faults`, { method: "POST", body: JSON.stringify({ "GET /x": { status: "teapot" } }) }));
  expect(invalid.status).toBe(400);
  expect((await fake.handle(new Request(`${BASE}/__reset`, { method: "POST" }))).status).toBe(200);
  expect(fake.requests.size).toBe(0);
  expect(fake.effects.size).toBe(0);
});

test("notes carry is_pinned only when asked for with=is_pinned, as Kommo documents", async () => {
  const lead = fake.crm.leads().find((l) => fake.crm.notes("leads", l.id).length > 0)!;
  const note = fake.crm.notes("leads", lead.id)[0]!;
  expect((await call("POST", `/api/v4/leads/notes/${note.id}/pin`)).status).toBe(204);
  const plain = await json(await call("GET", `/api/v4/leads/${lead.id}/notes`));
  expect(plain._embedded.notes.every((n: Record<string, unknown>) => !("is_pinned" in n))).toBe(true);
  const withPinned = await json(await call("GET", `/api/v4/leads/${lead.id}/notes?with=is_pinned`));
  expect(withPinned._embedded.notes.find((n: { id: number }) => n.id === note.id)).toMatchObject({ id: note.id, is_pinned: true });
  const one = await json(await call("GET", `/api/v4/leads/${lead.id}/notes/${note.id}`));
  expect("is_pinned" in one).toBe(false);
});
