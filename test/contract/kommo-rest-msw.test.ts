/**
 * The fake Kommo REST API behind msw, called with the global `fetch` exactly as the simulated MCP
 * server's REST client does. Unhandled requests are errors.
 */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import { kommoRestHandlers } from "../../src/kommo/rest-api/msw-handlers.js";

const clock = new VirtualClock();
const fake = createFakeKommo({ clock });
const server = setupServer(...kommoRestHandlers(fake));
const HEADERS = { authorization: "Bearer sim-token", "content-type": "application/json", accept: "application/json, text/plain, */*", "user-agent": "axios/1.19.0" };

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(async () => {
  fake.reset();
  await clock.advanceBy(1_000);
});
afterAll(() => server.close());

function kommo(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fake.baseUrl}${path}`, { ...init, headers: { ...HEADERS, ...(init.headers as Record<string, string> | undefined) } });
}

test("a lead page arrives through msw as hal+json with a next link", async () => {
  const response = await kommo("/api/v4/leads?limit=250&page=1");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/hal+json");
  const body = (await response.json()) as { _page: number; _links: { next?: unknown }; _embedded: { leads: unknown[] } };
  expect(body._page).toBe(1);
  expect(body._embedded.leads).toHaveLength(250);
  expect(body._links.next).toBeDefined();
});

test("the last page has no next link and the page after it is an empty 204", async () => {
  const last = (await (await kommo("/api/v4/leads?limit=250&page=2")).json()) as { _links: { next?: unknown } };
  expect(last._links.next).toBeUndefined();
  const after = await kommo("/api/v4/leads?limit=250&page=3");
  expect(after.status).toBe(204);
  expect(await after.text()).toBe("");
});

test("limit 500 is refused with a 400 problem+json", async () => {
  const response = await kommo("/api/v4/contacts?limit=500&page=1");
  expect(response.status).toBe(400);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
});

test("a wrong token is a 401 and a 403 can be injected", async () => {
  expect((await kommo("/api/v4/account", { headers: { authorization: "Bearer other" } })).status).toBe(401);
  fake.faults.set("GET /api/v4/users", { status: 403, times: 1 });
  const forbidden = await kommo("/api/v4/users");
  expect(forbidden.status).toBe(403);
  expect(((await forbidden.json()) as { type: string }).type).toBe("https://httpstatus.es/403");
});

test("the stop_salesbot call reaches the fake, answers 202 and is recorded as an effect and in the log", async () => {
  const response = await kommo("/api/v4/bots/7/stop", { method: "POST", body: JSON.stringify({ entity_id: 101, entity_type: "leads" }) });
  expect(response.status).toBe(202);
  expect(fake.effects.stops({ botId: 7, entityId: 101 })).toHaveLength(1);
  expect(fake.requests.last()).toMatchObject({ method: "POST", path: "/api/v4/bots/7/stop", body: { entity_id: 101, entity_type: "leads" }, status: 202, headers: { authorization: "Bearer sim-token", "user-agent": "axios/1.19.0" } });
});

test("eight fetches in one virtual second get seven answers and one 429, the next second recovers", async () => {
  const statuses = [];
  for (let i = 0; i < 8; i++) statuses.push((await kommo("/api/v4/account")).status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(7);
  expect(statuses[7]).toBe(429);
  await clock.advanceBy(1_000);
  expect((await kommo("/api/v4/account")).status).toBe(200);
});

test("a timeout fault leaves the fetch hanging until its AbortSignal fires", async () => {
  fake.faults.set("GET /api/v4/tasks", { timeout: true, times: 1 });
  const controller = new AbortController();
  let outcome = "pending";
  const pending = kommo("/api/v4/tasks?limit=250&page=1", { signal: controller.signal }).then(
    () => (outcome = "answered"),
    (error: unknown) => (outcome = `rejected:${(error as Error).name}`),
  );
  await clock.advanceBy(30_000);
  expect(outcome).toBe("pending");
  controller.abort();
  await pending;
  expect(outcome).toBe("rejected:AbortError");
  expect((await kommo("/api/v4/tasks?limit=250&page=1")).status).toBe(200);
});

test("fault latency holds the fetch for that long on the virtual clock", async () => {
  fake.faults.set("GET /api/v4/leads/pipelines", { latencyMs: 500 });
  let settled = false;
  const pending = kommo("/api/v4/leads/pipelines").then((r) => {
    settled = true;
    return r;
  });
  await clock.advanceBy(499);
  expect(settled).toBe(false);
  await clock.advanceBy(1);
  await new Promise((resolve) => setImmediate(resolve));
  expect((await pending).status).toBe(200);
  expect(settled).toBe(true);
});

test("control routes answer through msw too", async () => {
  await kommo("/api/v4/account");
  const log = (await (await fetch(`${fake.baseUrl}/__log`)).json()) as unknown[];
  expect(log).toHaveLength(1);
});
