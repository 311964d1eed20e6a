/**
 * 2026-07-28 over the HTTP front: an SDK 2.x client pinned to the modern revision (no session,
 * `server/discover`, `Mcp-Method`/`Mcp-Name` headers) → `toolgate serve --listen` → `toolgate
 * kommo-sim --protocol 2026-07-28` over stdio. Stateless requests share one gateway per grant;
 * its upstream answered the era probe, so requests pass through and are governed.
 */
import { join } from "node:path";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { kommoSimCommand, readEffectsFile } from "../helpers/kommo-sim-process.js";
import { REPO_ROOT, tempDir } from "../fixtures/servers/gateway-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const dir = tempDir("toolgate-http-modern-");
const effectsFile = join(dir, "effects.jsonl");
let gateway: HttpGateway;
const clients: ModernClient[] = [];

beforeAll(async () => {
  const sim = kommoSimCommand(["--protocol", "2026-07-28", "--kommo-rps", "0", "--effects-file", effectsFile]);
  const upstreamCmd = [sim.command, ...sim.args].map((w) => `"${w}"`).join(" ");
  gateway = await startHttpGateway(["--policy", join(REPO_ROOT, "fixtures/policies/valid/seed.json"), "--upstream-cmd", upstreamCmd]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await gateway?.stop();
});

async function modernClient(): Promise<ModernClient> {
  const client = new ModernClient({ name: "modern-over-http", version: "1.0.0" }, { versionNegotiation: { mode: { pin: "2026-07-28" } } });
  await client.connect(new ModernHttpTransport(new URL(gateway.url)));
  clients.push(client);
  return client;
}

test("a 2026-07-28 client discovers the upstream through the gateway and its calls are governed", async () => {
  const client = await modernClient();
  expect(client.getServerVersion()).toMatchObject({ name: "kommo-mcp-server", version: "3.0.0" });
  expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
  const ok = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 3, entity_id: 103, entity_type: "leads" } });
  expect(ok.isError).not.toBe(true);
  const denied = await client.callTool({ name: "get_account", arguments: {} });
  expect(denied.isError).toBe(true);
  expect((denied._meta as Record<string, { code: string }>)["toolgate/decision"]!.code).toBe("default_deny");
  expect(readEffectsFile(effectsFile).filter((l) => l.kind === "effect")).toHaveLength(1);
});

test("two stateless clients with the same request ids do not receive each other's answers", async () => {
  const [a, b] = [await modernClient(), await modernClient()];
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).listTools()));
  for (const r of results) expect(r.tools.map((t) => t.name)).toEqual(["stop_salesbot"]);
  expect(((await (await fetch(`${gateway.base}/health`)).json()) as { sessions: number }).sessions).toBe(0);
});
