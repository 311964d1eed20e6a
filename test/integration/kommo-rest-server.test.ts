/**
 * The fake Kommo REST API served on a real loopback socket: plain HTTP, and HTTPS with a
 * self-signed certificate made by openssl in a temp dir (as a real Kommo MCP server needs).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { createFakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import type { FakeKommo } from "../../src/kommo/rest-api/fake-kommo.js";
import { startKommoRestServer } from "../../src/kommo/rest-api/rest-server.js";
import type { KommoRestServer } from "../../src/kommo/rest-api/rest-server.js";

let dir: string;
let cert: string;
let key: string;
let clock: VirtualClock;
let fake: FakeKommo;
const servers: KommoRestServer[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kommo-tls-"));
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { cwd: dir, stdio: "ignore", timeout: 20_000 },
  );
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
  key = readFileSync(join(dir, "key.pem"), "utf8");
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(tls = false): Promise<KommoRestServer> {
  clock = new VirtualClock();
  fake = createFakeKommo({ clock });
  const server = await startKommoRestServer(fake, { host: "127.0.0.1", port: 0, ...(tls ? { tls: { cert, key } } : {}) });
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** node:https trusting only the test's self-signed certificate. */
function httpsCall(url: string, method: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpsRequest(url, { method, ca: cert, headers: { authorization: "Bearer sim-token", "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
    req.end(payload);
  });
}

test("over plain HTTP on port 0 the fake answers leads pages and records the stop", async () => {
  const server = await start();
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const headers = { authorization: "Bearer sim-token", "content-type": "application/json" };
  const page = await fetch(`${server.url}/api/v4/leads?limit=2&page=1`, { headers });
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toBe("application/hal+json");
  const body = (await page.json()) as { _links: { next: { href: string } }; _embedded: { leads: unknown[] } };
  expect(body._embedded.leads).toHaveLength(2);
  expect(body._links.next.href).toBe(`${server.url}/api/v4/leads?page=2&limit=2`);
  const stop = await fetch(`${server.url}/api/v4/bots/7/stop`, { method: "POST", headers, body: JSON.stringify({ entity_id: 101, entity_type: "leads" }) });
  expect(stop.status).toBe(202);
  expect(await stop.text()).toBe("");
  expect(fake.effects.stops()).toHaveLength(1);
  const log = (await (await fetch(`${server.url}/__log`)).json()) as { path: string; headers: Record<string, string> }[];
  expect(log.map((e) => e.path)).toEqual(["/api/v4/leads", "/api/v4/bots/7/stop"]);
  expect(log[1]!.headers.authorization).toBe("Bearer sim-token");
});

test("over HTTP, an empty list is a 204 and a missing token a 401 problem+json", async () => {
  const server = await start();
  const empty = await fetch(`${server.url}/api/v4/leads?query=nada-disso`, { headers: { authorization: "Bearer sim-token" } });
  expect(empty.status).toBe(204);
  const denied = await fetch(`${server.url}/api/v4/leads`);
  expect(denied.status).toBe(401);
  expect(denied.headers.get("content-type")).toBe("application/problem+json");
});

test("over HTTPS with a self-signed certificate the fake answers the account and a salesbot stop", async () => {
  const server = await start(true);
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const account = await httpsCall(`${server.url}/api/v4/account`, "GET");
  expect(account.status).toBe(200);
  expect(account.headers["content-type"]).toBe("application/hal+json");
  expect(JSON.parse(account.text).currency).toBe("BRL");
  const stop = await httpsCall(`${server.url}/api/v4/bots/7/stop`, "POST", { entity_id: 101, entity_type: "leads" });
  expect(stop.status).toBe(202);
  expect(fake.effects.stops({ botId: 7, entityId: 101 })).toHaveLength(1);
});

test("over HTTPS a client that does not trust the certificate is refused", async () => {
  const server = await start(true);
  await expect(fetch(`${server.url}/api/v4/account`)).rejects.toThrow();
});

test("the control routes set a fault over the socket", async () => {
  const server = await start();
  const set = await fetch(`${server.url}/__faults`, { method: "POST", body: JSON.stringify({ "POST /api/v4/bots/7/stop": { status: 503, times: 1 } }) });
  expect(set.status).toBe(200);
  const init = { method: "POST", headers: { authorization: "Bearer sim-token" }, body: JSON.stringify({ entity_id: 101, entity_type: "leads" }) };
  expect((await fetch(`${server.url}/api/v4/bots/7/stop`, init)).status).toBe(503);
  expect((await fetch(`${server.url}/api/v4/bots/7/stop`, init)).status).toBe(202);
  expect(fake.effects.count()).toBe(1);
});

test("a client that gives up on a timeout fault closes the socket and the fake logs no status", async () => {
  const server = await start();
  fake.faults.set("GET /api/v4/account", { timeout: true });
  const controller = new AbortController();
  const pending = fetch(`${server.url}/api/v4/account`, { headers: { authorization: "Bearer sim-token" }, signal: controller.signal });
  for (let i = 0; i < 5_000 && fake.requests.size === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  expect(fake.requests.size).toBe(1);
  controller.abort();
  await expect(pending).rejects.toThrow();
  expect(fake.requests.last()!.status).toBe(0);
});
