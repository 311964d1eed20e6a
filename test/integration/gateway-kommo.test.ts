/**
 * End to end over real pipes: an SDK 1.x client → `toolgate serve` with the seed policy →
 * `toolgate kommo-sim`. Both children read time from one TOOLGATE_CLOCK_FILE, which the test
 * moves (no sleeping). What really reached the CRM is read back from kommo-sim's --effects-file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { clockFile, kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { readJsonLines, REPO_ROOT, serveArgs, tempDir } from "../fixtures/servers/gateway-process.js";

const SEED_POLICY = join(REPO_ROOT, "fixtures/policies/valid/seed.json");
const TOOLS = (JSON.parse(readFileSync(join(REPO_ROOT, "fixtures/kommo/tools.json"), "utf8")) as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
const MINUTE_MS = 60_000;
/** 10 s into a minute: 25 calls 150 ms apart all fall inside it. */
const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
const dir = tempDir();
const effectsFile = join(dir, "effects.jsonl");
const auditFile = join(dir, "audit.jsonl");
const clock = clockFile(dir, T0_MS);
const seed = loadDefaultSeed();
const bot = seed.salesbots[0]!;
const lead = seed.leads[0]!;
let client: Client;

beforeAll(async () => {
  const sim = kommoSimCommand(["--effects-file", effectsFile]);
  const upstreamCmd = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: serveArgs(SEED_POLICY, upstreamCmd, ["--audit", auditFile, "--grant", "e2e"]),
    cwd: REPO_ROOT,
    env: { ...process.env, TOOLGATE_CLOCK_FILE: clock.path } as Record<string, string>,
    stderr: "pipe",
  });
  client = new Client({ name: "gateway-kommo-e2e", version: "1.0.0" });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
});

const decision = (r: CallToolResult) => (r._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const stops = () => readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop");
const restRequests = () => readEffectsFile(effectsFile).filter((l) => l.kind === "request");
const stopBot = async () => (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: "leads" } })) as CallToolResult;

test("the agent sees only stop_salesbot in tools/list", async () => {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
});

test("of 25 quick calls exactly 10 stop a bot; call 11 is rate limited until the minute ends; the next minute's first call passes", async () => {
  const results: CallToolResult[] = [];
  for (let i = 0; i < 25; i++) {
    clock.set(T0_MS + i * 150);
    results.push(await stopBot());
  }
  expect(results.slice(0, 10).every((r) => r.isError !== true)).toBe(true);
  expect(stops()).toHaveLength(10);
  const eleventh = decision(results[10]!);
  const minuteEndMs = Math.floor(T0_MS / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  expect(eleventh).toMatchObject({
    decision: "deny",
    code: "rate_limited",
    rule: "/tools/stop_salesbot/limits/0",
    tool: "stop_salesbot",
    counter: "stop_salesbot_rate",
    scope: "grant",
    window: "minute",
    max: 10,
    remaining: 0,
    retryAfterMs: minuteEndMs - (T0_MS + 10 * 150),
    resetAt: new Date(minuteEndMs).toISOString(),
  });
  expect((results[10]!.content[0] as { text: string }).text).toBe(
    "[POLICY DENIED] Rate limit exceeded: stop_salesbot_rate allows 10 calls per minute per grant. Retry in 49 s.",
  );
  expect(results.slice(10).every((r) => decision(r)?.code === "rate_limited")).toBe(true);

  clock.set(minuteEndMs);
  const next = await stopBot();
  expect(next.isError).not.toBe(true);
  expect(stops()).toHaveLength(11);

  // Audit lines are appended off the hot path, just after the answer: wait for the last one.
  await vi.waitFor(() => expect(readJsonLines<{ decision: string }>(auditFile).filter((l) => l.decision === "allow")).toHaveLength(11), { timeout: 5_000, interval: 20 });
  const audit = readJsonLines<{ decision: string; code: string | null; decisionId: string }>(auditFile);
  expect(audit.filter((l) => l.code === "rate_limited").map((l) => l.decisionId)).toContain(eleventh!.decisionId);
});

test("every other tool and every look-alike name is denied and never reaches Kommo's REST layer", async () => {
  const before = restRequests().length;
  const lookAlikes = [
    "Stop_salesbot",
    "STOP_SALESBOT",
    "stop_salesbot ",
    " stop_salesbot",
    "stop salesbot",
    "stop-salesbot",
    "stop_salesbot\u200b",
    "stop_sаlesbot", // Cyrillic а
    "ѕtop_salesbot", // Cyrillic ѕ
    "stop_salesbоt", // Cyrillic о
    "ｓｔｏｐ＿ｓａｌｅｓｂｏｔ", // fullwidth
    "stop_salesbots",
    "unknown_tool",
    "",
  ];
  const others = TOOLS.filter((t) => t !== "stop_salesbot");
  expect(others).toHaveLength(22);
  for (const name of [...others, ...lookAlikes]) {
    const result = (await client.callTool({ name, arguments: { bot_id: bot.id, entity_id: lead.id, entity_type: "leads", id: lead.id } })) as CallToolResult;
    expect(result.isError, JSON.stringify(name)).toBe(true);
    expect(["default_deny", "hidden"], JSON.stringify(name)).toContain(decision(result)?.code);
  }
  expect(restRequests().length).toBe(before);
});
