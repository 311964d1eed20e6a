/**
 * The gateway holds the upstream's credential: `--upstream-header` goes on every request to an
 * HTTP upstream and `--upstream-env` into a stdio upstream's environment, while the agent's own
 * `Authorization` header (its grant token) never leaves the gateway.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, expect, test } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { recordingUpstream } from "../fixtures/servers/recording-upstream.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const dir = tempDir("toolgate-http-cred-");
const policy = writeJson(dir, "policy.json", { version: "1", default: "allow" });
const AGENT_TOKEN = "agent-grant-token-123";
const grants = writeJson(dir, "grants.json", { version: "1", grants: [{ id: "agent", tokenSha256: tokenSha256(AGENT_TOKEN), policy: "policy.json" }] });
const started: Array<{ stop(): Promise<void> }> = [];

afterAll(async () => {
  for (const s of started) await s.stop();
});

test("--upstream-header reaches the HTTP upstream on every request; the agent's bearer token does not", async () => {
  const upstream = await recordingUpstream();
  started.push(upstream);
  const gateway: HttpGateway = await startHttpGateway(["--grants", grants, "--upstream-url", upstream.url, "--upstream-header", "Authorization: Bearer upstream-secret", "--upstream-header", "X-Kommo-Account: acme"]);
  started.push(gateway);
  const { client } = await connectClient(gateway.url, AGENT_TOKEN);
  expect(((await client.callTool({ name: "whoami", arguments: {} })) as CallToolResult).content).toEqual([{ type: "text", text: "ok" }]);
  await client.close();
  const posts = upstream.seen.filter((h) => h["content-type"] === "application/json");
  expect(posts.length).toBeGreaterThanOrEqual(3);
  for (const h of posts) {
    expect(h.authorization).toBe("Bearer upstream-secret");
    expect(h["x-kommo-account"]).toBe("acme");
  }
  expect(JSON.stringify(upstream.seen)).not.toContain(AGENT_TOKEN);
  expect(gateway.stderr()).not.toContain("upstream-secret");
});

test("--upstream-env reaches a stdio upstream's environment", async () => {
  const script = join(dir, "env-echo.mjs");
  writeFileSync(
    script,
    `import { createInterface } from "node:readline";
const send = (m) => process.stdout.write(JSON.stringify(m) + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const m = JSON.parse(line);
  if (m.method === "initialize") send({ jsonrpc: "2.0", id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "env", version: "1" } } });
  else if (m.method === "tools/list") send({ jsonrpc: "2.0", id: m.id, result: { tools: [{ name: "token", inputSchema: { type: "object" } }] } });
  else if (m.method === "tools/call") send({ jsonrpc: "2.0", id: m.id, result: { content: [{ type: "text", text: String(process.env.KOMMO_TOKEN) }] } });
  else if ("id" in m && m.method) send({ jsonrpc: "2.0", id: m.id, result: {} });
});
`,
  );
  const gateway = await startHttpGateway(["--grants", grants, "--upstream-cmd", `"${process.execPath}" "${script}"`, "--upstream-env", "KOMMO_TOKEN=kommo-secret"]);
  started.push(gateway);
  const { client } = await connectClient(gateway.url, AGENT_TOKEN);
  expect(((await client.callTool({ name: "token", arguments: {} })) as CallToolResult).content).toEqual([{ type: "text", text: "kommo-secret" }]);
  await client.close();
});
