/**
 * One toolgate in front of a whole stack, over real pipes: the Kommo simulator beside three MCP
 * servers nobody here wrote, installed from npm (`@modelcontextprotocol/server-memory`,
 * `server-filesystem` on a temp directory, `server-everything`). An SDK 1.x agent talks to
 * `toolgate serve --config`; time comes from one TOOLGATE_CLOCK_FILE the test moves. What reached
 * the CRM is read back from kommo-sim's effects file; what reached the disk from the directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { descendantPids, parentPid } from "../../src/bench/procfs.js";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { clockFile, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { until } from "../helpers/until.js";
import { REPO_ROOT, tempDir, TOOLGATE_BIN, writeJson } from "../fixtures/servers/gateway-process.js";

const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);
const dir = tempDir("toolgate-stack-");
const files = join(dir, "files");
const effectsFile = join(dir, "effects.jsonl");
const clock = clockFile(dir, T0_MS);
const seed = loadDefaultSeed();
const STOP_ARGS = { bot_id: seed.salesbots[0]!.id, entity_id: seed.leads[0]!.id, entity_type: "leads" };
const bin = (pkg: string) => join(REPO_ROOT, "node_modules", "@modelcontextprotocol", pkg, "dist", "index.js");

let client: Client;
let gatewayPid: number;
let listChanged = 0;

beforeAll(async () => {
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, "hello.txt"), "hello from the stack\n");
  writeJson(dir, "kommo.json", { version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 10, scope: "grant" }] }, create_lead: {} } });
  writeJson(dir, "filesystem.json", { version: "1", default: "deny", tools: { read_text_file: {}, list_directory: {}, write_file: { action: "deny", reason: "The stack is read-only on disk." } } });
  writeJson(dir, "memory.json", { version: "1", default: "allow", all_tools: { limits: [{ counter: "memory_calls", window: "minute", max: 6 }] } });
  writeJson(dir, "everything.json", { version: "1", default: "deny", tools: { echo: {} } });
  const config = writeJson(dir, "stack.json", {
    version: "1",
    servers: {
      kommo: { command: process.execPath, args: [TOOLGATE_BIN, "kommo-sim", "--kommo-rps", "0", "--effects-file", effectsFile], policy: "kommo.json" },
      filesystem: { command: process.execPath, args: [bin("server-filesystem"), files], policy: "filesystem.json" },
      memory: { command: process.execPath, args: [bin("server-memory")], env: { MEMORY_FILE_PATH: join(dir, "memory.jsonl") }, policy: "memory.json" },
      everything: { command: process.execPath, args: [bin("server-everything"), "stdio"], policy: "everything.json" },
    },
    stack: { default: "deny", limits: [{ counter: "creations", window: "minute", max: 4, tools: ["kommo/create_lead", "memory/create_entities"] }] },
  });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [TOOLGATE_BIN, "serve", "--config", config, "--grant", "stack-agent"],
    cwd: REPO_ROOT,
    env: { ...process.env, TOOLGATE_CLOCK_FILE: clock.path } as Record<string, string>,
    stderr: "pipe",
  });
  client = new Client({ name: "stack-agent", version: "1.0.0" });
  await client.connect(transport);
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged++);
  gatewayPid = transport.pid!;
}, 60_000);

afterAll(async () => {
  await client?.close();
});

const decision = (r: CallToolResult) => (r._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult;
const ping = () => client.ping();
const names = async () => (await client.listTools()).tools.map((t) => t.name);

test("tools/list is the union of every server's allowed tools, each named <server>__<tool>", async () => {
  const listed = await names();
  expect(listed).toEqual(expect.arrayContaining(["kommo__stop_salesbot", "kommo__create_lead", "filesystem__read_text_file", "filesystem__write_file", "memory__create_entities", "memory__read_graph", "everything__echo"]));
  expect(listed).not.toContain("kommo__get_leads");
  expect(listed.filter((n) => n.startsWith("everything__"))).toEqual(["everything__echo"]);
  for (const name of listed) expect(name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
});

test("the seed rule on kommo__stop_salesbot admits exactly 10 of 12, and the CRM saw 10 stops", async () => {
  const codes: string[] = [];
  for (let i = 0; i < 12; i++) codes.push(String(decision(await call("kommo__stop_salesbot", STOP_ARGS))?.code ?? "allow"));
  expect(codes).toEqual([...Array(10).fill("allow"), "rate_limited", "rate_limited"]);
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect" && l.effect === "stop")).toHaveLength(10);
});

test("filesystem reads pass; writes are denied with the server named, and nothing reaches the disk", async () => {
  const read = await call("filesystem__read_text_file", { path: join(files, "hello.txt") });
  expect(read.isError ?? false).toBe(false);
  expect(JSON.stringify(read.content)).toContain("hello from the stack");
  const write = await call("filesystem__write_file", { path: join(files, "evil.txt"), content: "x" });
  expect(decision(write)).toMatchObject({ code: "denied", server: "filesystem", tool: "filesystem__write_file" });
  expect(existsSync(join(files, "evil.txt"))).toBe(false);
});

test("a stack-wide limit spans two servers' tools on one counter", async () => {
  const codes: string[] = [];
  for (let i = 0; i < 3; i++) {
    codes.push(String(decision(await call("kommo__create_lead", { name: `Stack lead ${i}` }))?.code ?? "allow"));
    codes.push(String(decision(await call("memory__create_entities", { entities: [{ name: `e${i}`, entityType: "t", observations: [] }] }))?.code ?? "allow"));
  }
  expect(codes).toEqual(["allow", "allow", "allow", "allow", "rate_limited", "rate_limited"]);
  const denied = await call("kommo__create_lead", { name: "one more" });
  expect(decision(denied)).toMatchObject({ code: "rate_limited", rule: "/stack/limits/0", server: "kommo" });
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "request" && l.method === "POST" && l.path === "/api/v4/leads")).toHaveLength(2);
});

test("memory tools are rate-limited by their own policy; everything's echo passes through; names no server has are default-denied", async () => {
  clock.set(T0_MS + 60_000);
  const codes: string[] = [];
  for (let i = 0; i < 7; i++) codes.push(String(decision(await call("memory__read_graph"))?.code ?? "allow"));
  expect(codes).toEqual([...Array(6).fill("allow"), "rate_limited"]);
  const echo = await call("everything__echo", { message: "through the stack" });
  expect(JSON.stringify(echo.content)).toContain("through the stack");
  expect(decision(await call("everything__get-sum", { a: 1, b: 2 }))).toMatchObject({ code: "default_deny" });
  expect(decision(await call("stop_salesbot", STOP_ARGS))).toMatchObject({ code: "default_deny" });
});

/** The pid of the gateway's child whose command line contains `marker`. */
function childPid(marker: string): number | undefined {
  const children = descendantPids(gatewayPid).filter((pid) => parentPid(pid) === gatewayPid);
  return children.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
    } catch {
      return false; // gone meanwhile
    }
  });
}

