/**
 * The four agent/upstream era pairs over Streamable HTTP on both sides: `toolgate serve --listen`
 * with two grants (one per agent) in front of `kommo-sim --listen --protocol 2026-07-28` (refuses
 * 2025-era clients with HTTP 400 / -32022, like the real v3 server) or a 2025-only Kommo server
 * (`bridge-legacy-kommo-server.ts --listen`: sessions, `server/discover` refused). The 2025 agent
 * is the SDK 1.x client (an MCP session on the gateway); the 2026-07-28 agent is the SDK 2.x client
 * pinned to 2026-07-28 (stateless requests). Each gateway and its upstream share a clock file.
 */
import { join } from "node:path";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyHttp } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { writeJson } from "../fixtures/servers/gateway-process.js";
import { clockFile, readEffectsFile, startKommoSimHttp, tempDir } from "../helpers/kommo-sim-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";
import { EXPECTED_DECISIONS, httpAgent, runScenario, SEED_POLICY, startLegacyKommoHttp, STOP_ARGS, T0_MS, type Agent, type AgentEra, type ScenarioOutcome, type UpstreamProcess } from "./bridge-agents.js";

const TOKENS: Record<AgentEra, string> = { "2025": "legacy-agent-token", "2026-07-28": "modern-agent-token" };
const PAIRS: Array<[AgentEra, AgentEra]> = [
  ["2025", "2025"],
  ["2025", "2026-07-28"],
  ["2026-07-28", "2025"],
  ["2026-07-28", "2026-07-28"],
];

interface Side {
  readonly upstream: UpstreamProcess;
  readonly gateway: HttpGateway;
  readonly effects: string;
  readonly clock: { set(ms: number): void };
}

interface Run {
  readonly agent: Agent;
  readonly outcome: ScenarioOutcome;
  readonly stops: number;
}

const sides = new Map<AgentEra, Side>();
const runs = new Map<string, Run>();
const agents: Agent[] = [];
const key = (agentEra: AgentEra, upstreamEra: AgentEra): string => `${agentEra} → ${upstreamEra}`;
const stops = (effects: string): number => readEffectsFile(effects).filter((l) => l.kind === "effect" && l.effect === "stop").length;

async function startSide(upstreamEra: AgentEra): Promise<Side> {
  const dir = tempDir("toolgate-bridge-http-");
  const effects = join(dir, "effects.jsonl");
  const clock = clockFile(dir, T0_MS);
  const env = { TOOLGATE_CLOCK_FILE: clock.path };
  const upstream =
    upstreamEra === "2026-07-28" ? await startKommoSimHttp(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effects], env) : await startLegacyKommoHttp(effects, env);
  const grants = writeJson(dir, "grants.json", {
    version: "1",
    grants: [
      { id: "legacy-agent", tokenSha256: tokenSha256(TOKENS["2025"]), policy: SEED_POLICY },
      { id: "modern-agent", tokenSha256: tokenSha256(TOKENS["2026-07-28"]), policy: SEED_POLICY },
    ],
  });
  const gateway = await startHttpGateway(["--grants", grants, "--upstream-url", upstream.url], env).catch(async (error: unknown) => {
    await upstream.stop();
    throw error;
  });
  return { upstream, gateway, effects, clock };
}

