/**
 * `toolgate serve` under faults, over real pipes with raw lines: malformed frames get their
 * JSON-RPC errors and the gateway keeps serving; an upstream that exits makes every pending call
 * fail and the gateway exit 1; an upstream that hangs makes the call fail after the timeout;
 * policy and usage errors stop the gateway before it starts anything.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, expect, test } from "vitest";
import { main } from "../../src/cli/main.js";
import { answerFor as expectedAnswerFor, rejectionCases } from "../unit/protocol/rejection-cases.js";
import { fixtureUpstreamCmd, INITIALIZE, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";

const dir = tempDir();
const allowAll = writeJson(dir, "allow.json", { version: "1", default: "allow" });
const running: RawGateway[] = [];
/** One gateway shared by the tests that check it keeps serving after a bad frame. */
let shared: RawGateway;

beforeAll(async () => {
  shared = await initialized(["--max-message-bytes", "1024"]);
  running.splice(running.indexOf(shared), 1);
});

afterAll(async () => {
  await shared?.stop();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

function start(extra: string[] = [], policyFile = allowAll): RawGateway {
  const gateway = startRawGateway(serveArgs(policyFile, fixtureUpstreamCmd(), extra));
  running.push(gateway);
  return gateway;
}

async function initialized(extra: string[] = []): Promise<RawGateway> {
  const gateway = start(extra);
  gateway.send(INITIALIZE);
  expect(await gateway.answerFor("init")).toMatchObject({ result: { serverInfo: { name: "toolgate-fixture" } } });
  gateway.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return gateway;
}

const call = (id: number | string, name: string, args: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

test("every malformed frame gets its JSON-RPC error and the gateway keeps serving", async () => {
  const gateway = shared;
  for (const c of rejectionCases) {
    gateway.send(c.line);
    const answer = await gateway.next();
    expect(answer, c.name).toEqual(expectedAnswerFor(c.line));
    expect((answer.error as { code: number }).code, c.name).toBe(c.expect.code);
  }
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "after", method: "ping" }));
  expect(await gateway.answerFor("after")).toEqual({ jsonrpc: "2.0", id: "after", result: {} });
});

test("a line past --max-message-bytes is refused as too large without being buffered, and serving goes on", async () => {
  const gateway = shared;
  gateway.send(call(1, "echo", { text: "x".repeat(200_000) }));
  expect(await gateway.next()).toEqual({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "message too large: a message may have at most 1024 bytes" } });
  gateway.send(call(2, "echo", { text: "small" }));
  expect(await gateway.answerFor(2)).toMatchObject({ result: { content: [{ type: "text", text: "small" }] } });
});

test("a response whose id answers nothing is dropped and logged, and serving goes on", async () => {
  const gateway = shared;
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: 4242, result: {} }));
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "p", method: "ping" }));
  expect(await gateway.next()).toEqual({ jsonrpc: "2.0", id: "p", result: {} });
  // stderr is a separate pipe: its line may arrive after the ping's answer on stdout.
  await expect.poll(() => gateway.stderr(), { timeout: 5_000 }).toContain('"event":"unknown_response_id"');
});

test("prototype-polluting argument keys get -32602 and never reach the upstream", async () => {
  const gateway = shared;
  gateway.send('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a","__proto__":{"admin":true}}}}');
  expect(await gateway.answerFor(9)).toMatchObject({ error: { code: -32602, message: expect.stringContaining("`arguments.__proto__` is refused") } });
});

test("when the upstream exits, the pending call is answered with an error and the gateway exits 1, saying why", async () => {
  const gateway = await initialized();
  gateway.send(call(1, "hang"));
  gateway.send(call(2, "crash", { code: 7 }));
  expect(await gateway.answerFor(1)).toMatchObject({ error: { code: -32603, data: { "toolgate/error": "upstream_closed" } } });
  expect(await gateway.answerFor(2)).toMatchObject({ error: { code: -32603, data: { "toolgate/error": "upstream_closed" } } });
  expect(await gateway.exit).toBe(1);
  expect(gateway.stderr()).toContain('"event":"upstream_closed"');
  expect(gateway.stderr()).toContain("the upstream command exited (code 7");
});

