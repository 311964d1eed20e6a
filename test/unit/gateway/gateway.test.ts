import { expect, test } from "vitest";
import { GatewayError } from "../../../src/core/errors.js";
import { EraBridge } from "../../../src/gateway/bridge/era-bridge.js";
import { InFlightBudget } from "../../../src/gateway/in-flight-budget.js";
import type { JsonRpcRequest } from "../../../src/protocol/messages.js";
import type { CounterStore } from "../../../src/stores/counter-store.js";
import { createFixture, decisionOf, policyOf, POLICY, TOOLS } from "./gateway-fixture.js";

const stop = { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } };

test("a forwarded call carries a gateway-owned id upstream and its answer returns under the caller's id", async () => {
  const f = await createFixture();
  const answer = await f.call("caller-7", "tools/call", { name: "echo", arguments: { text: "hi" } });
  const [forwarded] = f.upstreamCalls();
  expect(typeof forwarded!.id).toBe("number");
  expect(forwarded!.params).toEqual({ name: "echo", arguments: { text: "hi" } });
  expect(answer).toEqual({ jsonrpc: "2.0", id: "caller-7", result: { content: [{ type: "text", text: "ran echo" }] } });
});

test("a call that arrives before the schemas are known makes the gateway list every page of tools first", async () => {
  const f = await createFixture({
    answer: (r) => {
      if (r.method !== "tools/list") return undefined;
      return r.params?.cursor === undefined ? { result: { tools: TOOLS.slice(0, 1), nextCursor: "p2" } } : { result: { tools: TOOLS.slice(1) } };
    },
  });
  await f.call(1, "tools/call", stop);
  const lists = f.toUpstream.filter((m) => "method" in m && m.method === "tools/list") as JsonRpcRequest[];
  expect(lists.map((l) => l.params)).toEqual([{}, { cursor: "p2" }]);
  expect(f.upstreamCalls()).toHaveLength(1);
  expect(f.toClient.filter((m) => "id" in m && m.id !== 1)).toEqual([]); // the gateway's own list stays private
  await f.call(2, "tools/call", stop);
  expect(f.toUpstream.filter((m) => "method" in m && m.method === "tools/list")).toHaveLength(2);
});

test("the gateway's own tools/list for a 2026-07-28 caller carries the caller's era fields", async () => {
  const f = await createFixture();
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "a", version: "1" }, progressToken: 3 };
  await f.call(1, "tools/call", { ...stop, _meta: meta });
  const list = f.toUpstream.find((m) => "method" in m && m.method === "tools/list") as JsonRpcRequest;
  expect(list.params).toEqual({ _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "a", version: "1" } } });
});

test("tools/list drops hidden and default-denied tools and keeps explicitly denied ones", async () => {
  const f = await createFixture();
  const answer = await f.call(1, "tools/list");
  const names = ((answer as { result: { tools: Array<{ name: string }> } }).result.tools ?? []).map((t) => t.name);
  expect(names).toEqual(["echo", "stop_salesbot", "dangerous"]);
});

test("invalid arguments are denied with ajv's messages and never reach the upstream", async () => {
  const f = await createFixture();
  await f.call(0, "tools/list");
  const answer = await f.call(1, "tools/call", { name: "stop_salesbot", arguments: { bot_id: "x" } });
  expect(decisionOf(answer)).toMatchObject({ code: "invalid_arguments", tool: "stop_salesbot" });
  const text = ((answer as { result: { content: Array<{ text: string }> } }).result.content[0]!.text);
  expect(text).toContain("data must have required property 'entity_id'");
  expect(text).toContain("data/bot_id must be integer");
  expect(f.upstreamCalls()).toEqual([]);
});

