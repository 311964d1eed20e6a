/**
 * The shared upstream connection on in-memory transports, with a scripted server: ids and progress
 * tokens rewritten per lane and routed back, one handshake for every lane, cancellation under the
 * connection's ids, subscriptions counted, server requests refused, and the connection closing
 * under its lanes. A property test: for random lanes, ids and answer orders, every answer returns
 * to the lane that asked, under its own id.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { expect, test } from "vitest";
import type { JsonRpcMessage } from "../../../src/protocol/messages.js";
import type { Transport } from "../../../src/protocol/transport.js";
import { SharedUpstream } from "../../../src/gateway/shared-upstream.js";
import { InMemoryTransport } from "../../../src/transports/in-memory.js";

type Msg = Record<string, any>;

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

async function setup() {
  const [gatewaySide, serverSide] = InMemoryTransport.createLinkedPair();
  const atServer: Msg[] = [];
  serverSide.onmessage = (m) => void atServer.push(m as Msg);
  await serverSide.start();
  const logs: Msg[] = [];
  const shared = new SharedUpstream({ upstream: gatewaySide, log: (l) => void logs.push(l as Msg) });
  const lane = async (): Promise<{ t: Transport; got: Msg[]; closed: () => boolean }> => {
    const t = shared.lane();
    const got: Msg[] = [];
    let closed = false;
    t.onmessage = (m: JsonRpcMessage) => void got.push(m as Msg);
    t.onclose = () => void (closed = true);
    await t.start();
    return { t, got, closed: () => closed };
  };
  const reply = (m: Msg, result: object = {}): Promise<void> => serverSide.send({ jsonrpc: "2.0", id: m.id, result } as JsonRpcMessage);
  return { shared, gatewaySide, serverSide, atServer, lane, reply, logs };
}

const INIT = (id: number | string, capabilities: object = {}): JsonRpcMessage => ({ jsonrpc: "2.0", id, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: "c", version: "1" } } });
const HANDSHAKE = { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "s", version: "1" } };

test("the first lane's initialize goes upstream without client capabilities; later lanes get the kept answer and initialized goes up once", async () => {
  const { atServer, lane, reply } = await setup();
  const a = await lane();
  const b = await lane();
  await a.t.send(INIT("a1", { sampling: {}, roots: {} }));
  await b.t.send(INIT(7));
  await tick();
  expect(atServer).toHaveLength(1);
  expect(atServer[0]!.params.capabilities).toEqual({});
  await reply(atServer[0]!, HANDSHAKE);
  await tick();
  expect(a.got).toEqual([{ jsonrpc: "2.0", id: "a1", result: HANDSHAKE }]);
  expect(b.got).toEqual([{ jsonrpc: "2.0", id: 7, result: HANDSHAKE }]);
  const c = await lane();
  await c.t.send(INIT(1));
  for (const l of [a, b, c]) await l.t.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await tick();
  expect(c.got).toEqual([{ jsonrpc: "2.0", id: 1, result: HANDSHAKE }]);
  expect(atServer.map((m) => m.method)).toEqual(["initialize", "notifications/initialized"]);
});

test("a refused initialize is not kept: the next lane's goes upstream", async () => {
  const { atServer, lane, serverSide } = await setup();
  const a = await lane();
  const b = await lane();
  await a.t.send(INIT(1));
  await b.t.send(INIT(1));
  await tick();
  expect(atServer).toHaveLength(1);
  await serverSide.send({ jsonrpc: "2.0", id: atServer[0]!.id, error: { code: -32601, message: "no" } } as JsonRpcMessage);
  await tick();
  expect(a.got[0]).toMatchObject({ id: 1, error: { code: -32601 } });
  expect(atServer).toHaveLength(2);
  expect(atServer[1]!.method).toBe("initialize");
});

test("two lanes with the same id and progress token: each gets its own answer and its own progress", async () => {
  const { atServer, lane, reply, serverSide } = await setup();
  const a = await lane();
  const b = await lane();
  const callWith = (t: Transport): Promise<void> => t.send({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "x", arguments: {}, _meta: { progressToken: "p" } } });
  await callWith(a.t);
  await callWith(b.t);
  await tick();
  const [toA, toB] = atServer;
  expect(toA!.id).not.toBe(toB!.id);
  expect(toA!.params._meta.progressToken).not.toBe(toB!.params._meta.progressToken);
  await serverSide.send({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: toB!.params._meta.progressToken, progress: 1 } } as JsonRpcMessage);
  await reply(toB!, { content: [{ type: "text", text: "for b" }] });
  await reply(toA!, { content: [{ type: "text", text: "for a" }] });
  await tick();
  expect(a.got).toEqual([{ jsonrpc: "2.0", id: 5, result: { content: [{ type: "text", text: "for a" }] } }]);
  expect(b.got).toEqual([
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "p", progress: 1 } },
    { jsonrpc: "2.0", id: 5, result: { content: [{ type: "text", text: "for b" }] } },
  ]);
});

test("a lane's cancellation goes up under the connection's id; a lane that closes cancels what it still has upstream", async () => {
  const { atServer, lane, shared } = await setup();
  const a = await lane();
  const b = await lane();
  await a.t.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
  await b.t.send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "y" } });
  await tick();
  const [upA, upB] = atServer.map((m) => m.id);
  await a.t.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, reason: "user" } });
  await b.t.close();
  await tick();
  expect(atServer.slice(2)).toEqual([
    { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: upA, reason: "user" } },
    { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: upB, reason: "toolgate: the session ended" } },
  ]);
  expect(b.closed()).toBe(true);
  expect(shared.pendingCount).toBe(0);
  expect(shared.isClosed).toBe(false);
});

test("resources/updated reaches only subscribed lanes; unsubscribe goes up when the last lane drops the URI", async () => {
  const { atServer, lane, reply, serverSide } = await setup();
  const a = await lane();
  const b = await lane();
  const c = await lane();
  await a.t.send({ jsonrpc: "2.0", id: 1, method: "resources/subscribe", params: { uri: "kommo://account" } });
  await b.t.send({ jsonrpc: "2.0", id: 1, method: "resources/subscribe", params: { uri: "kommo://account" } });
  await tick();
  for (const m of atServer) await reply(m);
  await serverSide.send({ jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "kommo://account" } } as JsonRpcMessage);
  await serverSide.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" } as JsonRpcMessage);
  await serverSide.send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "whose?" } } as JsonRpcMessage);
  await tick();
  const methods = (l: { got: Msg[] }): unknown[] => l.got.filter((m) => m.method).map((m) => m.method);
  expect(methods(a)).toEqual(["notifications/resources/updated", "notifications/tools/list_changed"]);
  expect(methods(b)).toEqual(["notifications/resources/updated", "notifications/tools/list_changed"]);
  expect(methods(c)).toEqual(["notifications/tools/list_changed"]);
  const before = atServer.length;
  await a.t.send({ jsonrpc: "2.0", id: 2, method: "resources/unsubscribe", params: { uri: "kommo://account" } });
  await tick();
  expect(atServer).toHaveLength(before); // b still holds it: answered here
  expect(a.got.at(-1)).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
  await b.t.close();
  await tick();
  expect(atServer.at(-1)).toMatchObject({ method: "resources/unsubscribe", params: { uri: "kommo://account" } });
});

test("server requests: ping is answered here, anything else refused with -32601 and never reaches a lane", async () => {
  const { lane, serverSide } = await setup();
  const a = await lane();
  const back: Msg[] = [];
  serverSide.onmessage = (m) => void back.push(m as Msg);
  await serverSide.send({ jsonrpc: "2.0", id: "s1", method: "ping" } as JsonRpcMessage);
  await serverSide.send({ jsonrpc: "2.0", id: "s2", method: "sampling/createMessage", params: {} } as JsonRpcMessage);
  await tick();
  expect(back).toEqual([
    { jsonrpc: "2.0", id: "s1", result: {} },
    { jsonrpc: "2.0", id: "s2", error: { code: -32601, message: expect.stringContaining("routes no server-to-client requests (`sampling/createMessage`)") } },
  ]);
  expect(a.got).toEqual([]);
});

test("the connection closing closes every lane, and it takes no new lane", async () => {
  const { lane, serverSide, shared } = await setup();
  const a = await lane();
  const b = await lane();
  await serverSide.close();
  await tick();
  expect([a.closed(), b.closed()]).toEqual([true, true]);
  expect(shared.isClosed).toBe(true);
  expect(() => shared.lane()).toThrow("the shared upstream connection has closed");
  await expect(a.t.send({ jsonrpc: "2.0", id: 1, method: "tools/list" })).rejects.toThrow("closed");
});

fcTest.prop(
  {
    calls: fc.array(fc.record({ lane: fc.nat(4), id: fc.oneof(fc.nat(3), fc.constantFrom("a", "b")) }), { minLength: 1, maxLength: 40 }),
    order: fc.array(fc.nat(), { maxLength: 40 }),
  },
  { numRuns: 60 },
)("every answer returns to the lane that asked, under its own id, whatever the order of answers", async ({ calls, order }) => {
  const { atServer, lane, reply } = await setup();
  const lanes = await Promise.all([0, 1, 2, 3, 4].map(() => lane()));
  // A lane never has two requests with one id in flight (its gateway refuses duplicates).
  const sent = new Map<string, { lane: number; id: number | string }>();
  for (const c of calls) {
    const key = `${c.lane}/${c.id}`;
    if (sent.has(key)) continue;
    sent.set(key, c);
    await lanes[c.lane]!.t.send({ jsonrpc: "2.0", id: c.id, method: "tools/call", params: { name: "who", arguments: { lane: c.lane, id: c.id } } });
  }
  await tick();
  const pending = [...atServer];
  for (const pick of order) {
    if (pending.length === 0) break;
    const [m] = pending.splice(pick % pending.length, 1);
    await reply(m!, { who: m!.params.arguments });
  }
  for (const m of pending) await reply(m, { who: m.params.arguments });
  await tick();
  lanes.forEach((l, n) => {
    const mine = [...sent.values()].filter((c) => c.lane === n);
    expect(l.got).toHaveLength(mine.length);
    for (const answer of l.got) expect(answer.result.who).toEqual({ lane: n, id: answer.id });
  });
});

test("a request the upstream transport throws on is a rejected send that leaves nothing pending", async () => {
  const f = await setup();
  const a = await f.lane();
  await a.t.send(INIT(1));
  await tick();
  await f.reply(f.atServer[0]!, HANDSHAKE);
  await tick();
  const upstream = f.gatewaySide;
  const send = upstream.send.bind(upstream);
  upstream.send = (m) => {
    if ("method" in m && m.method === "tools/call") throw new TypeError("Invalid character in header content [\"mcp-method\"]");
    return send(m);
  };
  await expect(a.t.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "x" } })).rejects.toThrow("Invalid character");
  expect(f.shared.pendingCount).toBe(0);
});