test("when the upstream hangs, the call fails after --upstream-timeout-ms and serving goes on", async () => {
  const gateway = start(["--upstream-timeout-ms", "300"]);
  // The upstream may take longer than 300 ms to start: a request that times out meanwhile is
  // answered with an error (that is the behaviour under test); retry until one gets through.
  let ready = false;
  for (let attempt = 0; attempt < 30 && !ready; attempt++) {
    gateway.send(INITIALIZE.replace('"id":"init"', `"id":"init-${attempt}"`));
    ready = "result" in (await gateway.answerFor(`init-${attempt}`));
  }
  expect(ready).toBe(true);
  gateway.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "list", method: "tools/list" }));
  expect(await gateway.answerFor("list")).toHaveProperty("result.tools");
  gateway.send(call(1, "hang"));
  expect(await gateway.answerFor(1)).toMatchObject({ error: { code: -32603, message: "the upstream MCP server did not answer `tools/call` within 300 ms", data: { "toolgate/error": "upstream_timeout" } } });
  gateway.send(call(2, "echo", { text: "still here" }));
  expect(await gateway.answerFor(2)).toMatchObject({ result: { content: [{ type: "text", text: "still here" }] } });
});

test("an upstream command that cannot run makes the gateway exit 1 with the reason", async () => {
  const gateway = startRawGateway(serveArgs(allowAll, "/no/such/binary --flag"));
  running.push(gateway);
  expect(await gateway.exit).toBe(1);
  expect(gateway.stderr()).toContain("the upstream command could not run");
});

test("an invalid policy is reported with file and JSON path, exit 1, and nothing is started", async () => {
  const bad = writeJson(dir, "bad.json", { version: "1", default: "maybe", tools: { x: { limits: [{ counter: "c", window: "fortnight", max: 1 }] } } });
  const marker = join(dir, "upstream-ran");
  const gateway = startRawGateway(serveArgs(bad, `"${process.execPath}" -e "require('fs').writeFileSync('${marker}','')"`));
  running.push(gateway);
  expect(await gateway.exit).toBe(1);
  expect(gateway.stderr()).toContain(`${bad}: default:`);
  expect(gateway.stderr()).toContain(`${bad}: tools.x.limits[0].window:`);
  expect(existsSync(marker)).toBe(false);
});

test("usage errors exit 2 and say what was expected", async () => {
  const cases: Array<[string[], string]> = [
    [["serve", "--policy", allowAll], "give exactly one of `--upstream-cmd \"CMD ARGS\"` and `--upstream-url URL`"],
    [["serve", "--upstream-cmd", "x"], "flag `--policy FILE` (or `--config FILE`) is required"],
    [["serve", "--policy", allowAll, "--upstream-cmd", "x", "--store-fail", "sometimes"], "flag `--store-fail`: expected `closed` or `open`, found `sometimes`"],
    [["serve", "--policy", allowAll, "--upstream-url", "ftp://x"], "flag `--upstream-url`: expected an http(s) URL, found `ftp://x`"],
    [["serve", "--policy", allowAll, "--upstream-cmd", "x", "--upstream-timeout-ms", "0"], "flag `--upstream-timeout-ms`: expected a whole number ≥ 1, found `0`"],
    [["serve", "--policy", allowAll, "--upstream-cmd", "node \"unterminated"], "flag `--upstream-cmd`: unterminated double quote in `node \"unterminated`"],
  ];
  for (const [args, message] of cases) {
    const stderr = new PassThrough();
    const io = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), env: {}, cwd: dir };
    expect(await main(args, io), args.join(" ")).toBe(2);
    expect(String(stderr.read())).toBe(`toolgate serve: ${message}\n`);
  }
});
