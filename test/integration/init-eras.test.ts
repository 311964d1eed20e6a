/**
 * `toolgate init` reaches the servers `serve` reaches: a 2026-07-28-only server over stdio and over
 * HTTP (with the credentials header it needs), and a 2025-era one; a server it cannot reach is one
 * line on stderr with exit code 1, never a stack trace.
 */
import { createServer, request, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { UsageError } from "../../src/cli/args.js";
import { run as init } from "../../src/cli/init.js";
import { startKommoSimHttp, tempDir, TOOLGATE_BIN } from "../helpers/kommo-sim-process.js";
import { capturedIo } from "../helpers/captured-io.js";

const temp = tempDir("toolgate-init-");
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const io = () => capturedIo(temp, process.env);

const sim = (args: string): string => `${process.execPath} ${TOOLGATE_BIN} kommo-sim ${args}`.trim();

function toolsIn(file: string): string[] {
  return Object.keys(JSON.parse(readFileSync(file, "utf8")).tools);
}

test("init lists a 2026-07-28-only stdio server and classifies all 23 tools", async () => {
  const t = io();
  const out = join(temp, "modern-stdio.json");
  expect(await init(["--upstream-cmd", sim("--protocol 2026-07-28"), "--out", out], t.io)).toBe(0);
  expect(toolsIn(out)).toHaveLength(23);
  expect(t.err()).toContain("23 tools classified");
}, 60_000);

test("init lists a 2025-era stdio server", async () => {
  const t = io();
  const out = join(temp, "legacy-stdio.json");
  expect(await init(["--upstream-cmd", sim(""), "--out", out], t.io)).toBe(0);
  expect(toolsIn(out)).toContain("stop_salesbot");
}, 60_000);

/** A pass-through HTTP proxy in front of `target` that remembers the headers of every request. */
async function recordingProxy(target: URL): Promise<{ url: string; seen: Array<Record<string, string | string[] | undefined>>; server: Server }> {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname}`, seen, server };
}

test("init lists a 2026-07-28-only HTTP server and sends every --upstream-header with each request", async () => {
  const upstream = await startKommoSimHttp(["--protocol", "2026-07-28"]);
  const proxy = await recordingProxy(new URL(upstream.url));
  try {
    const t = io();
    const out = join(temp, "modern-http.json");
    expect(await init(["--upstream-url", proxy.url, "--upstream-header", "X-Api-Key: k-123", "--out", out], t.io)).toBe(0);
    expect(toolsIn(out)).toHaveLength(23);
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const headers of proxy.seen) expect(headers["x-api-key"]).toBe("k-123");
  } finally {
    proxy.server.close();
    await upstream.stop();
  }
}, 60_000);

test("an unreachable server is one line on stderr and exit code 1", async () => {
  const closed = createServer();
  closed.listen(0, "127.0.0.1");
  await once(closed, "listening");
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  const t = io();
  expect(await init(["--upstream-url", `http://127.0.0.1:${port}/mcp`], t.io)).toBe(1);
  const lines = t.err().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^toolgate init: could not list the tools of \`http://127\\.0\\.0\\.1:${port}/mcp\`: \\S`));
  expect(t.err()).not.toMatch(/\n\s+at /);
  expect(t.out()).toBe("");
}, 60_000);

test("bad header flags are usage errors naming the flag", async () => {
  await expect(init(["--upstream-cmd", sim(""), "--upstream-header", "X-Api-Key: k"], io().io)).rejects.toThrow(new UsageError("flag `--upstream-header` applies to `--upstream-url`"));
  await expect(init(["--upstream-url", "http://127.0.0.1:1/mcp", "--upstream-header", "no colon here"], io().io)).rejects.toThrow(/expected `Name: value`/);
  await expect(init(["--upstream-url", "http://127.0.0.1:1/mcp", "--upstream-header", "Mcp-Session-Id: x"], io().io)).rejects.toThrow(/set by the gateway itself/);
  await expect(init(["--upstream-url", "ftp://example/mcp"], io().io)).rejects.toThrow(/expected an http\(s\) URL/);
});

test("init --config writes a starter policy for every server of a gateway config, leaving existing policies alone", async () => {
  const stack = tempDir("toolgate-init-stack-");
  const { writeFileSync: write } = await import("node:fs");
  write(join(stack, "memory.json"), '{"version":"1","default":"allow"}\n');
  write(
    join(stack, "stack.json"),
    JSON.stringify({
      version: "1",
      servers: {
        kommo: { command: process.execPath, args: [TOOLGATE_BIN, "kommo-sim", "--protocol", "2026-07-28"], policy: "kommo.json" },
        memory: { command: process.execPath, args: ["node_modules/@modelcontextprotocol/server-memory/dist/index.js"], cwd: join(TOOLGATE_BIN, "../.."), policy: "memory.json" },
      },
    }),
  );
  const t = io();
  expect(await init(["--config", join(stack, "stack.json")], t.io)).toBe(0);
  expect(toolsIn(join(stack, "kommo.json"))).toHaveLength(23);
  expect(readFileSync(join(stack, "memory.json"), "utf8")).toBe('{"version":"1","default":"allow"}\n');
  expect(t.err()).toBe("kommo: 23 tools classified; wrote kommo.json\nmemory: memory.json exists, left as it is\n");
  await expect(init(["--config", join(stack, "stack.json"), "--out", "x.json"], io().io)).rejects.toThrow("flag `--out` cannot be combined with `--config FILE`");
  const bad = io();
  write(join(stack, "bad.json"), JSON.stringify({ version: "1", servers: { kommo: { policy: "k.json" } } }));
  expect(await init(["--config", join(stack, "bad.json")], bad.io)).toBe(1);
  expect(bad.err()).toContain(`${join(stack, "bad.json")}: servers.kommo: found an object, expected a server with \`command\``);
  rmSync(stack, { recursive: true, force: true });
}, 60_000);
