import { afterEach, expect, test } from "vitest";
import { startInProcessSim, type InProcessSim } from "../../../helpers/kommo-sim-in-process.js";

let sim: InProcessSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const TEXT = {
  unauthorized: "A autenticação com o Kommo falhou.",
  forbidden: "A credencial não possui permissão para esta operação.",
  notFound: "O recurso solicitado não foi encontrado no Kommo.",
  rateLimited: "O limite de requisições do Kommo foi atingido. Tente novamente mais tarde.",
  timeout: "A requisição ao Kommo excedeu o tempo limite.",
  failed: "A API do Kommo não conseguiu concluir a operação.",
  internal: "Erro interno ao executar a tool.",
};

test.each([
  [401, TEXT.unauthorized],
  [403, TEXT.forbidden],
  [404, TEXT.notFound],
  [400, TEXT.failed],
  [402, TEXT.failed],
  [500, TEXT.failed],
])("a Kommo %i on a read becomes its Portuguese text and is not retried", async (status, text) => {
  sim = await startInProcessSim();
  sim.fake.faults.set("GET /api/v4/account", { status, body: { detail: "kommo says no" } });
  expect(await sim.call("get_account")).toEqual({ text, isError: true });
  expect(sim.fake.requests.all({ path: "/api/v4/account" })).toHaveLength(1);
});

test("a read that keeps getting 429 is retried maxRetries times with exponential backoff, then reports the rate limit", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("GET /api/v4/account", { status: 429 });
  const result = await sim.callUntilSettled("get_account", {}, 50);
  expect(result).toEqual({ text: TEXT.rateLimited, isError: true });
  const times = sim.fake.requests.all({ path: "/api/v4/account" }).map((r) => r.atMs);
  expect(times).toHaveLength(4);
  expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([250, 500, 1000]);
});

test("a read honours Retry-After in seconds and succeeds once Kommo recovers", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("GET /api/v4/account", { status: 503, headers: { "retry-after": "3" }, times: 1 });
  const result = await sim.callUntilSettled("get_account", {}, 100);
  expect(result.isError).toBe(false);
  expect(JSON.parse(result.text)).toMatchObject({ id: sim.fake.crm.account.id });
  const times = sim.fake.requests.all({ path: "/api/v4/account" }).map((r) => r.atMs);
  expect(times).toHaveLength(2);
  expect(times[1]! - times[0]!).toBe(3000);
});

test("maxRetries 0 makes a 502 on a read fail at once", async () => {
  sim = await startInProcessSim({ maxRetries: 0 });
  sim.fake.faults.set("GET /api/v4/users", { status: 502 });
  expect(await sim.call("get_users")).toEqual({ text: TEXT.failed, isError: true });
  expect(sim.fake.requests.all({ path: "/api/v4/users" })).toHaveLength(1);
});

test("a read that never answers times out on the clock after timeoutMs per attempt, retries included", async () => {
  sim = await startInProcessSim({ timeoutMs: 2_000, maxRetries: 1 });
  sim.fake.faults.set("GET /api/v4/account", { timeout: true });
  const startMs = sim.clock.nowMs();
  const result = await sim.callUntilSettled("get_account", {}, 50);
  expect(result).toEqual({ text: TEXT.timeout, isError: true });
  const times = sim.fake.requests.all({ path: "/api/v4/account" }).map((r) => r.atMs - startMs);
  expect(times).toEqual([0, 2_250]);
  expect(sim.clock.nowMs() - startMs).toBeGreaterThanOrEqual(4_250);
});

test("stop_salesbot answered 429 reaches Kommo exactly once: writes are never retried", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("POST /api/v4/bots/:id/stop", { status: 429, headers: { "retry-after": "1" } });
  const result = await sim.callUntilSettled("stop_salesbot", { bot_id: 7, entity_id: 101, entity_type: "leads" }, 100);
  expect(result).toEqual({ text: TEXT.rateLimited, isError: true });
  expect(sim.fake.requests.all({ method: "POST", path: "/api/v4/bots/:id/stop" })).toHaveLength(1);
  expect(sim.fake.effects.countStops()).toBe(0);
});

test("a write that times out is not retried either", async () => {
  sim = await startInProcessSim({ timeoutMs: 1_000 });
  sim.fake.faults.set("PATCH /api/v4/leads/:id", { timeout: true });
  const lead = sim.fake.crm.leads()[0]!;
  const result = await sim.callUntilSettled("move_lead", { lead_id: lead.id, status_id: 142 }, 100);
  expect(result).toEqual({ text: TEXT.timeout, isError: true });
  expect(sim.fake.requests.all({ method: "PATCH" })).toHaveLength(1);
});

test("a network failure (no response) becomes the generic Kommo failure text", async () => {
  sim = await startInProcessSim({
    maxRetries: 0,
    fetch: async () => {
      throw new TypeError("fetch failed: connect ECONNREFUSED");
    },
  });
  expect(await sim.call("get_tasks")).toEqual({ text: TEXT.failed, isError: true });
});

test("a wrong token is refused by Kommo and surfaces as the authentication text", async () => {
  sim = await startInProcessSim({ serverToken: "wrong-token" });
  expect(await sim.call("get_account")).toEqual({ text: TEXT.unauthorized, isError: true });
  expect(sim.fake.requests.all()[0]?.headers.authorization).toBe("Bearer wrong-token");
});

test("a malformed or non-existent sales report date is an internal error with no REST call", async () => {
  sim = await startInProcessSim();
  expect(await sim.call("get_sales_report", { dateFrom: "2026-02-31" })).toEqual({ text: TEXT.internal, isError: true });
  expect(await sim.call("get_sales_report", { dateTo: "15/03/2026" })).toEqual({ text: TEXT.internal, isError: true });
  expect(sim.fake.requests.all()).toHaveLength(0);
});

test("a create answered without _embedded is an internal error", async () => {
  sim = await startInProcessSim();
  sim.fake.faults.set("POST /api/v4/leads", { status: 200, body: { ok: true } });
  expect(await sim.call("create_lead", { name: "X" })).toEqual({ text: TEXT.internal, isError: true });
});
