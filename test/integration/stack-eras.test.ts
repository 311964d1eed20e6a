/**
 * Both eras on the agent side of a stack, over stdio and over HTTP: a 2025-era agent (SDK 1.x) and
 * a 2026-07-28 agent (SDK 2.x pinned) each drive `toolgate serve --config` in front of two servers
 * that speak different eras: the Kommo simulator speaking only 2026-07-28, and
 * `@modelcontextprotocol/server-memory` (from npm) speaking the 2025 era. Each server's bridge
 * translates for it; the seed rule on `kommo__stop_salesbot` admits exactly 10 of 12, and the
 * CRM (kommo-sim's effects file) saw 10 stops for each run.
 */
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { clockFile, kommoSimCommand, readEffectsFile, startKommoSimHttp } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, tempDir, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";
import { httpAgent, STOP_ARGS, stdioAgent, type Agent, type AgentEra } from "./bridge-agents.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
const MEMORY = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js");
let agent: Agent | undefined;
let gateway: HttpGateway | undefined;

afterEach(async () => {
  await agent?.close().catch(() => undefined);
  await gateway?.stop();
  agent = undefined;
  gateway = undefined;
});

/** A directory of its own for one run: the CRM's effects file and the gateway's clock file. */
function freshRun(): { dir: string; effectsFile: string; clock: ReturnType<typeof clockFile> } {
  const dir = tempDir("toolgate-stack-eras-");
  return { dir, effectsFile: join(dir, "effects.jsonl"), clock: clockFile(dir, T0_MS) };
}

function writeStack(dir: string, effectsFile: string, kommoUrl?: string): string {
  writeJson(dir, "kommo.json", { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] } } });
  writeJson(dir, "memory.json", { version: "1", default: "deny", tools: { read_graph: {}, create_entities: {} } });
  const sim = kommoSimCommand(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effectsFile]);
  return writeJson(dir, "stack.json", {
    version: "1",
    servers: {
      kommo: kommoUrl === undefined ? { command: sim.command, args: sim.args, policy: "kommo.json" } : { url: kommoUrl, policy: "kommo.json" },
      memory: { command: process.execPath, args: [MEMORY], env: { MEMORY_FILE_PATH: join(dir, "memory.jsonl") }, policy: "memory.json" },
    },
  });
}

const decisionOf = (r: { _meta?: Record<string, unknown>; isError?: boolean }): string => ((r._meta?.["toolgate/decision"] as { code?: string } | undefined)?.code ?? (r.isError ? "tool_error" : "allow"));

async function drive(a: Agent, effectsFile: string): Promise<void> {
  const tools = ((await a.client.listTools()) as { tools: Array<{ name: string }> }).tools.map((t) => t.name).sort();
  expect(tools).toEqual(["kommo__stop_salesbot", "memory__create_entities", "memory__read_graph"]);
  const decisions: string[] = [];
  for (let i = 0; i < 12; i++) decisions.push(decisionOf(await a.client.callTool({ name: "kommo__stop_salesbot", arguments: STOP_ARGS })));
  expect(decisions).toEqual([...Array(10).fill("allow"), "rate_limited", "rate_limited"]);
  // The 2025-era server answers a 2026-07-28 agent too, and the other way round.
  const created = await a.client.callTool({ name: "memory__create_entities", arguments: { entities: [{ name: `from-${a.era}`, entityType: "agent", observations: ["was here"] }] } });
  expect(decisionOf(created)).toBe("allow");
  const graph = await a.client.callTool({ name: "memory__read_graph", arguments: {} });
  expect(JSON.stringify(graph.content)).toContain(`from-${a.era}`);
  expect(decisionOf(await a.client.callTool({ name: "kommo__get_leads", arguments: {} }))).toBe("default_deny");
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop")).toHaveLength(10);
}

describe.each<AgentEra>(["2025", "2026-07-28"])("a %s agent", (era) => {
  test("over stdio: each server bridged in its own era; exactly 10 stops reach the CRM", async () => {
    const { dir, effectsFile, clock } = freshRun();
    agent = await stdioAgent(era, [TOOLGATE_BIN, "serve", "--config", writeStack(dir, effectsFile)], { TOOLGATE_CLOCK_FILE: clock.path });
    await drive(agent, effectsFile);
  }, 60_000);

  test("over HTTP: each server bridged in its own era; exactly 10 stops reach the CRM", async () => {
    const { dir, effectsFile, clock } = freshRun();
    gateway = await startHttpGateway(["--config", writeStack(dir, effectsFile)], { TOOLGATE_CLOCK_FILE: clock.path });
    agent = await httpAgent(era, gateway.url, "unused");
    await drive(agent, effectsFile);
  }, 60_000);
});

test("a URL server behind the stack gets its own tool name in Mcp-Name: the 2026-07-28 Kommo simulator over HTTP checks the header against the body", async () => {
  const { dir, effectsFile, clock } = freshRun();
  // The SDK 2.x server refuses a request whose Mcp-Name differs from its body's name, so every
  // allowed call below reaching the CRM proves the header says `stop_salesbot`, not `kommo__stop_salesbot`.
  const sim = await startKommoSimHttp(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effectsFile]);
  try {
    agent = await stdioAgent("2026-07-28", [TOOLGATE_BIN, "serve", "--config", writeStack(dir, effectsFile, sim.url)], { TOOLGATE_CLOCK_FILE: clock.path });
    await drive(agent, effectsFile);
  } finally {
    await agent?.close().catch(() => undefined);
    agent = undefined;
    await sim.stop();
  }
}, 60_000);