test("hidden and unknown tools are denied without asking the upstream anything", async () => {
  const f = await createFixture();
  expect(decisionOf(await f.call(1, "tools/call", { name: "delete_everything" }))).toMatchObject({ code: "hidden", rule: "(hidden)" });
  expect(decisionOf(await f.call(2, "tools/call", { name: "Echo", arguments: { text: "x" } }))).toMatchObject({ code: "default_deny", rule: "(default deny)" });
  expect(f.toUpstream).toEqual([]);
});

test("the third call in a minute is rate limited with the time left in the window", async () => {
  const f = await createFixture();
  await f.clock.advanceBy(37_000);
  await f.call(1, "tools/call", stop);
  await f.call(2, "tools/call", stop);
  const third = await f.call(3, "tools/call", stop);
  expect(decisionOf(third)).toMatchObject({ code: "rate_limited", counter: "stop_salesbot_rate", max: 2, remaining: 0, retryAfterMs: 23_000, resetAt: "2026-01-01T00:01:00.000Z" });
  expect(f.upstreamCalls()).toHaveLength(2);
  await f.clock.advanceBy(23_000);
  expect(decisionOf(await f.call(4, "tools/call", stop))).toBeUndefined();
});

test("a JSON-RPC error that says the call was not run (-32601, -32602) gives the slot back; any other error and a tool error keep it", async () => {
  let answer: Record<string, unknown> = {};
  const f = await createFixture({ answer: (r) => (r.method !== "tools/call" ? undefined : (answer as never)) });
  const key = "grant:alice|stop_salesbot_rate";
  const used = async (): Promise<number> => (await f.store.peek(key, 60_000)).used;
  answer = { error: { code: -32602, message: "Unknown tool: stop_salesbot" } };
  expect(await f.call(1, "tools/call", stop)).toMatchObject({ id: 1, error: { code: -32602 } });
  expect(await used()).toBe(0);
  answer = { error: { code: -32601, message: "Method not found" } };
  await f.call(2, "tools/call", stop);
  expect(await used()).toBe(0);
  answer = { error: { code: -32050, message: "boom after stopping the bot" } };
  expect(await f.call(3, "tools/call", stop)).toMatchObject({ id: 3, error: { code: -32050, message: "boom after stopping the bot" } });
  expect(await used()).toBe(1);
  answer = { result: { content: [], isError: true } };
  await f.call(4, "tools/call", stop);
  expect(await used()).toBe(2);
  // max 2: the slots kept by the error and the tool error are spent
  answer = { error: { code: -32603, message: "internal error" } };
  expect((await f.call(5, "tools/call", stop)).result._meta["toolgate/decision"]).toMatchObject({ code: "rate_limited" });
  expect(f.audit.map((a) => a.outcome)).toEqual(["rpc_error", "rpc_error", "rpc_error", "tool_error", "not_forwarded"]);
});

test("a call the upstream never answers gets an error after the timeout, is cancelled upstream and keeps its slot (the server may have acted)", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
  await f.call(1, "tools/call", stop);
  expect(f.answerFor(1)).toBeUndefined();
  await f.clock.advanceBy(4_999);
  expect(f.answerFor(1)).toBeUndefined();
  await f.clock.advanceBy(1);
  expect(f.answerFor(1)).toMatchObject({ error: { code: -32603, data: { "toolgate/error": "upstream_timeout" } } });
  const forwardedId = f.upstreamCalls()[0]!.id;
  expect(f.toUpstream).toContainEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: forwardedId, reason: "toolgate: upstream timeout" } });
  expect((await f.store.peek("grant:alice|stop_salesbot_rate", 60_000)).used).toBe(1);
  expect(f.audit.at(-1)).toMatchObject({ outcome: "timeout", decision: "allow" });
});

test("progress from the upstream keeps a long call alive", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
  await f.call(1, "tools/call", { ...stop, _meta: { progressToken: "tok" } });
  await f.clock.advanceBy(4_000);
  await f.server.send({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 1 } });
  await f.clock.advanceBy(4_000);
  expect(f.answerFor(1)).toBeUndefined();
  expect(f.toClient).toContainEqual({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 1 } });
  await f.clock.advanceBy(1_000);
  expect(f.answerFor(1)).toMatchObject({ error: { data: { "toolgate/error": "upstream_timeout" } } });
});

