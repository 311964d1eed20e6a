/**
 * End to end over Streamable HTTP: SDK 1.x clients with bearer tokens → `toolgate serve --listen
 * --grants` with the seed policy → `toolgate kommo-sim` (one per MCP session). Both processes read
 * time from one TOOLGATE_CLOCK_FILE, which the test moves; what reached the CRM is read back from
 * the simulators' shared --effects-file.
 */
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { clockFile, kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { connectClient, startHttpGateway, type HttpGateway, type SeenResponse } from "./gateway-http-process.js";

const MINUTE_MS = 60_000;
/** 10 s into a minute. */
const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
const MINUTE_END_MS = Date.UTC(2026, 2, 15, 12, 1, 0);
const dir = tempDir("toolgate-http-kommo-");
const effectsFile = join(dir, "effects.jsonl");
const clock = clockFile(dir, T0_MS);
const TOKEN_ALPHA = "alpha-token-0123456789";
const TOKEN_BETA = "beta-token-9876543210";
const seed = loadDefaultSeed();
const bot = seed.salesbots[0]!;
const lead = seed.leads[0]!;
let gateway: HttpGateway;
const clients: Client[] = [];

beforeAll(async () => {
  const grantsFile = writeJson(dir, "grants.json", {
    version: "1",
    grants: [
      { id: "alpha", tokenSha256: tokenSha256(TOKEN_ALPHA), policy: join(REPO_ROOT, "fixtures/policies/valid/seed.json") },
      { id: "beta", tokenSha256: tokenSha256(TOKEN_BETA), policy: join(REPO_ROOT, "fixtures/policies/valid/seed.json") },
    ],
  });
  const sim = kommoSimCommand(["--kommo-rps", "0", "--effects-file", effectsFile]);
  const upstreamCmd = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  gateway = await startHttpGateway(["--grants", grantsFile, "--upstream-cmd", upstreamCmd], { TOOLGATE_CLOCK_FILE: clock.path });
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await gateway?.stop();
});

async function connect(token: string): Promise<{ client: Client; seen: SeenResponse[] }> {
  const { client, seen } = await connectClient(gateway.url, token);
  clients.push(client);
  return { client, seen };
}

const decision = (r: CallToolResult) => (r._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const stops = () => readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop");
const stopBot = async (client: Client) => (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" } })) as CallToolResult;

test("of 25 quick calls on one grant exactly 10 stop a bot; call 11 is rate limited with Retry-After and RateLimit headers", async () => {
  const { client, seen } = await connect(TOKEN_ALPHA);
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
  const results: CallToolResult[] = [];
  const answers: SeenResponse[] = [];
  for (let i = 0; i < 25; i++) {
    clock.set(T0_MS + i * 150);
    results.push(await stopBot(client));
    answers.push(seen.at(-1)!);
  }
  expect(results.slice(0, 10).every((r) => r.isError !== true)).toBe(true);
  expect(stops()).toHaveLength(10);
  const eleventh = decision(results[10]!);
  expect(eleventh).toMatchObject({ code: "rate_limited", rule: "/tools/stop_salesbot/limits/0", scope: "grant", retryAfterMs: MINUTE_END_MS - (T0_MS + 1500) });
  expect(results.slice(10).every((r) => decision(r)?.code === "rate_limited")).toBe(true);

  // 48.5 s left in the minute → 49 s, rounded up.
  expect(answers[10]!.status).toBe(200);
  expect(answers[10]!.headers.get("retry-after")).toBe("49");
  expect(answers[10]!.headers.get("ratelimit")).toBe('"stop_salesbot_rate";r=0;t=49');
  expect(answers[10]!.headers.get("ratelimit-policy")).toBe('"stop_salesbot_rate";q=10;w=60');
  expect(answers[9]!.headers.get("retry-after")).toBeNull();
  expect(answers[24]!.headers.get("retry-after")).toBe(String(Math.ceil((MINUTE_END_MS - (T0_MS + 24 * 150)) / 1000)));
});

test("another grant has its own counter in the same minute", async () => {
  const { client } = await connect(TOKEN_BETA);
  const results: CallToolResult[] = [];
  for (let i = 0; i < 11; i++) {
    clock.set(T0_MS + 4_000 + i * 150);
    results.push(await stopBot(client));
  }
  expect(results.slice(0, 10).every((r) => r.isError !== true)).toBe(true);
  expect(decision(results[10]!)).toMatchObject({ code: "rate_limited", scope: "grant" });
  expect(stops()).toHaveLength(20);
});

test("one grant shared by two sessions shares one counter: 10 calls pass between them in the next minute", async () => {
  clock.set(MINUTE_END_MS + 1_000);
  const first = clients[0]!;
  const { client: second } = await connect(TOKEN_ALPHA);
  const a: CallToolResult[] = [];
  const b: CallToolResult[] = [];
  for (let i = 0; i < 6; i++) {
    clock.set(MINUTE_END_MS + 1_000 + i * 300);
    a.push(await stopBot(first));
    b.push(await stopBot(second));
  }
  const passed = [...a, ...b].filter((r) => r.isError !== true);
  expect(passed).toHaveLength(10);
  expect(a.slice(0, 5).every((r) => r.isError !== true)).toBe(true);
  expect(b.slice(0, 5).every((r) => r.isError !== true)).toBe(true);
  expect(decision(a[5]!)).toMatchObject({ code: "rate_limited" });
  expect(decision(b[5]!)).toMatchObject({ code: "rate_limited" });
  expect(stops()).toHaveLength(30);
});

test("each MCP session runs its own upstream: three sessions, three simulators, one shared counter store", async () => {
  const health = (await (await fetch(`${gateway.base}/health`)).json()) as { sessions: number };
  expect(health.sessions).toBe(3);
});

test("a missing, wrong or malformed bearer token gets 401 with WWW-Authenticate: Bearer before any MCP handling", async () => {
  const sessionsBefore = ((await (await fetch(`${gateway.base}/health`)).json()) as { sessions: number }).sessions;
  const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } });
  const cases: Array<[string, Record<string, string>, string]> = [
    ["missing", {}, 'Bearer realm="toolgate"'],
    ["wrong", { authorization: "Bearer not-a-grant-token" }, 'Bearer realm="toolgate", error="invalid_token"'],
    ["malformed: basic", { authorization: `Basic ${Buffer.from(`u:${TOKEN_ALPHA}`).toString("base64")}` }, 'Bearer realm="toolgate", error="invalid_token"'],
    ["malformed: no token", { authorization: "Bearer" }, 'Bearer realm="toolgate", error="invalid_token"'],
    ["malformed: two words", { authorization: `Bearer ${TOKEN_ALPHA} extra` }, 'Bearer realm="toolgate", error="invalid_token"'],
    ["unparsable body", { authorization: "Bearer nope" }, 'Bearer realm="toolgate", error="invalid_token"'],
  ];
  for (const [name, headers, challenge] of cases) {
    const res = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: name === "unparsable body" ? "{not json" : init });
    expect(res.status, name).toBe(401);
    expect(res.headers.get("www-authenticate"), name).toBe(challenge);
    expect(await res.json(), name).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32000, message: expect.stringContaining("unauthorized") } });
  }
  // A valid token of another grant cannot use a session it does not own.
  const { transport } = await connectClient(gateway.url, TOKEN_ALPHA);
  const foreign = await fetch(gateway.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${TOKEN_BETA}`, "mcp-session-id": transport.sessionId! }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) });
  expect(foreign.status).toBe(404);
  await transport.terminateSession();
  await transport.close();
  expect(((await (await fetch(`${gateway.base}/health`)).json()) as { sessions: number }).sessions).toBe(sessionsBefore);
  // The token is never logged.
  expect(gateway.stderr()).not.toContain(TOKEN_ALPHA);
  expect(gateway.stderr()).not.toContain("not-a-grant-token");
  expect(gateway.stderr()).toContain('"event":"unauthorized"');
});