beforeAll(async () => {
  const [legacy, modern] = await Promise.allSettled([startSide("2025"), startSide("2026-07-28")]);
  if (legacy.status === "fulfilled") sides.set("2025", legacy.value);
  if (modern.status === "fulfilled") sides.set("2026-07-28", modern.value);
  if (legacy.status === "rejected") throw legacy.reason;
  if (modern.status === "rejected") throw modern.reason;
  // Per upstream, the two agents (two grants, so two sets of counters) run one after the other.
  await Promise.all(
    (["2025", "2026-07-28"] as AgentEra[]).map(async (upstreamEra) => {
      const side = sides.get(upstreamEra)!;
      for (const agentEra of ["2025", "2026-07-28"] as AgentEra[]) {
        const before = stops(side.effects);
        const agent = await httpAgent(agentEra, side.gateway.url, TOKENS[agentEra]);
        agents.push(agent);
        const outcome = await runScenario(agent, side.clock.set);
        runs.set(key(agentEra, upstreamEra), { agent, outcome, stops: stops(side.effects) - before });
      }
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.close()));
  await Promise.allSettled([...sides.values()].map((s) => s.gateway.stop()));
  await Promise.allSettled([...sides.values()].map((s) => s.upstream.stop()));
});

describe.each(PAIRS)("a %s agent through toolgate --listen to a %s-only upstream over HTTP", (agentEra, upstreamEra) => {
  const run = (): Run => runs.get(key(agentEra, upstreamEra))!;

  test("sees the upstream and only stop_salesbot in tools/list", () => {
    expect(run().outcome.serverName).toBe("kommo-mcp-server");
    expect(run().outcome.tools).toEqual(["stop_salesbot"]);
  });

  test("gets exactly 10 passes from the runaway loop, and exactly 10 bots are stopped", () => {
    expect(run().outcome.decisions).toEqual(EXPECTED_DECISIONS);
    expect(run().stops).toBe(10);
  });

  test("receives the rate-limit denial in its own revision", () => {
    const wire = run().outcome.rateLimitedWire;
    expect(wire).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringMatching(/^\[POLICY DENIED\] Rate limit exceeded/) }] });
    if (agentEra === "2026-07-28") expect(wire.resultType).toBe("complete");
    else expect(wire).not.toHaveProperty("resultType");
  });

  test("reads a resource and gets a prompt", () => {
    expect(JSON.parse(run().outcome.resourceText)).toMatchObject({ name: "Sol Nascente Distribuidora" });
    expect(run().outcome.promptText.length).toBeGreaterThan(0);
  });

  test("receives results in its own revision: resultType only for a 2026-07-28 agent", () => {
    const results = run().agent.wire.filter((m) => m.result !== undefined).map((m) => m.result as Record<string, unknown>);
    expect(results.length).toBeGreaterThan(10);
    for (const result of results) {
      if (agentEra === "2026-07-28") expect(result.resultType).toBe("complete");
      else expect(result).not.toHaveProperty("resultType");
    }
  });
});

test("the four era pairs decide the same over HTTP", () => {
  const decisions = PAIRS.map(([a, u]) => runs.get(key(a, u))!.outcome.decisions);
  for (const d of decisions) expect(d).toEqual(decisions[0]);
});

test("the 2026-07-28-only simulator refuses a direct 2025-era client with HTTP 400 and -32022, and the same client works through toolgate", async () => {
  const side = sides.get("2026-07-28")!;
  const direct = new LegacyClient({ name: "direct-legacy", version: "1.0.0" });
  await expect(direct.connect(new LegacyHttp(new URL(side.upstream.url)))).rejects.toThrow(/400|Unsupported protocol version/);
  await direct.close();
  const raw = await fetch(side.upstream.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }),
  });
  expect(raw.status).toBe(400);
  expect(await raw.json()).toMatchObject({ error: { code: -32022, data: { supported: ["2026-07-28"] } } });
  const through = await httpAgent("2025", side.gateway.url, TOKENS["2025"]);
  agents.push(through);
  expect(((await through.client.listTools()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
});

test("a raw sessionless 2026-07-28 tools/call through toolgate to a 2025-only upstream is governed and answered in 2026-07-28", async () => {
  const side = sides.get("2025")!;
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
  const post = (id: number, name: string, args: object = {}) =>
    fetch(side.gateway.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKENS["2026-07-28"]}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, _meta: meta } }),
    });
  const denied = await post(41, "get_account");
  expect(denied.status).toBe(200);
  expect(denied.headers.get("mcp-session-id")).toBeNull();
  expect(await denied.json()).toMatchObject({ id: 41, result: { isError: true, resultType: "complete", _meta: { "toolgate/decision": { code: "default_deny" } } } });
  side.clock.set(T0_MS + 60_000); // the next minute: the grant's stop_salesbot counter starts again
  const before = stops(side.effects);
  const allowed = await post(42, "stop_salesbot", STOP_ARGS);
  expect(allowed.status).toBe(200);
  const body = (await allowed.json()) as { id: number; result: Record<string, unknown> };
  expect(body.id).toBe(42);
  expect(body.result).toMatchObject({ resultType: "complete", _meta: { "io.modelcontextprotocol/serverInfo": { name: "kommo-mcp-server" } } });
  expect(body.result.isError).not.toBe(true);
  expect(stops(side.effects)).toBe(before + 1);
});
