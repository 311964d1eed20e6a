/**
 * The four agent/upstream era pairs over stdio: `toolgate serve` (stdio) in front of a stdio child
 * that speaks only 2026-07-28 (`kommo-sim --protocol 2026-07-28`, which refuses 2025-era clients
 * like the real v3 server) or only 2025-era MCP (`bridge-legacy-kommo-server.ts`). The agent is the
 * SDK 1.x client (2025) or the SDK 2.x client pinned to 2026-07-28. Each pair runs the same
 * scenario on its own clock file and effects file; every pair must decide the same.
 */
import { join } from "node:path";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdio } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { clockFile, kommoSimCommand, readEffectsFile, tempDir } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, serveArgs } from "../fixtures/servers/gateway-process.js";
import { EXPECTED_DECISIONS, runScenario, SEED_POLICY, stdioAgent, T0_MS, upstreamCmd, type Agent, type AgentEra, type ScenarioOutcome } from "./bridge-agents.js";

const PAIRS: Array<[AgentEra, AgentEra]> = [
  ["2025", "2025"],
  ["2025", "2026-07-28"],
  ["2026-07-28", "2025"],
  ["2026-07-28", "2026-07-28"],
];

interface Run {
  readonly agent: Agent;
  readonly outcome: ScenarioOutcome;
  readonly stops: number;
}

const runs = new Map<string, Run>();
const agents: Agent[] = [];
const key = (agentEra: AgentEra, upstreamEra: AgentEra): string => `${agentEra} → ${upstreamEra}`;

beforeAll(async () => {
  // The four gateways (and their upstream children) start together; each scenario then runs alone.
  const started = await Promise.all(
    PAIRS.map(async ([agentEra, upstreamEra]) => {
      const dir = tempDir("toolgate-bridge-stdio-");
      const effects = join(dir, "effects.jsonl");
      const clock = clockFile(dir, T0_MS);
      const agent = await stdioAgent(agentEra, serveArgs(SEED_POLICY, upstreamCmd(upstreamEra, effects), ["--grant", "bridge"]), { TOOLGATE_CLOCK_FILE: clock.path });
      agents.push(agent);
      return { agentEra, upstreamEra, agent, effects, clock };
    }),
  );
  await Promise.all(
    started.map(async ({ agentEra, upstreamEra, agent, effects, clock }) => {
      const outcome = await runScenario(agent, clock.set);
      const stops = readEffectsFile(effects).filter((l) => l.kind === "effect" && l.effect === "stop").length;
      runs.set(key(agentEra, upstreamEra), { agent, outcome, stops });
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.close()));
});

describe.each(PAIRS)("a %s agent through toolgate to a %s-only upstream over stdio", (agentEra, upstreamEra) => {
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

  test("the gateway logs which era it found upstream and whether it bridges", () => {
    const line = run()
      .agent.stderr()
      .split("\n")
      .filter((l) => l.includes('"upstream_era"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toEqual([expect.objectContaining({ agentEra, upstreamEra, bridged: agentEra !== upstreamEra })]);
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

test("the four era pairs decide the same", () => {
  const decisions = PAIRS.map(([a, u]) => runs.get(key(a, u))!.outcome.decisions);
  for (const d of decisions) expect(d).toEqual(decisions[0]);
});

test("a 2026-07-28-only simulator refuses a direct 2025-era client on stdio", async () => {
  const sim = kommoSimCommand(["--protocol", "2026-07-28"]);
  const client = new LegacyClient({ name: "direct-legacy", version: "1.0.0" });
  try {
    await expect(client.connect(new LegacyStdio({ command: sim.command, args: sim.args, cwd: REPO_ROOT, stderr: "pipe" }))).rejects.toThrow(/Unsupported protocol version/);
  } finally {
    await client.close();
  }
});
