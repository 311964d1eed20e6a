/**
 * The gateway holds the upstream's credential: `--upstream-header` goes on every request to an
 * HTTP upstream and `--upstream-env` into a stdio upstream's environment, while the agent's own
 * `Authorization` header (its grant token) never leaves the gateway.
 */
import { writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, expect, test } from "vitest";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const dir = tempDir("toolgate-http-cred-");
const policy = writeJson(dir, "policy.json", { version: "1", default: "allow" });
const AGENT_TOKEN = "agent-grant-token-123";
const grants = writeJson(dir, "grants.json", { version: "1", grants: [{ id: "agent", tokenSha256: tokenSha256(AGENT_TOKEN), policy: "policy.json" }] });
const started: Array<{ stop(): Promise<void> }> = [];

afterAll(async () => {
  for (const s of started) await s.stop();
});

/** A minimal Streamable HTTP MCP server (JSON answers) that records the headers it receives. */
async function recordingUpstream(): Promise<{ url: string; seen: IncomingHttpHeaders[]; stop(): Promise<void> }> {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(405).end();
        return;
      }
      const m = JSON.parse(body) as { id?: number; method: string; params?: { protocolVersion?: string } };
      if (m.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result =
        m.method === "initialize"
          ? { protocolVersion: m.params?.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "recorder", version: "1" } }
          : m.method === "tools/list"
            ? { tools: [{ name: "whoami", inputSchema: { type: "object" } }] }
            : { content: [{ type: "text", text: "ok" }] };
      res.writeHead(200, { "content-type": "application/json", "mcp-session-id": "up-1" }).end(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/mcp`, seen, stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

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
