import { afterEach, expect, test } from "vitest";
import type { Lead, Task } from "../../../../src/kommo/crm/index.js";
import { startInProcessSim, type InProcessSim } from "../../../helpers/kommo-sim-in-process.js";

let sim: InProcessSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const s = (iso: string): number => Date.parse(iso) / 1000;

/** Replaces the CRM's leads and tasks with known ones (the rest of the seed stays) in the given account zone. */
function plant(target: InProcessSim, timezone: string, leads: Array<Partial<Lead>>, tasks: Array<Partial<Task>> = []): { pipelineId: number; userId: number } {
  const seed = target.fake.crm.snapshot();
  const pipeline = seed.pipelines[0]!;
  const user = seed.users[0]!;
  const leadTemplate = { ...seed.leads[0]!, pipeline_id: pipeline.id, responsible_user_id: user.id, closed_at: null, loss_reason_id: null };
  const taskTemplate = { ...seed.tasks[0]! };
  target.fake.crm.reset({
    ...seed,
    account: { ...seed.account, timezone },
    leads: leads.map((l, i) => ({ ...leadTemplate, id: 9001 + i, name: `Lead ${i}`, ...l })),
    tasks: tasks.map((t, i) => ({ ...taskTemplate, id: 8001 + i, ...t })),
  });
  return { pipelineId: pipeline.id, userId: user.id };
}

test("get_sales_report counts new, won and lost in the window and computes revenue and conversion", async () => {
  sim = await startInProcessSim();
  const { pipelineId, userId } = plant(sim, "UTC", [
    { created_at: s("2026-03-10T10:00:00Z"), status_id: 142, closed_at: s("2026-03-12T10:00:00Z"), price: 1000 },
    { created_at: s("2026-03-11T10:00:00Z"), status_id: 143, closed_at: s("2026-03-13T10:00:00Z"), price: 500 },
    { created_at: s("2026-01-05T10:00:00Z"), status_id: 142, closed_at: s("2026-03-01T00:00:00Z"), price: 300 },
    { created_at: s("2026-02-20T10:00:00Z"), price: 50 },
    { created_at: s("2026-04-01T00:00:00Z"), status_id: 142, closed_at: s("2026-04-01T00:00:00Z"), price: 7 },
  ]);
  const result = await sim.call("get_sales_report", { dateFrom: "2026-03-01", dateTo: "2026-03-31" });
  const report = JSON.parse(result.text) as Record<string, any>;
  expect(report.period).toEqual({ from: "2026-03-01", to: "2026-03-31" });
  expect(report.leads).toEqual({ total: 2, new: 2, won: 2, lost: 1 });
  expect(report.revenue.total).toBe(1300);
  expect(report.revenue.average).toBe(650);
  expect(report.revenue.conversion_rate).toBeCloseTo(66.667, 2);
  const userName = sim.fake.crm.user(userId)!.name;
  const pipelineName = sim.fake.crm.pipeline(pipelineId)!.name;
  expect(report.performance).toEqual({
    by_user: [{ user_id: userId, user_name: userName, leads_count: 2, revenue: 1300 }],
    by_pipeline: [{ pipeline_id: pipelineId, pipeline_name: pipelineName, leads_count: 2, revenue: 1300 }],
  });
  expect(sim.fake.requests.all().map((r) => r.path).sort()).toEqual(["/api/v4/account", "/api/v4/leads", "/api/v4/leads/pipelines", "/api/v4/users"]);
});

test("get_sales_report days are UTC when the account read carries no timezone (Kommo puts it under datetime_settings)", async () => {
  sim = await startInProcessSim();
  plant(sim, "America/Sao_Paulo", [{ created_at: s("2026-03-01T02:00:00Z"), status_id: 142, closed_at: s("2026-03-01T02:00:00Z"), price: 10 }]);
  const march = JSON.parse((await sim.call("get_sales_report", { dateFrom: "2026-03-01", dateTo: "2026-03-31" })).text) as Record<string, any>;
  expect(march.leads.won).toBe(1);
});

test("get_sales_report days follow the configured time zone (KOMMO_TIMEZONE)", async () => {
  sim = await startInProcessSim({ timeZone: "America/Sao_Paulo" });
  // 02:00 UTC on March 1st is still February 28th in São Paulo (UTC-3).
  plant(sim, "UTC", [{ created_at: s("2026-03-01T02:00:00Z"), status_id: 142, closed_at: s("2026-03-01T02:00:00Z"), price: 10 }]);
  const march = JSON.parse((await sim.call("get_sales_report", { dateFrom: "2026-03-01", dateTo: "2026-03-31" })).text) as Record<string, any>;
  expect(march.leads).toEqual({ total: 0, new: 0, won: 0, lost: 0 });
  const february = JSON.parse((await sim.call("get_sales_report", { dateFrom: "2026-02-01", dateTo: "2026-02-28" })).text) as Record<string, any>;
  expect(february.leads.won).toBe(1);
});

test("get_sales_report defaults to one month ago through today on the clock", async () => {
  sim = await startInProcessSim();
  const report = JSON.parse((await sim.call("get_sales_report")).text) as Record<string, any>;
  expect(report.period).toEqual({ from: "2026-02-15", to: "2026-03-15" });
});

