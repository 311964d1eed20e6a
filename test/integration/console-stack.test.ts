/**
 * The console in front of a whole stack (`serve --config examples/stack/stack.json`): every
 * upstream server with its state, probed on its own connection, each tool's state under its own
 * server's policy and counters keyed per server; the editor offers each server's policy file.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { REPO_ROOT, TOOLGATE_BIN, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";

const TOKEN = "stack-console-token-1a2b3c4d5e";
const dir = tempDir("toolgate-console-stack-");
let child: ReturnType<typeof spawn>;
let adminUrl: string;
let cookie = "";

beforeAll(async () => {
  const tokenFile = writeJson(dir, "admin-token", TOKEN);
  child = spawn(process.execPath, [TOOLGATE_BIN, "serve", "--config", "examples/stack/stack.json", "--admin-listen", "127.0.0.1:0", "--admin-token-file", tokenFile], { cwd: REPO_ROOT, stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /"event":"started"[\s\S]*/.test(stderr) ? /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr) : null;
    if (m) {
      adminUrl = m[1]!;
      break;
    }
    if (Date.now() > deadline) throw new Error(`the stack did not start; stderr:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const signIn = await fetch(`${adminUrl}/console/api/sign-in`, { method: "POST", headers: { "Content-Type": "application/json", Origin: adminUrl }, body: JSON.stringify({ token: TOKEN }) });
  expect(signIn.status).toBe(200);
  cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.stdin!.end();
    await new Promise((r) => child.once("exit", r));
  }
});

test("every server of the stack is shown with its state, its tools' states under its own policy and per-server counter keys", async () => {
  const answer = (await (await fetch(`${adminUrl}/console/api/servers`, { headers: { Cookie: cookie } })).json()) as { servers: Array<{ name: string; label: string; state: string; tools: Array<{ name: string; state: string; counters: Array<{ key?: string }> }> }> };
  expect(answer.servers.map((s) => [s.label, s.state])).toEqual([["kommo", "up"], ["memory", "up"], ["files", "up"]]);
  const kommo = answer.servers[0]!;
  const stop = kommo.tools.find((t) => t.name === "stop_salesbot")!;
  expect(stop.state).toBe("rate_limited");
  expect(stop.counters.map((c) => c.key)).toContain("grant:stdio|kommo/stop_salesbot_rate");
  expect(kommo.tools.find((t) => t.name === "get_account")?.state).toBe("deny"); // kommo.json's default deny
  expect(answer.servers[1]!.tools.length).toBeGreaterThan(3);
  const policy = (await (await fetch(`${adminUrl}/console/api/policy`, { headers: { Cookie: cookie } })).json()) as { files: Array<{ file: string }> };
  expect(policy.files.map((f) => f.file.replace(/^.*examples\/stack\//, ""))).toEqual(["kommo.json", "memory.json", "files.json"]);
}, 60_000);