test("progress cannot keep a call open forever: the wait ends at ten upstream timeouts", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
  const t0 = f.clock.nowMs();
  await f.call(1, "tools/call", { ...stop, _meta: { progressToken: "tok" } });
  let answeredAfterMs: number | undefined;
  for (let second = 1; second <= 70 && answeredAfterMs === undefined; second++) {
    await f.clock.advanceBy(1_000);
    if (f.answerFor(1) !== undefined) answeredAfterMs = f.clock.nowMs() - t0;
    else if (second % 4 === 0) await f.server.send({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: second } });
  }
  // The fixture's upstream timeout is 5 s: progress every 4 s extends the wait up to 50 s, no further.
  expect(answeredAfterMs).toBe(50_000);
  expect(f.answerFor(1)).toMatchObject({ error: { data: { "toolgate/error": "upstream_timeout" } } });
});

test("a request reusing the id of a request still in flight is refused, and the first one is still answered", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
  await f.call(1, "tools/call", stop);
  await f.call(1, "ping");
  expect(f.toClient).toContainEqual({ jsonrpc: "2.0", id: 1, error: { code: -32600, message: "invalid request: id 1 is already used by a request in flight" } });
  expect(f.toUpstream.filter((m) => "method" in m && m.method === "ping")).toEqual([]);
  await f.clock.advanceBy(5_000);
  expect(f.toClient.filter((m) => "id" in m && m.id === 1).at(-1)).toMatchObject({ error: { data: { "toolgate/error": "upstream_timeout" } } });
});

test("when the upstream goes away every pending request is answered and the gateway closes with exit code 1", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" || r.method === "ping" ? "hold" : undefined) });
  await f.call(1, "tools/call", stop);
  await f.call(2, "ping");
  await f.server.close();
  await f.clock.advanceBy(0);
  expect(f.answerFor(1)).toMatchObject({ error: { data: { "toolgate/error": "upstream_closed" } } });
  expect(f.answerFor(2)).toMatchObject({ error: { data: { "toolgate/error": "upstream_closed" } } });
  expect(await f.gateway.closed).toEqual({ reason: "upstream closed", exitCode: 1 });
  expect(f.audit.at(-1)).toMatchObject({ outcome: "upstream_closed" });
  expect(f.logs).toContainEqual(expect.objectContaining({ level: "error", event: "upstream_closed", pending: 2 }));
});

test("a client's cancellation reaches the upstream under the gateway's id and keeps the slot", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
  await f.call("c1", "tools/call", stop);
  await f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "c1", reason: "user" } });
  const forwardedId = f.upstreamCalls()[0]!.id;
  expect(f.toUpstream.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: forwardedId, reason: "user" } });
  expect(f.audit.at(-1)).toMatchObject({ outcome: "cancelled" });
  expect((await f.store.peek("grant:alice|stop_salesbot_rate", 60_000)).used).toBe(1);
  // A late answer to the cancelled request is dropped, not delivered.
  await f.server.send({ jsonrpc: "2.0", id: forwardedId, result: { content: [] } });
  await f.clock.advanceBy(0);
  expect(f.answerFor("c1")).toBeUndefined();
});

test("server-to-client requests pass with their own ids and the client's answers go back; stray answers are dropped", async () => {
  const f = await createFixture();
  const sampling = { jsonrpc: "2.0" as const, id: 1, method: "sampling/createMessage", params: { messages: [], maxTokens: 1 } };
  await f.server.send(sampling);
  await f.clock.advanceBy(0);
  expect(f.toClient).toContainEqual(sampling);
  await f.send({ jsonrpc: "2.0", id: 1, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } });
  expect(f.toUpstream).toContainEqual({ jsonrpc: "2.0", id: 1, result: { role: "assistant", content: { type: "text", text: "hi" }, model: "m" } });
  const before = f.toUpstream.length;
  await f.send({ jsonrpc: "2.0", id: 1, result: {} });
  await f.send({ jsonrpc: "2.0", id: 99, result: {} });
  expect(f.toUpstream.length).toBe(before);
  expect(f.logs.filter((l) => (l as { event?: string }).event === "unknown_response_id")).toHaveLength(2);
});

