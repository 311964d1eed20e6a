/**
 * `toolgate init` reaches the servers `serve` reaches: a 2026-07-28-only server over stdio and over
 * HTTP (with the credentials header it needs), and a 2025-era one; a server it cannot reach is one
 * line on stderr with exit code 1, never a stack trace.
 */
import { createServer, request, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { UsageError } from "../../src/cli/args.js";
import { run as init } from "../../src/cli/init.js";
import { startKommoSimHttp, tempDir, TOOLGATE_BIN } from "../helpers/kommo-sim-process.js";

const temp = tempDir("toolgate-init-");
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => (out += d));
  stderr.on("data", (d) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: process.env, cwd: temp }, out: () => out, err: () => err };
}

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
