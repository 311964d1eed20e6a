/**
 * An agent that closes stdin still gets the answers to what it sent: `toolgate serve` drains the
 * requests in flight (each bounded by its own deadline), writes their answers, then exits 0.
 */
import { afterEach, expect, test } from "vitest";
import { fixtureUpstreamCmd, INITIALIZE, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";

const running: RawGateway[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
});

const POLICY = { version: "1", default: "allow", tools: {} };

test("`echo <initialize> | toolgate serve` prints the initialize answer, then exits 0", async () => {
  const gateway = startRawGateway(serveArgs(writeJson(tempDir(), "policy.json", POLICY), fixtureUpstreamCmd()));
  running.push(gateway);
  gateway.child.stdin!.end(`${INITIALIZE}\n`);
  expect(await gateway.answerFor("init")).toMatchObject({ result: { serverInfo: { name: "toolgate-fixture" } } });
  expect(await gateway.exit).toBe(0);
});

test("calls in flight when stdin closes are answered before exit: a fast one with its result, a hanging one with upstream_timeout", async () => {
  const gateway = startRawGateway(serveArgs(writeJson(tempDir(), "policy.json", POLICY), fixtureUpstreamCmd(), ["--upstream-timeout-ms", "3000"]));
  running.push(gateway);
  gateway.send(INITIALIZE);
  await gateway.answerFor("init");
  gateway.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  // The tool schemas first, so the calls below need nothing but their own answers within the
  // upstream timeout (on a loaded machine the fixture's first tools/list can take seconds).
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "list", method: "tools/list" }));
  expect(await gateway.answerFor("list")).toMatchObject({ result: { tools: expect.any(Array) } });
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "hang", method: "tools/call", params: { name: "hang", arguments: {} } }));
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "echo", method: "tools/call", params: { name: "echo", arguments: { text: "still here" } } }));
  gateway.child.stdin!.end();
  expect(await gateway.answerFor("echo")).toMatchObject({ result: { content: [{ type: "text", text: "still here" }] } });
  expect(await gateway.answerFor("hang")).toMatchObject({ error: { data: { "toolgate/error": "upstream_timeout" } } });
  expect(await gateway.exit).toBe(0);
  expect(gateway.stderr()).toContain('"event":"draining"');
});