test("initialize, pings and notifications pass through untouched apart from the id", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "initialize" ? { result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } } } : undefined) });
  const init = { protocolVersion: "2025-06-18", capabilities: { sampling: {} }, clientInfo: { name: "c", version: "1" } };
  expect(await f.call("i", "initialize", init)).toEqual({ jsonrpc: "2.0", id: "i", result: { protocolVersion: "2025-06-18", capabilities: {}, serverInfo: { name: "s", version: "1" } } });
  await f.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  expect(f.toUpstream[0]).toMatchObject({ method: "initialize", params: init });
  expect(f.toUpstream[1]).toEqual({ jsonrpc: "2.0", method: "notifications/initialized" });
  await f.server.send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } });
  await f.clock.advanceBy(0);
  expect(f.toClient.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } });
});

test("a denial for a 2026-07-28 caller is answered in its revision", async () => {
  const f = await createFixture();
  const answer = await f.call(1, "tools/call", { name: "delete_everything", _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } });
  expect((answer as { result: Record<string, unknown> }).result.resultType).toBe("complete");
  const legacy = await f.call(2, "tools/call", { name: "delete_everything" });
  expect("resultType" in (legacy as { result: Record<string, unknown> }).result).toBe(false);
});

test("after server/discover the connection's era is 2026-07-28 for requests that do not name one", async () => {
  const f = await createFixture();
  await f.call(1, "server/discover", { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } });
  const answer = await f.call(2, "tools/call", { name: "delete_everything" });
  expect((answer as { result: Record<string, unknown> }).result.resultType).toBe("complete");
});

test("keys that pollute prototypes are refused with -32602 and never forwarded", async () => {
  const f = await createFixture();
  const args = JSON.parse('{"text":"a","nested":[{"__proto__":{"x":1}}]}');
  const answer = await f.call(1, "tools/call", { name: "echo", arguments: args });
  expect(answer).toMatchObject({ id: 1, error: { code: -32602 } });
  expect((answer as { error: { message: string } }).error.message).toContain("arguments.nested[0].__proto__");
  expect(await f.call(2, "tools/call", { name: "echo", arguments: { constructor: 1 } })).toMatchObject({ error: { code: -32602 } });
  expect(f.upstreamCalls()).toEqual([]);
});

test("tools/call without a string name is invalid params", async () => {
  const f = await createFixture();
  expect(await f.call(1, "tools/call", { arguments: {} })).toMatchObject({ error: { code: -32602 } });
  expect(await f.call(2, "tools/call", { name: "echo", arguments: [1] })).toMatchObject({ error: { code: -32602 } });
});

const brokenStore: CounterStore = {
  reserve: async () => {
    throw new GatewayError("STORE_UNAVAILABLE", "redis is down");
  },
  rollback: async () => {},
  peek: async () => ({ used: 0, windowStartMs: 0, windowEndMs: 0, nowMs: 0 }),
  close: async () => {},
};

test("a failing counter store denies with store_unavailable by default", async () => {
  const f = await createFixture({ store: brokenStore });
  expect(decisionOf(await f.call(1, "tools/call", stop))).toMatchObject({ code: "store_unavailable", rule: "(store)" });
  expect(f.upstreamCalls()).toEqual([]);
});

