/**
 * The conformance fixture answers what the official suite's server scenarios call, over a real
 * loopback Streamable HTTP socket and over real stdio pipes, with the SDK 1.x client on Node 20.
 * (The full suite runs in `node scripts/conformance.mjs`; this is the quick check.)
 */
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { serveFixtureHttp, type FixtureHttpHandle } from "../fixtures/conformance/http-front.js";

/** Sleeps return at once: the fixture's 50 ms pauses are pacing, not behaviour under test. */
const instantClock: Clock = {
  nowMs: () => 0,
  setTimer: (fn) => {
    queueMicrotask(fn);
    return { cancel: () => {} };
  },
  sleep: async () => {},
};

let fixture: FixtureHttpHandle;
const clients: Client[] = [];

beforeAll(async () => {
  fixture = await serveFixtureHttp({ clock: instantClock });
});
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await fixture.close();
});

async function connectHttp(): Promise<Client> {
  const client = new Client({ name: "fixture-test", version: "1.0.0" }, { capabilities: { sampling: {}, elicitation: {} } });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
  return client;
}

function postWithHost(host: string): Promise<number> {
  const url = new URL(fixture.url);
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { host, origin: `http://${host}`, "content-type": "application/json", accept: "application/json, text/event-stream" } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

test("the fixture lists every tool the conformance scenarios call, each with a description and an input schema", async () => {
  const client = await connectHttp();
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of ["test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource", "test_multiple_content_types", "test_tool_with_logging", "test_error_handling", "test_tool_with_progress", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums", "json_schema_2020_12_tool", "test_reconnection"]) {
    expect(names).toContain(name);
  }
  for (const tool of tools) expect(tool.description && tool.inputSchema.type).toBeTruthy();
  const schema = tools.find((t) => t.name === "json_schema_2020_12_tool")?.inputSchema as Record<string, unknown>;
  expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  expect(schema.additionalProperties).toBe(false);
});

test("a tool call returns the exact text, and the error tool answers isError true", async () => {
  const client = await connectHttp();
  expect(await client.callTool({ name: "test_simple_text" })).toEqual({ content: [{ type: "text", text: "This is a simple text response for testing." }] });
  const error = await client.callTool({ name: "test_error_handling", arguments: {} });
  expect(error.isError).toBe(true);
});

test("progress arrives as 0, 50 and 100 of 100 for the caller's progress token", async () => {
  const client = await connectHttp();
  const seen: Progress[] = [];
  await client.request({ method: "tools/call", params: { name: "test_tool_with_progress", arguments: {}, _meta: { progressToken: "p-1" } } }, CallToolResultSchema, {
    onprogress: (p) => seen.push(p),
  });
  expect(seen.map((p) => [p.progress, p.total])).toEqual([[0, 100], [50, 100], [100, 100]]);
});

test("log messages honour logging/setLevel: three at info, none when the level is warning", async () => {
  const client = await connectHttp();
  const logs: LoggingMessageNotification["params"][] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  await client.setLoggingLevel("info");
  await client.callTool({ name: "test_tool_with_logging", arguments: {} });
  expect(logs.map((l) => l.data)).toEqual(["Tool execution started", "Tool processing data", "Tool execution completed"]);
  logs.length = 0;
  await client.setLoggingLevel("warning");
  await client.callTool({ name: "test_tool_with_logging", arguments: {} });
  expect(logs).toEqual([]);
});

test("sampling and elicitation go to the client mid-call and their answers come back in the result", async () => {
  const client = await connectHttp();
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    expect(req.params.messages[0]?.content).toEqual({ type: "text", text: "hello" });
    return { role: "assistant", content: { type: "text", text: "sampled answer" }, model: "m", stopReason: "endTurn" };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: "accept", content: { username: "u", email: "u@example.com" } }));
  const sampled = await client.callTool({ name: "test_sampling", arguments: { prompt: "hello" } });
  expect(sampled.content).toEqual([{ type: "text", text: "LLM response: sampled answer" }]);
  const elicited = await client.callTool({ name: "test_elicitation", arguments: { message: "who?" } });
  expect(JSON.stringify(elicited.content)).toContain("u@example.com");
});

test("resources, the template, prompts and completion answer with the suite's shapes", async () => {
  const client = await connectHttp();
  expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["test://static-text", "test://static-binary", "test://watched-resource"]);
  const templated = await client.readResource({ uri: "test://template/123/data" });
  const first = templated.contents[0];
  expect(first !== undefined && "text" in first ? JSON.parse(first.text) : undefined).toEqual({ id: "123", templateTest: true, data: "Data for ID: 123" });
  await expect(client.readResource({ uri: "test://nope" })).rejects.toThrow(/no resource/);
  await client.subscribeResource({ uri: "test://watched-resource" });
  await client.unsubscribeResource({ uri: "test://watched-resource" });
  const prompt = await client.getPrompt({ name: "test_prompt_with_arguments", arguments: { arg1: "a", arg2: "b" } });
  expect(prompt.messages[0]?.content).toEqual({ type: "text", text: "Prompt with arguments: arg1='a', arg2='b'" });
  const completion = await client.complete({ ref: { type: "ref/prompt", name: "test_prompt_with_arguments" }, argument: { name: "arg1", value: "par" } });
  expect(completion.completion.values).toEqual(["paris", "park", "party"]);
});

test("requests naming a non-loopback Host are refused with 403 and loopback ones are served", async () => {
  expect(await postWithHost("evil.example.com")).toBe(403);
  expect(await postWithHost(`localhost:${fixture.port}`)).toBe(200);
});

test("over stdio the fixture serves the same tools and streams its logs", async () => {
  const server = fileURLToPath(new URL("../fixtures/conformance/server.ts", import.meta.url));
  const client = new Client({ name: "fixture-test", version: "1.0.0" });
  clients.push(client);
  await client.connect(new StdioClientTransport({ command: process.execPath, args: ["--import", "tsx", server, "--stdio"], stderr: "pipe" }));
  const logs: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  expect((await client.listTools()).tools).toHaveLength(14);
  await client.callTool({ name: "test_tool_with_logging", arguments: {} });
  expect(logs).toEqual(["Tool execution started", "Tool processing data", "Tool execution completed"]);
});
