/**
 * `toolgate serve` over real pipes: an SDK 1.x client spawns the gateway, which spawns the
 * fixture server. Everything the policy does not govern passes through (initialize, progress,
 * sampling, elicitation, cancellation); tools/list is filtered; denials are well formed; invalid
 * arguments never reach the upstream (the fixture's call log proves it); the audit file has one
 * line per decision with the same decision ids.
 */
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CreateMessageRequestSchema, ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { fixtureUpstreamCmd, readJsonLines, REPO_ROOT, serveArgs, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";

const dir = tempDir();
const callLog = join(dir, "calls.jsonl");
const auditFile = join(dir, "audit.jsonl");
const policy = {
  version: "1",
  default: "deny",
  hide: ["delete_everything"],
  tools: {
    echo: {},
    progress: {},
    ask_client: {},
    wait_cancel: {},
    fail_tool: { action: "deny", reason: "fail_tool is switched off" },
    stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 2, scope: "grant" }] },
  },
};
let client: Client;

beforeAll(async () => {
  const policyFile = writeJson(dir, "policy.json", policy);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: serveArgs(policyFile, fixtureUpstreamCmd(), ["--audit", auditFile, "--grant", "it-grant"]),
    cwd: REPO_ROOT,
    env: { ...process.env, FIXTURE_CALL_LOG: callLog } as Record<string, string>,
    stderr: "pipe",
  });
  client = new Client({ name: "gateway-it", version: "1.0.0" }, { capabilities: { sampling: {}, elicitation: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: "assistant", content: { type: "text", text: "hi" }, model: "fake" }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { name: "ada" } }));
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
});

const decision = (result: CallToolResult) => (result._meta as Record<string, Record<string, unknown>> | undefined)?.["toolgate/decision"];
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;
const upstreamCalls = (tool: string) => readJsonLines<{ tool?: string }>(callLog).filter((l) => l.tool === tool);

test("initialize passes through: the client sees the upstream's name and capabilities", () => {
  expect(client.getServerVersion()).toEqual({ name: "toolgate-fixture", version: "1.0.0" });
  expect(client.getServerCapabilities()?.tools).toBeDefined();
});

test("tools/list shows only the tools some call could run: hidden and default-denied ones are gone", async () => {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(["ask_client", "echo", "fail_tool", "progress", "stop_salesbot", "wait_cancel"]);
});

test("an allowed call reaches the upstream and its result comes back unchanged", async () => {
  const result = (await client.callTool({ name: "echo", arguments: { text: "olá" } })) as CallToolResult;
  expect(result.content).toEqual([{ type: "text", text: "olá" }]);
  expect(upstreamCalls("echo")).toEqual([{ tool: "echo", args: { text: "olá" } }]);
});

test("progress notifications pass through to the caller", async () => {
  const seen: number[] = [];
  const result = (await client.callTool({ name: "progress", arguments: { steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) })) as CallToolResult;
  expect(text(result)).toBe("done");
  expect(seen).toEqual([1, 2, 3]);
});

test("sampling and elicitation requests from the upstream reach the client and its answers go back", async () => {
  const result = (await client.callTool({ name: "ask_client", arguments: {} })) as CallToolResult;
  expect(text(result)).toBe('sampled=hi elicited=accept:{"name":"ada"}');
});

test("a cancelled call is cancelled at the upstream too", async () => {
  const controller = new AbortController();
  const pending = client.callTool({ name: "wait_cancel", arguments: {} }, undefined, { signal: controller.signal });
  await vi.waitFor(() => expect(upstreamCalls("wait_cancel")).toHaveLength(1), { timeout: 10_000, interval: 20 });
  controller.abort("user gave up");
  await expect(pending).rejects.toThrow();
  await vi.waitFor(() => expect(readJsonLines<{ event?: string }>(callLog).some((l) => l.event === "cancelled")).toBe(true), { timeout: 10_000, interval: 20 });
});

test("hidden, unknown and explicitly denied tools get well-formed denials and never reach the upstream", async () => {
  const hidden = (await client.callTool({ name: "delete_everything", arguments: {} })) as CallToolResult;
  expect(hidden.isError).toBe(true);
  expect(text(hidden)).toBe("[POLICY DENIED] tool `delete_everything` is hidden by policy");
  expect(decision(hidden)).toMatchObject({ decision: "deny", code: "hidden", rule: "(hidden)", tool: "delete_everything" });
  expect(decision(hidden)!.decisionId).toMatch(/^dec_[0-9a-f]{16}$/);
  const unknown = (await client.callTool({ name: "no_such_tool", arguments: {} })) as CallToolResult;
  expect(decision(unknown)).toMatchObject({ code: "default_deny", rule: "(default deny)" });
  const denied = (await client.callTool({ name: "fail_tool", arguments: {} })) as CallToolResult;
  expect(text(denied)).toBe("[POLICY DENIED] fail_tool is switched off");
  expect(decision(denied)).toMatchObject({ code: "denied", rule: "/tools/fail_tool/action" });
  expect([...upstreamCalls("delete_everything"), ...upstreamCalls("fail_tool")]).toEqual([]);
});

test("invalid arguments are denied invalid_arguments and never reach the upstream", async () => {
  const result = (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: "seven" } })) as CallToolResult;
  expect(decision(result)).toMatchObject({ code: "invalid_arguments", tool: "stop_salesbot" });
  expect(text(result)).toContain("data must have required property 'entity_id'");
  expect(upstreamCalls("stop_salesbot")).toEqual([]);
});

test("the third stop in a minute is rate limited with limit facts", async () => {
  for (let i = 0; i < 2; i++) expect(((await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } })) as CallToolResult).isError).toBeFalsy();
  const third = (await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } })) as CallToolResult;
  expect(decision(third)).toMatchObject({ code: "rate_limited", counter: "stop_salesbot_rate", scope: "grant", window: "minute", max: 2, remaining: 0 });
  expect(decision(third)!.retryAfterMs).toBeGreaterThan(0);
  expect(upstreamCalls("stop_salesbot")).toHaveLength(2);
});

test("the audit file has one line per decision with the decision id the caller saw, and no argument values", async () => {
  const denied = (await client.callTool({ name: "delete_everything", arguments: { secret: "s3cr3t" } })) as CallToolResult;
  const id = decision(denied)!.decisionId;
  await vi.waitFor(() => expect(readJsonLines<{ decisionId: string }>(auditFile).some((l) => l.decisionId === id)).toBe(true), { timeout: 5_000, interval: 20 });
  const lines = readJsonLines<Record<string, unknown>>(auditFile);
  expect(lines.find((l) => l.decisionId === id)).toMatchObject({ grant: "it-grant", tool: "delete_everything", decision: "deny", code: "hidden", argKeys: ["secret"], outcome: "not_forwarded" });
  expect(JSON.stringify(lines)).not.toContain("s3cr3t");
  expect(lines.filter((l) => l.tool === "echo")).toEqual([expect.objectContaining({ decision: "allow", outcome: "ok", latencyMs: expect.any(Number) })]);
});