test("get_dashboard computes today's leads, tasks, month revenue growth and top pipelines on the clock", async () => {
  sim = await startInProcessSim(); // now: 2026-03-15T12:00:00Z
  const { pipelineId } = plant(
    sim,
    "UTC",
    [
      { created_at: s("2026-03-10T10:00:00Z"), status_id: 142, closed_at: s("2026-03-12T10:00:00Z"), price: 1000 },
      { created_at: s("2026-03-15T08:00:00Z"), status_id: 142, closed_at: s("2026-03-15T09:00:00Z"), price: 200 },
      { created_at: s("2026-03-15T09:00:00Z"), status_id: 143, closed_at: s("2026-03-15T10:00:00Z"), price: 80 },
      { created_at: s("2026-01-10T10:00:00Z"), status_id: 142, closed_at: s("2026-02-10T10:00:00Z"), price: 400 },
      { created_at: s("2026-03-01T10:00:00Z"), price: 30 },
    ],
    [
      { is_completed: true, updated_at: s("2026-03-15T11:00:00Z"), complete_till: s("2026-03-16T00:00:00Z") },
      { is_completed: false, complete_till: s("2026-03-14T00:00:00Z") },
      { is_completed: false, complete_till: s("2026-03-20T00:00:00Z") },
    ],
  );
  const dashboard = JSON.parse((await sim.call("get_dashboard")).text) as Record<string, any>;
  expect(dashboard.leads).toEqual({ total: 5, new_today: 2, won_today: 1, lost_today: 1 });
  expect(dashboard.tasks).toEqual({ total: 3, completed_today: 1, overdue: 1 });
  expect(dashboard.revenue).toEqual({ this_month: 1200, last_month: 400, growth_percentage: 200 });
  expect(dashboard.top_pipelines).toEqual([{ id: pipelineId, name: sim.fake.crm.pipeline(pipelineId)!.name, leads_count: 5, revenue: 1600 }]);
  expect(sim.fake.requests.all().map((r) => r.path).sort()).toEqual(["/api/v4/account", "/api/v4/leads", "/api/v4/leads/pipelines", "/api/v4/tasks"]);
});

test("the reports walk every page of leads (limit 250) while Kommo sends _links.next", async () => {
  sim = await startInProcessSim();
  plant(sim, "UTC", Array.from({ length: 260 }, () => ({ created_at: s("2026-03-10T10:00:00Z") })));
  const report = JSON.parse((await sim.call("get_sales_report", { dateFrom: "2026-03-01", dateTo: "2026-03-31" })).text) as Record<string, any>;
  expect(report.leads.total).toBe(260);
  expect(sim.fake.requests.all({ path: "/api/v4/leads" }).map((r) => r.query)).toEqual([
    { limit: "250", page: "1" },
    { limit: "250", page: "2" },
  ]);
});

test("ask_kommo counts won sales of the period and caches leads for 5 minutes on the clock", async () => {
  sim = await startInProcessSim();
  plant(sim, "UTC", [
    { created_at: s("2026-03-10T10:00:00Z"), status_id: 142, closed_at: s("2026-03-14T10:00:00Z"), price: 1500 },
    { created_at: s("2026-03-10T10:00:00Z"), status_id: 142, closed_at: s("2025-12-14T10:00:00Z"), price: 9 },
    { created_at: s("2026-03-10T10:00:00Z"), price: 5 },
  ]);
  const first = JSON.parse((await sim.call("ask_kommo", { question: "Quantas vendas tivemos esta semana?" })).text) as Record<string, any>;
  expect(first.user_message).toBe("Quantas vendas tivemos esta semana?");
  expect(first.agent_response.response).toContain("**Total de vendas:** 1");
  expect(first.agent_response.response).toContain("R$ 1.500,00");
  expect(first.agent_response.metadata).toMatchObject({ total_leads_analyzed: 3, temporal_filter: "week", cache_hit: false, ai_analysis: { intent: "count_query" } });
  const leadRequests = () => sim!.fake.requests.all({ path: "/api/v4/leads" }).length;
  expect(leadRequests()).toBe(1);

  await sim.clock.advanceBy(4 * 60_000);
  const second = JSON.parse((await sim.call("ask_kommo", { question: "quantos leads este mês?" })).text) as Record<string, any>;
  expect(second.agent_response.metadata.cache_hit).toBe(true);
  expect(leadRequests()).toBe(1);

  await sim.clock.advanceBy(60_000);
  const third = JSON.parse((await sim.call("ask_kommo", { question: "ajuda" })).text) as Record<string, any>;
  expect(third.agent_response.metadata.cache_hit).toBe(false);
  expect(leadRequests()).toBe(2);
});

test("ask_kommo about clients also reads one page of 250 contacts", async () => {
  sim = await startInProcessSim();
  await sim.call("ask_kommo", { question: "Quais clientes temos?" });
  expect(sim.fake.requests.all({ path: "/api/v4/contacts" }).map((r) => r.query)).toEqual([{ limit: "250" }]);
});