test("with storeFailMode open a failing store lets the call through and says so in the log", async () => {
  const f = await createFixture({ store: brokenStore, storeFailMode: "open" });
  expect(decisionOf(await f.call(1, "tools/call", stop))).toBeUndefined();
  expect(f.upstreamCalls()).toHaveLength(1);
  expect(f.logs).toContainEqual(expect.objectContaining({ event: "store_unavailable", failMode: "open" }));
});

test("in shadow mode denials are audited as would-deny and the call is forwarded", async () => {
  const f = await createFixture({ shadow: true });
  await f.call(1, "tools/call", { name: "delete_everything" });
  expect(f.upstreamCalls()).toHaveLength(1);
  expect(f.audit[0]).toMatchObject({ decision: "allow", wouldDeny: [{ code: "hidden", rule: "(hidden)" }], outcome: "ok" });
  const list = await f.call(2, "tools/list");
  expect((list as { result: { tools: unknown[] } }).result.tools).toHaveLength(TOOLS.length);
});

test("a rule in shadow mode is audited but does not block", async () => {
  const policy = { version: "1", default: "allow", tools: { echo: { deny_if: [{ conditions: [], shadow: true }] } } };
  const f = await createFixture({ policy });
  expect(decisionOf(await f.call(1, "tools/call", { name: "echo", arguments: { text: "x" } }))).toBeUndefined();
  expect(f.audit[0]).toMatchObject({ decision: "allow", wouldDeny: [{ code: "denied", rule: "/tools/echo/deny_if/0" }] });
});

test("a denied call's audit line keeps the shadow rules that fired before the enforced one", async () => {
  const policy = { version: "1", default: "allow", tools: { echo: { deny_if: [{ conditions: [], shadow: true }, { conditions: [] }] } } };
  const f = await createFixture({ policy });
  expect(decisionOf(await f.call(1, "tools/call", { name: "echo", arguments: { text: "x" } }))).toMatchObject({ code: "denied", rule: "/tools/echo/deny_if/1" });
  expect(f.upstreamCalls()).toHaveLength(0);
  expect(f.audit[0]).toMatchObject({ decision: "deny", rule: "/tools/echo/deny_if/1", wouldDeny: [{ code: "denied", rule: "/tools/echo/deny_if/0" }] });
});

test("an audit line names keys and a digest of the arguments, never their values", async () => {
  const f = await createFixture();
  const answer = await f.call(1, "tools/call", { name: "echo", arguments: { text: "secret value" } });
  expect(answer).toBeDefined();
  const line = JSON.stringify(f.audit);
  expect(line).not.toContain("secret value");
  expect(f.audit[0]).toMatchObject({
    time: "2026-01-01T00:00:00.000Z",
    grant: "alice",
    session: "conn_test",
    tool: "echo",
    decision: "allow",
    code: null,
    rule: null,
    argKeys: ["text"],
    outcome: "ok",
  });
  expect(f.audit[0]!.argsSha256).toMatch(/^[0-9a-f]{64}$/);
  // What the audit file writes is the record serialized: the keys and the digest are in it, in order.
  const serialized = JSON.parse(JSON.stringify(f.audit[0])) as Record<string, unknown>;
  expect(serialized).toMatchObject({ argKeys: ["text"], argsSha256: f.audit[0]!.argsSha256 });
  expect(Object.keys(serialized).slice(0, 10)).toEqual(["time", "decisionId", "grant", "session", "tool", "decision", "code", "rule", "argKeys", "argsSha256"]);
  expect(f.audit[0]!.decisionId).toMatch(/^dec_[0-9a-f]{16}$/);
  expect(typeof f.audit[0]!.latencyMs).toBe("number");
  const denied = await f.call(2, "tools/call", { name: "dangerous" });
  expect(f.audit[1]).toMatchObject({ decisionId: decisionOf(denied)!.decisionId, decision: "deny", code: "denied", outcome: "not_forwarded", latencyMs: null });
});

