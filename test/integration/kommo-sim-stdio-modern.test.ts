/**
 * `toolgate kommo-sim` over stdio with a 2026-07-28 client (SDK 2.x StdioClientTransport, pinned
 * revision: `server/discover`, per-request `_meta`), and `--protocol 2026-07-28` on stdio refusing
 * a 2025-era client with the same -32022 error as over HTTP.
 */
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as LegacyStdioTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, expect, test } from "vitest";
import { kommoSimCommand, REPO_ROOT } from "../helpers/kommo-sim-process.js";

const clients: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
});

test.concurrent("a 2026-07-28 client over stdio lists the 23 tools and calls one, on a --protocol 2026-07-28 server", async () => {
  const client = new ModernClient({ name: "modern-stdio", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  clients.push(client);
  await client.connect(new ModernStdioTransport({ ...kommoSimCommand(["--protocol", "2026-07-28", "--kommo-rps", "0"]), cwd: REPO_ROOT, stderr: "pipe" }));
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  expect((await client.listTools()).tools).toHaveLength(23);
  const result = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 3, entity_id: 103, entity_type: "leads" } });
  expect(result.content).toEqual([{ type: "text", text: '{\n  "accepted": true\n}' }]);
});

test.concurrent("--protocol 2026-07-28 on stdio refuses a 2025-era initialize with -32022 and data.supported", async () => {
  const client = new LegacyClient({ name: "legacy-stdio", version: "1.0.0" });
  clients.push(client);
  const connecting = client.connect(new LegacyStdioTransport({ ...kommoSimCommand(["--protocol", "2026-07-28"]), cwd: REPO_ROOT, stderr: "pipe" }));
  await expect(connecting).rejects.toMatchObject({ code: -32022, data: { supported: ["2026-07-28"], requested: "2025-11-25" } });
});
