/**
 * The HTTP front with stdio children as upstreams, in the two bridged directions: a 2025-era
 * agent's MCP session on `toolgate serve --listen` onto a `kommo-sim --protocol 2026-07-28` child,
 * and 2026-07-28 stateless callers onto a 2025-only child (one upstream session per grant, shared
 * by every stateless caller of that grant).
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { clockFile, readEffectsFile, tempDir } from "../helpers/kommo-sim-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";
import { httpAgent, SEED_POLICY, STOP_ARGS, T0_MS, upstreamCmd, type Agent, type AgentEra } from "./bridge-agents.js";

interface Side {
  readonly gateway: HttpGateway;
  readonly effects: string;
}

const sides = new Map<AgentEra, Side>();
const agents: Agent[] = [];

async function startSide(upstreamEra: AgentEra): Promise<Side> {
  const dir = tempDir("toolgate-bridge-child-");
  const effects = join(dir, "effects.jsonl");
  const clock = clockFile(dir, T0_MS);
  const gateway = await startHttpGateway(["--policy", SEED_POLICY, "--upstream-cmd", upstreamCmd(upstreamEra, effects)], { TOOLGATE_CLOCK_FILE: clock.path });
  return { gateway, effects };
}

beforeAll(async () => {
  const [legacy, modern] = await Promise.allSettled([startSide("2025"), startSide("2026-07-28")]);
  if (legacy.status === "fulfilled") sides.set("2025", legacy.value);
  if (modern.status === "fulfilled") sides.set("2026-07-28", modern.value);
  if (legacy.status === "rejected") throw legacy.reason;
  if (modern.status === "rejected") throw modern.reason;
}, 30_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.close()));
  await Promise.allSettled([...sides.values()].map((s) => s.gateway.stop()));
});

const stops = (side: Side): number => readEffectsFile(side.effects).filter((l) => l.kind === "effect" && l.effect === "stop").length;

test("a 2025-era agent's MCP session reaches a 2026-07-28-only stdio child through the HTTP front", async () => {
  const side = sides.get("2026-07-28")!;
  const agent = await httpAgent("2025", side.gateway.url, "unused");
  agents.push(agent);
  expect(agent.client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server" });
  expect(((await agent.client.listTools()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
  const result = (await agent.client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as Record<string, unknown>;
  expect(result.isError).not.toBe(true);
  expect(result).not.toHaveProperty("resultType");
  expect(stops(side)).toBe(1);
  expect(side.gateway.stderr()).toContain('"event":"upstream_era","agentEra":"2025","upstreamEra":"2026-07-28","bridged":true');
});

test("two 2026-07-28 callers of one grant share one 2025-era session on a 2025-only stdio child", async () => {
  const side = sides.get("2025")!;
  const [a, b] = [await httpAgent("2026-07-28", side.gateway.url, "unused"), await httpAgent("2026-07-28", side.gateway.url, "unused")];
  agents.push(a, b);
  const results = (await Promise.all([a, b, a, b].map((agent) => agent.client.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })))) as Array<Record<string, unknown>>;
  for (const r of results) expect(r.isError).not.toBe(true);
  expect(stops(side)).toBe(4);
  const eraLines = side.gateway.stderr().split("\n").filter((l) => l.includes('"upstream_era"'));
  expect(eraLines).toHaveLength(1);
  expect(eraLines[0]).toContain('"agentEra":"2026-07-28","upstreamEra":"2025","bridged":true');
});
