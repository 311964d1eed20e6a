/**
 * The agents' listener and the admin listener are two sockets: nothing of the console or of the
 * approvals API answers on the agents' side, whatever the path, cookie or token; the console
 * answers on the admin side only. Real `toolgate serve --listen … --admin-listen …` process.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { fixtureUpstreamCmd, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const TOKEN = "listeners-admin-token-5f3e2d1c";
const dir = tempDir("toolgate-console-listeners-");
let gateway: HttpGateway;
let adminUrl: string;

beforeAll(async () => {
  const policy = writeJson(dir, "policy.json", { version: "1", default: "allow" });
  const tokenFile = writeJson(dir, "admin-token", TOKEN);
  gateway = await startHttpGateway(["--policy", policy, "--upstream-cmd", fixtureUpstreamCmd(), "--admin-listen", "127.0.0.1:0", "--admin-token-file", tokenFile]);
  adminUrl = /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(gateway.stderr())![1]!;
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
});

test("the console answers on the admin listener and on no path of the agents' listener", async () => {
  expect((await fetch(`${adminUrl}/console/`)).status).toBe(200);
  const agents = new URL(gateway.url).origin;
  expect(agents).not.toBe(adminUrl);
  for (const path of ["/", "/console/", "/console/app.js", "/console/api/session", "/approvals", "/mcp/../console/"]) {
    const response = await fetch(`${agents}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    expect(response.status, path).not.toBe(200);
    expect(text, path).not.toMatch(/toolgate console|"approvals":|"csrf"/);
  }
  const signIn = await fetch(`${agents}/console/api/sign-in`, { method: "POST", headers: { "Content-Type": "application/json", Origin: agents }, body: JSON.stringify({ token: TOKEN }) });
  expect(signIn.status).not.toBe(200);
  expect(signIn.headers.get("set-cookie")).toBeNull();
}, 60_000);
