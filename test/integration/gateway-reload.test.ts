/**
 * Hot reload under load, in process: 100 calls held by the upstream while the policy file is
 * replaced. None is dropped, none counted twice; the new limit applies to the next calls with the
 * counters kept; an invalid file is rejected and the policy in force stays.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { settle } from "../../src/core/virtual-clock.js";
import { watchPolicyFile, type InvalidPolicy } from "../../src/gateway/reload.js";
import type { JsonRpcRequest, JsonRpcResponse } from "../../src/protocol/messages.js";
import { createFixture, decisionOf, policyOf, TOOLS } from "../unit/gateway/gateway-fixture.js";

const policy = (max: number) => ({
  version: "1",
  default: "deny",
  tools: { echo: {}, stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "hour", max, scope: "grant" }] } },
});
const stop = { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } };
const HOUR_MS = 3_600_000;

const dirs: string[] = [];
const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("replacing the policy while 100 calls are in flight drops none, counts each once, and keeps the counters", async () => {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-reload-it-"));
  dirs.push(dir);
  const file = join(dir, "policy.json");
  writeFileSync(file, JSON.stringify(policy(150)));
  let hold = true;
  const f = await createFixture({ policy: policy(150), answer: (r) => (r.method === "tools/call" && hold ? "hold" : undefined) });
  const invalid: InvalidPolicy[] = [];
  const watcher = watchPolicyFile(file, { clock: f.clock, currentVersion: policyOf(policy(150)).version, onPolicy: (p) => f.policies.set(p), onInvalid: (i) => invalid.push(i) });
  closers.push(() => watcher.close());
  await f.call("list", "tools/list");

  // 100 calls: half sent before the file changes, half while the reload reads it.
  for (let i = 0; i < 50; i++) void f.client.send({ jsonrpc: "2.0", id: i, method: "tools/call", params: stop });
  writeFileSync(file, JSON.stringify(policy(120)));
  const reloading = watcher.reload();
  for (let i = 50; i < 100; i++) void f.client.send({ jsonrpc: "2.0", id: i, method: "tools/call", params: stop });
  expect((await reloading).kind).toBe("applied");
  await settle();
  const held = f.upstreamCalls();
  expect(held).toHaveLength(100);
  expect(await f.store.peek("grant:alice|stop_salesbot_rate", HOUR_MS)).toMatchObject({ used: 100 });

  // The upstream answers every held call: each caller gets its own answer, the counter is unchanged.
  for (const request of held) await f.server.send({ jsonrpc: "2.0", id: request.id, result: { content: [{ type: "text", text: `done ${String(request.id)}` }] } } as JsonRpcResponse);
  await settle();
  const answers = Array.from({ length: 100 }, (_, i) => f.answerFor(i));
  expect(answers.every((a) => a !== undefined && "result" in a && decisionOf(a) === undefined)).toBe(true);
  expect(f.audit.filter((r) => r.tool === "stop_salesbot" && r.decision === "allow" && r.outcome === "ok")).toHaveLength(100);
  expect(await f.store.peek("grant:alice|stop_salesbot_rate", HOUR_MS)).toMatchObject({ used: 100 });

  // The new limit (120) applies on top of the kept count: 20 more pass, then rate_limited.
  hold = false;
  const more: unknown[] = [];
  for (let i = 100; i < 130; i++) more.push(await f.call(i, "tools/call", stop));
  expect(more.filter((a) => decisionOf(a as never) === undefined)).toHaveLength(20);
  const denied = more.filter((a) => decisionOf(a as never) !== undefined).map((a) => decisionOf(a as never));
  expect(denied).toHaveLength(10);
  expect(denied.every((d) => d!.code === "rate_limited" && d!.max === 120 && d!.remaining === 0)).toBe(true);
  expect(await f.store.peek("grant:alice|stop_salesbot_rate", HOUR_MS)).toMatchObject({ used: 120 });
  expect(f.upstreamCalls()).toHaveLength(120);

  // An invalid file is rejected with its path; the policy in force (max 120) stays, and so do the counters.
  writeFileSync(file, JSON.stringify({ ...policy(5), tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "hour", max: "five" }] } } }));
  expect((await watcher.reload()).kind).toBe("invalid");
  expect(invalid).toHaveLength(1);
  expect(invalid[0]!.message).toContain(`${file}: tools.stop_salesbot.limits[0].max: `);
  expect(decisionOf(await f.call(200, "tools/call", stop))).toMatchObject({ code: "rate_limited", max: 120 });
  await f.clock.advanceBy(HOUR_MS);
  expect(decisionOf(await f.call(201, "tools/call", stop))).toBeUndefined();
  expect(decisionOf(await f.call(202, "tools/call", { name: "echo", arguments: { text: "still allowed" } }))).toBeUndefined();
});

test("calls being decided when the policy changes finish on the policy they started with", async () => {
  let holdList = true;
  const f = await createFixture({ policy: policy(1), answer: (r) => (r.method === "tools/list" && holdList ? "hold" : undefined) });
  // No tools/list yet: the first call waits for the upstream's schemas while the policy is replaced.
  await f.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: stop });
  const list = f.toUpstream.find((m): m is JsonRpcRequest => "method" in m && m.method === "tools/list")!;
  expect(list).toBeDefined();
  f.policies.set(policyOf({ version: "1", default: "deny", tools: {} }));
  holdList = false;
  await f.server.send({ jsonrpc: "2.0", id: list.id, result: { tools: TOOLS } } as JsonRpcResponse);
  await settle();
  expect(f.answerFor(1)).toBeDefined();
  expect(decisionOf(f.answerFor(1))).toBeUndefined();
  expect(decisionOf(await f.call(2, "tools/call", stop))).toMatchObject({ code: "default_deny" });
  expect(f.upstreamCalls()).toHaveLength(1);
});
