/**
 * Real processes: `toolgate serve` in front of the fixture server, whose every tools/call is a line
 * in FIXTURE_CALL_LOG before it answers (what reached the server is the ground truth). An upstream
 * that errors after acting, one that never answers, and one whose child dies after acting (one
 * child per HTTP session) must not let a runaway agent past the limit: the slot stays spent.
 * Each gateway reads its time from a clock file that starts 10 s into a minute, so every call of a
 * test falls in one fixed window whatever the wall clock says; the upstream timeout runs on that
 * clock too, and the test moves it once the call has reached the server.
 */
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { fixtureUpstreamCmd, INITIALIZE, REPO_ROOT, readJsonLines, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";
import { clockFile } from "../helpers/kommo-sim-process.js";
import { until } from "../helpers/until.js";
import { connectClient, startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

/** 10 s into a minute: a test's calls all fall in the window that starts at T0 − 10 s. */
const T0_MS = Date.UTC(2026, 2, 15, 12, 0, 10);

const running: Array<RawGateway | HttpGateway> = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((g) => g.stop()));
});

/** The `--upstream-cmd` of a bare upstream that records each call and then fails (fast to start). */
const actsThenFails = `"${process.execPath}" "${join(REPO_ROOT, "test/fixtures/servers/acts-then-fails.mjs")}"`;

function limited(tool: string, max: number): Record<string, unknown> {
  return { version: "1", default: "deny", tools: { [tool]: { limits: [{ counter: `${tool}_rate`, window: "minute", max, scope: "grant" }] } } };
}

const codeOf = (answer: Record<string, unknown>): string => {
  const result = answer.result as { _meta?: Record<string, { code?: string }> } | undefined;
  const error = answer.error as { code?: number; data?: Record<string, string> } | undefined;
  return result?._meta?.["toolgate/decision"]?.code ?? error?.data?.["toolgate/error"] ?? (error ? `rpc ${error.code}` : "allowed");
};

test("an upstream that acts and then answers a JSON-RPC error keeps the slot: 7 calls, max 3, 3 reach the server", async () => {
  const dir = tempDir("toolgate-keeps-slot-");
  const callLog = join(dir, "calls.jsonl");
  const clock = clockFile(dir, T0_MS);
  const gateway = startRawGateway(serveArgs(writeJson(dir, "policy.json", limited("stop_salesbot", 3)), actsThenFails), { FIXTURE_CALL_LOG: callLog, TOOLGATE_CLOCK_FILE: clock.path });
  running.push(gateway);
  gateway.send(INITIALIZE);
  await gateway.answerFor("init");
  const codes: string[] = [];
  for (let i = 0; i < 7; i++) {
    gateway.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "stop_salesbot", arguments: { bot_id: 7 } } }));
    codes.push(codeOf(await gateway.answerFor(i)));
  }
  expect(codes).toEqual(["rpc -32603", "rpc -32603", "rpc -32603", "rate_limited", "rate_limited", "rate_limited", "rate_limited"]);
  expect(readJsonLines(callLog).filter((l) => l.tool === "stop_salesbot")).toHaveLength(3);
});

test("an upstream that acts and never answers keeps the slot after the timeout: 5 calls, max 2, 2 reach the server", async () => {
  const dir = tempDir("toolgate-keeps-slot-");
  const callLog = join(dir, "calls.jsonl");
  const clock = clockFile(dir, T0_MS);
  const gateway = startRawGateway(serveArgs(writeJson(dir, "policy.json", limited("hang", 2)), fixtureUpstreamCmd(), ["--upstream-timeout-ms", "1500"]), { FIXTURE_CALL_LOG: callLog, TOOLGATE_CLOCK_FILE: clock.path });
  running.push(gateway);
  gateway.send(INITIALIZE);
  await gateway.answerFor("init");
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "list", method: "tools/list" }));
  await gateway.answerFor("list");
  const codes: string[] = [];
  const hung = () => readJsonLines(callLog).filter((l) => l.tool === "hang").length;
  for (let i = 0; i < 5; i++) {
    gateway.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "hang", arguments: {} } }));
    // A forwarded call waits for its timeout: once the server has it, move the clock past 1,500 ms.
    if (i < 2) {
      await until(`call ${i} to reach the server`, async () => (hung() > i ? true : undefined));
      clock.set(T0_MS + (i + 1) * 2_000);
    }
    codes.push(codeOf(await gateway.answerFor(i)));
  }
  expect(codes).toEqual(["upstream_timeout", "upstream_timeout", "rate_limited", "rate_limited", "rate_limited"]);
  expect(readJsonLines(callLog).filter((l) => l.tool === "hang")).toHaveLength(2);
});

test("an upstream child that dies after acting keeps the slot: 5 HTTP sessions, max 2, 2 reach the server", async () => {
  const dir = tempDir("toolgate-keeps-slot-");
  const callLog = join(dir, "calls.jsonl");
  const clock = clockFile(dir, T0_MS);
  const gateway = await startHttpGateway(["--policy", writeJson(dir, "policy.json", limited("stop_salesbot", 2)), "--upstream-cmd", actsThenFails], { FIXTURE_CALL_LOG: callLog, FIXTURE_FAIL: "exit", TOOLGATE_CLOCK_FILE: clock.path });
  running.push(gateway);
  const outcomes: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { client } = await connectClient(gateway.url, undefined, { name: `session-${i}` });
    try {
      const result = await client.callTool({ name: "stop_salesbot", arguments: { bot_id: 7 } });
      outcomes.push(codeOf({ result }));
    } catch (error) {
      outcomes.push(/went away|upstream_closed/.test(String(error)) ? "upstream_closed" : `unexpected: ${String(error)}`);
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  expect(outcomes, `gateway stderr:\n${gateway.stderr()}`).toEqual(["upstream_closed", "upstream_closed", "rate_limited", "rate_limited", "rate_limited"]);
  expect(readJsonLines(callLog).filter((l) => l.tool === "stop_salesbot")).toHaveLength(2);
});