test("killing one server: the others keep answering, its tools leave the list and come back after its restart, nothing hangs", async () => {
  clock.set(T0_MS + 120_000);
  const pid = childPid("server-memory");
  expect(pid).toBeGreaterThan(0);
  const changedBefore = listChanged;
  process.kill(pid!, "SIGKILL");
  const gone = await until("memory tools to leave the list", async () => ((await names()).some((n) => n.startsWith("memory__")) ? undefined : true), ping);
  expect(gone).toBe(true);
  // The SDK hands notifications to their handler a turn after they arrive: wait for it, bounded.
  expect(await until("a tools/list_changed notification", async () => (listChanged > changedBefore ? true : undefined), ping)).toBe(true);
  const whileDown = await client.callTool({ name: "memory__read_graph", arguments: {} }).then(
    (r) => ({ ok: true as const, r }),
    (e: Error) => ({ ok: false as const, message: e.message }),
  );
  if (!whileDown.ok) expect(whileDown.message).toMatch(/server `memory` is unavailable/);
  expect((await call("everything__echo", { message: "still here" })).content).toBeDefined();
  expect(decision(await call("kommo__stop_salesbot", STOP_ARGS))).toBeUndefined();
  // The restart backoff runs on the gateway's clock (the clock file): move it past the first delay.
  clock.set(T0_MS + 121_000);
  await until("memory tools to come back", async () => ((await names()).includes("memory__read_graph") ? true : undefined), ping);
  expect(childPid("server-memory")).not.toBe(pid);
  expect(decision(await call("memory__read_graph"))).toBeUndefined();
}, 60_000);