test("without a grant every call is denied no_policy", async () => {
  const f = await createFixture({ grantId: undefined });
  expect(decisionOf(await f.call(1, "tools/call", { name: "echo", arguments: { text: "x" } }))).toMatchObject({ code: "no_policy" });
});

test("a new policy takes effect at once and the counters are kept", async () => {
  const f = await createFixture();
  await f.call(1, "tools/call", stop);
  await f.call(2, "tools/call", stop);
  f.policies.set(policyOf({ ...POLICY, tools: { ...POLICY.tools, stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: 3 }] } } }));
  expect(decisionOf(await f.call(3, "tools/call", stop))).toBeUndefined();
  expect(decisionOf(await f.call(4, "tools/call", stop))).toMatchObject({ code: "rate_limited", max: 3 });
});

test("closing the gateway closes both sides with exit code 0", async () => {
  const f = await createFixture();
  let upstreamClosed = false;
  f.server.onclose = () => (upstreamClosed = true);
  await f.gateway.close();
  expect(await f.gateway.closed).toEqual({ reason: "closed by the host", exitCode: 0 });
  expect(upstreamClosed).toBe(true);
});

test("a tools/call sent without an id (a notification) never reaches the upstream ungoverned", async () => {
  const f = await createFixture();
  // JSON-RPC servers run a notification's method and only withhold the answer: forwarding it would skip the policy.
  await f.send({ jsonrpc: "2.0", method: "tools/call", params: { name: "delete_everything", arguments: {} } });
  await f.send({ jsonrpc: "2.0", method: "tools/call", params: stop });
  expect(f.toUpstream.filter((m) => "method" in m && m.method === "tools/call")).toEqual([]);
  expect(f.logs).toContainEqual(expect.objectContaining({ event: "ungoverned_notification_dropped", method: "tools/call" }));
});

test("a call in flight when the agent goes away keeps its slot: it reached the server, only the gateway stopped waiting", async () => {
  for (const leave of ["agent closes", "host closes"] as const) {
    const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined) });
    await f.call(1, "tools/call", stop);
    expect(f.upstreamCalls()).toHaveLength(1);
    if (leave === "agent closes") await f.client.close();
    else await f.gateway.close();
    await f.clock.advanceBy(0);
    expect(await f.gateway.closed).toMatchObject({ exitCode: 0 });
    // Otherwise an agent could call, hang up (or DELETE its HTTP session) and call again, past every limit.
    expect((await f.store.peek("grant:alice|stop_salesbot_rate", 60_000)).used, leave).toBe(1);
    expect(f.audit.at(-1), leave).toMatchObject({ decision: "allow", outcome: "cancelled" });
  }
});

test("a flood of calls to a silent upstream is bounded: past the grant's share in flight, calls are refused at once and never forwarded", async () => {
  const f = await createFixture({ answer: (r) => (r.method === "tools/call" ? "hold" : undefined), budget: new InFlightBudget(5), policy: { version: "1", default: "allow" } });
  await f.call("list", "tools/list");
  for (let i = 0; i < 8; i++) await f.client.send({ jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "echo", arguments: { text: "x" } } });
  await f.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  expect(f.upstreamCalls()).toHaveLength(5);
  for (const id of [5, 6, 7]) expect(f.answerFor(id)).toMatchObject({ error: { code: -32000, data: { "toolgate/error": "too_many_in_flight" } } });
  expect(f.logs).toContainEqual(expect.objectContaining({ event: "too_many_in_flight", max: 5 }));
  // The first answers make room again.
  await f.clock.advanceBy(5_000);
  expect(f.answerFor(0)).toMatchObject({ error: { data: { "toolgate/error": "upstream_timeout" } } });
  await f.call(9, "tools/call", { name: "echo", arguments: { text: "x" } });
  expect(f.upstreamCalls()).toHaveLength(6);
});

