/**
 * The README's "Use your identity provider" works as written: the grants file it shows is the
 * fixture, the test provider and `toolgate serve` run on the README's ports with the README's
 * arguments, the metadata document and the 401 challenge are the ones shown, and a client
 * credentials token as the README's curl gets it opens a working MCP session.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { REPO_ROOT } from "../fixtures/servers/gateway-process.js";
import { CLIENTS, startTestProvider, type TestProvider } from "../helpers/oidc-test-provider.js";
import { STOP_ARGS } from "./bridge-agents.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const README = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const section = README.slice(README.indexOf("### Use your identity provider"), README.indexOf("### Approvals, shadow mode, hot reload"));
const FIXTURE = "fixtures/grants/idp-example.json";
const RESOURCE = "http://127.0.0.1:4818/mcp";
let provider: TestProvider;
let gateway: HttpGateway;

beforeAll(async () => {
  expect(section).toContain("npx tsx test/helpers/oidc-test-provider.ts 4817 http://127.0.0.1:4818/mcp");
  expect(section).toContain(`--listen 127.0.0.1:4818 --grants ${FIXTURE}`);
  expect(section).toContain('--upstream-cmd "node bin/toolgate.mjs kommo-sim"');
  provider = await startTestProvider([RESOURCE], 4817);
  gateway = await startHttpGateway(["--grants", FIXTURE, "--upstream-cmd", "node bin/toolgate.mjs kommo-sim"], {}, 30_000, 4818);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await provider?.stop();
});

test("the grants file the README shows is the fixture it runs", () => {
  expect(section).toContain("```json\n" + readFileSync(join(REPO_ROOT, FIXTURE), "utf8") + "```");
});

test("the metadata document and the challenge are the ones the README shows", async () => {
  const shown = /```json\n\s*(\{"resource"[\s\S]*?\})\n\s*```/.exec(section)?.[1];
  expect(shown).toBeDefined();
  expect(await (await fetch("http://127.0.0.1:4818/.well-known/oauth-protected-resource/mcp")).json()).toEqual(JSON.parse(shown!.replace(/\n\s*/g, "")));
  const res = await fetch(RESOURCE, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: "{}" });
  expect(res.status).toBe(401);
  const challenge = res.headers.get("www-authenticate")!;
  expect(section.replace(/\n\s*/g, " ")).toContain(`\`WWW-Authenticate: ${challenge}\``);
});

test("a sales-bot token got as the README's curl gets it stops a salesbot; a support-bot token is denied by its claims rule", async () => {
  const sales = (await connectClient(RESOURCE, await provider.clientToken(CLIENTS.sales, RESOURCE))).client;
  const allowed = (await sales.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult;
  expect(allowed.isError ?? false).toBe(false);
  await sales.close();
  const support = (await connectClient(RESOURCE, await provider.clientToken(CLIENTS.support, RESOURCE))).client;
  const denied = (await support.callTool({ name: "stop_salesbot", arguments: STOP_ARGS })) as CallToolResult;
  expect(denied.isError).toBe(true);
  expect((denied._meta as Record<string, Record<string, unknown>>)["toolgate/decision"]).toMatchObject({ code: "requirement_failed" });
  await support.close();
}, 60_000);
