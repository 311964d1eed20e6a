/**
 * The bench's floors must relay faithfully, or the ratios against them mean nothing: every line
 * parsed and re-serialised, answers matched to their requests, one upstream per HTTP session.
 * The upstream here is a tiny echo server on real pipes; the HTTP relay listens on a real socket.
 */
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { expect, test } from "vitest";
import { startHttpRelay } from "../../../src/bench/http-relay.js";
import { readLines, relayLine } from "../../../src/bench/stdio-relay.js";
import { expectedDenials, recordedLine, REPLAY_CAP_PER_MINUTE } from "../../../src/bench/replay-bench.js";
import { RecordedCallSchema } from "../../../src/harness/replay/recording-file.js";

/** Answers every request line with `{result: {echo: method, pid}}`. */
const ECHO_UPSTREAM = `let r="";process.stdin.setEncoding("utf8");process.stdin.on("data",c=>{r+=c;let i;while((i=r.indexOf("\\n"))>=0){const m=JSON.parse(r.slice(0,i));r=r.slice(i+1);if(m.id!==undefined&&m.method)process.stdout.write(JSON.stringify({jsonrpc:"2.0",id:m.id,result:{echo:m.method,pid:process.pid}})+"\\n")}})`;

test("lines split across chunks come out whole, and blank lines are skipped", async () => {
  const input = new PassThrough();
  const lines: string[] = [];
  readLines(input, (l) => lines.push(l));
  input.write('{"a":');
  input.write('1}\n\n{"b":2}\n{"c"');
  input.write(":3}\n");
  await new Promise((r) => setImmediate(r));
  expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
});

test("the stdio relay re-serialises what it parses and drops a line that is not JSON", () => {
  const out = new PassThrough();
  relayLine('{ "jsonrpc" : "2.0", "id" : 1 }', out);
  relayLine("not json", out);
  expect(out.read()?.toString()).toBe('{"jsonrpc":"2.0","id":1}\n');
});

function post(port: number, body: object, session?: string): Promise<{ status: number; session: string | undefined; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers: { "content-type": "application/json", ...(session ? { "mcp-session-id": session } : {}) } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, session: res.headers["mcp-session-id"] as string | undefined, body: text }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

test("the HTTP relay opens one upstream per session, answers requests with JSON and notifications with 202", { timeout: 30_000 }, async () => {
  const server = await startHttpRelay(0, process.execPath, ["-e", ECHO_UPSTREAM]);
  const { port } = server.address() as AddressInfo;
  try {
    const a = await post(port, { jsonrpc: "2.0", id: 0, method: "initialize", params: {} });
    expect(a.status).toBe(200);
    expect(a.session).toMatch(/^[0-9a-f-]{36}$/);
    const b = await post(port, { jsonrpc: "2.0", id: 0, method: "initialize", params: {} });
    expect(b.session).not.toBe(a.session);
    expect(JSON.parse(b.body).result.pid).not.toBe(JSON.parse(a.body).result.pid);

    expect((await post(port, { jsonrpc: "2.0", method: "notifications/initialized" }, a.session)).status).toBe(202);
    const calls = await Promise.all([1, 2, 3].map((id) => post(port, { jsonrpc: "2.0", id, method: "tools/call", params: {} }, a.session)));
    expect(calls.map((c) => JSON.parse(c.body))).toEqual([1, 2, 3].map((id) => ({ jsonrpc: "2.0", id, result: { echo: "tools/call", pid: JSON.parse(a.body).result.pid } })));
    expect((await post(port, { jsonrpc: "2.0", id: 9, method: "tools/list" }, "no-such-session")).status).toBe(404);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("the replay bench's synthetic lines are valid recorded calls, and its expected changes follow the cap per minute", () => {
  const parsed = RecordedCallSchema.safeParse(JSON.parse(recordedLine(123_456)));
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  expect(parsed.data).toMatchObject({ time: "2026-01-01T00:02:03.456Z", session: "s6", args: { bot_id: 123_456 } });
  expect(expectedDenials(REPLAY_CAP_PER_MINUTE)).toBe(0);
  expect(expectedDenials(60_000)).toBe(60_000 - REPLAY_CAP_PER_MINUTE);
  expect(expectedDenials(1_000_000)).toBe(16 * 10_000 + (40_000 - Math.min(40_000, REPLAY_CAP_PER_MINUTE)));
});