test("an upstream transport that throws while sending a call gets one answer, upstream_unreachable, and the slot back: the call never left", async () => {
  const f = await createFixture({
    wrapUpstream: (up) => {
      const send = up.send.bind(up);
      up.send = (message) => {
        if ("method" in message && message.method === "tools/call") throw new TypeError("Invalid character in header content [\"mcp-name\"]");
        return send(message);
      };
      return up;
    },
  });
  await f.call("list", "tools/list");
  await f.call(1, "tools/call", stop);
  await f.clock.advanceBy(60_000);
  const answers = f.toClient.filter((m) => "id" in m && m.id === 1);
  expect(answers).toEqual([expect.objectContaining({ error: expect.objectContaining({ data: { "toolgate/error": "upstream_unreachable" } }) })]);
  expect((await f.store.peek("grant:alice|stop_salesbot_rate", 60_000)).used).toBe(0);
  expect(f.audit.map((a) => a.outcome)).toEqual(["not_sent"]);
});

test("behind the era bridge, a 2026-07-28 agent's opening request the upstream transport cannot send gets one answer and is audited not_sent", async () => {
  const meta = { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "a", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} };
  const f = await createFixture({
    policy: { version: "1", default: "allow" },
    answer: (r) => (r.method === "server/discover" ? { result: { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete" } } : undefined),
    wrapUpstream: (up, clock) => {
      const send = up.send.bind(up);
      up.send = (message) => {
        if ("method" in message && message.method === "x/métodos") throw new Error("the method name cannot be carried in the `Mcp-Method` header");
        return send(message);
      };
      return new EraBridge({ upstream: up, clock, probeTimeoutMs: 1_000, log: () => {} });
    },
  });
  // The connection's first request: the bridge probes the upstream, then sends it (or cannot).
  await f.call(1, "x/métodos", { _meta: meta });
  await f.clock.advanceBy(60_000);
  const answers = f.toClient.filter((m) => "id" in m && m.id === 1);
  expect(answers).toEqual([
    expect.objectContaining({ error: { code: -32603, message: "`x/métodos` was not sent to the upstream MCP server (the method name cannot be carried in the `Mcp-Method` header); it never left the gateway", data: { "toolgate/error": "upstream_unreachable" } } }),
  ]);
  expect(f.audit.map((a) => [a.tool, a.decision, a.outcome])).toEqual([["x/métodos", "allow", "not_sent"]]);
  expect(f.toUpstream.filter((m) => "method" in m).map((m) => (m as JsonRpcRequest).method)).toEqual(["server/discover"]);
});

test("a method the gateway does not know is denied under default deny with a JSON-RPC error naming it, and forwarded under default allow", async () => {
  const denied = await createFixture({ policy: { version: "1", default: "deny" } });
  const answer = await denied.call(1, "x/custom", { a: 1 });
  expect(answer).toMatchObject({ id: 1, error: { code: -31001, message: "[POLICY DENIED] method `x/custom` is not permitted by policy (default deny)", data: { "toolgate/decision": { code: "default_deny", method: "x/custom" } } } });
  expect(denied.toUpstream.filter((m) => "method" in m && m.method === "x/custom")).toEqual([]);
  expect(denied.audit.at(-1)).toMatchObject({ tool: "x/custom", kind: "method", decision: "deny", code: "default_deny" });
  const allowed = await createFixture({ policy: { version: "1", default: "allow" } });
  await allowed.call(2, "x/custom", { a: 1 });
  expect(allowed.toUpstream.filter((m) => "method" in m && m.method === "x/custom")).toHaveLength(1);
});

test("a resource request without a usable uri is refused with -32602 before any policy", async () => {
  const f = await createFixture({ policy: { version: "1", default: "allow" } });
  expect(await f.call(1, "resources/read", {})).toMatchObject({ error: { code: -32602, message: "invalid params: resources/read expects `params.uri` to be a non-empty string, found nothing" } });
  expect(f.toUpstream.filter((m) => "method" in m && m.method === "resources/read")).toEqual([]);
});
