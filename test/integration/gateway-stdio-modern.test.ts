/**
 * 2026-07-28 through `toolgate serve` over stdio: an SDK 2.x client pinned to the modern revision
 * (`server/discover`, per-request `_meta`) in front of `kommo-sim --protocol 2026-07-28`. The
 * handshake and calls pass through; tools/list is filtered; a denial carries `resultType`.
 */
import { join } from "node:path";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import { StdioClientTransport as ModernStdioTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, expect, test } from "vitest";
import { kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, serveArgs, tempDir } from "../fixtures/servers/gateway-process.js";

const dir = tempDir();
const effectsFile = join(dir, "effects.jsonl");
let client: ModernClient;

beforeAll(async () => {
  const sim = kommoSimCommand(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effectsFile]);
  const upstreamCmd = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  client = new ModernClient({ name: "modern-through-gateway", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(
    new ModernStdioTransport({ command: process.execPath, args: serveArgs(join(REPO_ROOT, "fixtures/policies/valid/seed.json"), upstreamCmd), cwd: REPO_ROOT, stderr: "pipe" }),
  );
});

afterAll(async () => {
  await client?.close();
});

test("server/discover passes through and the modern client sees the upstream", () => {
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
});

// Runs before any tools/list: the gateway lists the upstream's tools itself, with the caller's
// 2026-07-28 `_meta`, which a `--protocol 2026-07-28` server insists on.
test("an allowed call reaches the CRM and a denied one is answered as a tool result", async () => {
  const ok = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 3, entity_id: 103, entity_type: "leads" } });
  expect(ok.isError).not.toBe(true);
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect")).toHaveLength(1);
  const denied = await client.callTool({ name: "get_account", arguments: {} });
  expect(denied.isError).toBe(true);
  expect((denied._meta as Record<string, { code: string }>)["toolgate/decision"]!.code).toBe("default_deny");
});

test("tools/list is filtered for a 2026-07-28 client too", async () => {
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
});
