/**
 * The era bridge between a scripted "gateway" side and a scripted upstream, on in-memory
 * transports and a VirtualClock: detection in each direction, translation of requests, results and
 * notifications, the untranslatable answers, probes that get no answer, and `upstreamEraFor` (the
 * upstream's era asked for before anything is sent).
 */
import { expect, test } from "vitest";
import { settle, VirtualClock } from "../../../../src/core/virtual-clock.js";
import { EraBridge, upstreamEraOf } from "../../../../src/gateway/bridge/era-bridge.js";
import type { JsonObject, JsonRpcMessage, JsonRpcRequest } from "../../../../src/protocol/messages.js";
import type { Transport } from "../../../../src/protocol/transport.js";
import { createLinkedPair } from "../../../../src/transports/in-memory.js";

const V = "io.modelcontextprotocol/protocolVersion";
const INFO = "io.modelcontextprotocol/clientInfo";
const CAPS = "io.modelcontextprotocol/clientCapabilities";
const SERVER = "io.modelcontextprotocol/serverInfo";
const MODERN_META = { [V]: "2026-07-28", [INFO]: { name: "modern-agent", version: "2" }, [CAPS]: { sampling: {} } };
const INIT_PARAMS = { protocolVersion: "2025-06-18", capabilities: { roots: {} }, clientInfo: { name: "legacy-agent", version: "1" } };

type Answer = { result: JsonObject } | { error: { code: number; message: string; data?: unknown } } | "hold";

/** A 2026-07-28-only server, as kommo-sim --protocol 2026-07-28 answers. */
function modernOnly(request: JsonRpcRequest): Answer {
  if (request.method === "initialize") return { error: { code: -32022, message: "Unsupported protocol version: 2025-06-18", data: { supported: ["2026-07-28"] } } };
  if (request.method === "server/discover") return { result: { supportedVersions: ["2026-07-28"], capabilities: { tools: {} }, resultType: "complete", _meta: { [SERVER]: { name: "modern-server", version: "3" } } } };
  if (request.method === "tools/list") return { result: { tools: [{ name: "t" }], resultType: "complete", ttlMs: 0, cacheScope: "private", _meta: { [SERVER]: { name: "modern-server", version: "3" } } } };
  if (request.method === "tools/call" && request.params?.name === "ask") return { result: { resultType: "input_required", inputRequests: {} } };
  return { result: { content: [], resultType: "complete" } };
}

/** A 2025-era-only server, as an SDK 1.x server answers. */
function legacyOnly(request: JsonRpcRequest): Answer {
  if (request.method === "server/discover") return { error: { code: -32601, message: "Method not found" } };
  if (request.method === "initialize") return { result: { protocolVersion: "2025-11-25", capabilities: { tools: {} }, serverInfo: { name: "legacy-server", version: "1" } } };
  if (request.method === "tools/list") return { result: { tools: [{ name: "t" }] } };
  return { result: { content: [] } };
}

/** Speaks both eras (kommo-sim without --protocol). */
function both(request: JsonRpcRequest): Answer {
  return request.method === "server/discover" ? modernOnly(request) : legacyOnly(request);
}

/** `refuse`: the upstream transport throws while sending these messages (a header it cannot build). */
async function setup(answer: (request: JsonRpcRequest) => Answer, refuse: (message: JsonRpcMessage) => boolean = () => false) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const [up, server] = createLinkedPair();
  const sendUp = up.send.bind(up);
  up.send = (message) => {
    if (refuse(message)) throw new TypeError("Invalid character in header content [\"mcp-method\"]");
    return sendUp(message);
  };
  const toUpstream: JsonRpcMessage[] = [];
  const toGateway: JsonRpcMessage[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const versions: string[] = [];
  (up as Transport).setProtocolVersion = (v: string) => void versions.push(v);
  server.onmessage = (m) => {
    toUpstream.push(m);
    if (!("method" in m) || !("id" in m)) return;
    const a = answer(m as JsonRpcRequest);
    if (a !== "hold") void server.send({ jsonrpc: "2.0", id: (m as JsonRpcRequest).id, ...a } as JsonRpcMessage);
  };
  const bridge = new EraBridge({ upstream: up, clock, probeTimeoutMs: 1_000, log: (l) => logs.push(l as Record<string, unknown>) });
  bridge.onmessage = (m) => void toGateway.push(m);
  let closed = false;
  bridge.onclose = () => void (closed = true);
  await server.start();
  await bridge.start();
  return {
    clock,
    bridge,
    server,
    toUpstream,
    toGateway,
    logs,
    versions,
    closed: () => closed,
    async send(message: JsonRpcMessage) {
      await bridge.send(message);
      await settle();
    },
    answer: (id: number) => toGateway.find((m) => "id" in m && m.id === id && !("method" in m)) as { result?: JsonObject; error?: { code: number; message: string; data?: unknown } } | undefined,
    methods: () => toUpstream.filter((m) => "method" in m).map((m) => (m as JsonRpcRequest).method),
  };
}

const request = (id: number, method: string, params?: JsonObject): JsonRpcRequest => ({ jsonrpc: "2.0", id, method, ...(params ? { params } : {}) });

test("a 2025 agent and an upstream that speaks 2025 pass through: initialize once, no discover, nothing translated", async () => {
  const f = await setup(both);
  await f.send(request(1, "initialize", INIT_PARAMS));
  expect(f.answer(1)?.result).toMatchObject({ protocolVersion: "2025-11-25", serverInfo: { name: "legacy-server" } });
  await f.send(request(2, "tools/list"));
  expect(f.methods()).toEqual(["initialize", "tools/list"]);
  expect(f.answer(2)?.result).toEqual({ tools: [{ name: "t" }] });
  expect(f.bridge.state).toEqual({ agentEra: "2025", upstreamEra: "2025", translating: false });
});

test("a 2026-07-28 agent and an upstream that speaks 2026-07-28 pass through: discover once, no initialize", async () => {
  const f = await setup(both);
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  expect(f.answer(1)?.result).toMatchObject({ supportedVersions: ["2026-07-28"] });
  await f.send(request(2, "tools/list", { _meta: MODERN_META }));
  expect(f.methods()).toEqual(["server/discover", "tools/list"]);
  expect((f.toUpstream[1] as JsonRpcRequest).params).toEqual({ _meta: MODERN_META });
  expect(f.bridge.state.translating).toBe(false);
});

test("a 2025 agent refused by a 2026-07-28-only upstream is answered initialize from server/discover", async () => {
  const f = await setup(modernOnly);
  await f.send(request(1, "initialize", INIT_PARAMS));
  expect(f.methods()).toEqual(["initialize", "server/discover"]);
  const discover = f.toUpstream[1] as JsonRpcRequest;
  expect(discover.params).toEqual({ _meta: { [V]: "2026-07-28", [INFO]: { name: "legacy-agent", version: "1" }, [CAPS]: {} } });
  expect(discover.id).toMatch(/^toolgate-bridge:/);
  expect(f.answer(1)).toEqual({ jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "modern-server", version: "3" } } });
  expect(f.bridge.state).toEqual({ agentEra: "2025", upstreamEra: "2026-07-28", translating: true });
  expect(f.logs).toContainEqual(expect.objectContaining({ event: "upstream_era", agentEra: "2025", upstreamEra: "2026-07-28", bridged: true }));
});

test("a bridged 2025 agent's requests and notifications carry the envelope upstream and its results lose resultType, cache hints and server info", async () => {
  const f = await setup(modernOnly);
  await f.send(request(1, "initialize", INIT_PARAMS));
  await f.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  f.bridge.setProtocolVersion("2025-06-18");
  await f.send(request(2, "tools/list", { _meta: { progressToken: 9 } }));
  const list = f.toUpstream.at(-1) as JsonRpcRequest;
  expect(list.method).toBe("tools/list");
  expect(list.params?._meta).toEqual({ progressToken: 9, [V]: "2026-07-28", [INFO]: { name: "legacy-agent", version: "1" }, [CAPS]: {} });
  expect(f.answer(2)?.result).toEqual({ tools: [{ name: "t" }] });
  expect(f.methods()).not.toContain("notifications/initialized");
  await f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2 } });
  expect(f.toUpstream.at(-1)).toEqual({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2, _meta: { [V]: "2026-07-28", [INFO]: { name: "legacy-agent", version: "1" }, [CAPS]: {} } } });
  expect(f.versions).toEqual([]); // a stateless upstream gets no session revision
});

test("a bridged 2025 agent's ping is answered by toolgate; methods 2026-07-28 lacks are refused as untranslatable", async () => {
  const f = await setup(modernOnly);
  await f.send(request(1, "initialize", INIT_PARAMS));
  const before = f.toUpstream.length;
  await f.send(request(2, "ping"));
  expect(f.answer(2)).toEqual({ jsonrpc: "2.0", id: 2, result: {} });
  await f.send(request(3, "resources/subscribe", { uri: "kommo://account" }));
  expect(f.answer(3)?.error).toMatchObject({ code: -32601, message: expect.stringContaining("`resources/subscribe` from 2025-era MCP"), data: { "toolgate/error": "untranslatable" } });
  expect(f.toUpstream.length).toBe(before);
});

test("a 2026-07-28 result that is not complete reaches a 2025 agent as an untranslatable error", async () => {
  const f = await setup(modernOnly);
  await f.send(request(1, "initialize", INIT_PARAMS));
  await f.send(request(2, "tools/call", { name: "ask", arguments: {} }));
  expect(f.answer(2)?.error).toMatchObject({ code: -32600, data: { "toolgate/error": "untranslatable", method: "tools/call", from: "2026-07-28", to: "2025" } });
  expect(f.answer(2)?.error?.message).toContain('resultType: "input_required"');
});

test("a 2026-07-28 agent in front of a 2025-only upstream is answered server/discover from an initialize made with its client info", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  expect(f.methods()).toEqual(["server/discover", "initialize", "notifications/initialized"]);
  expect((f.toUpstream[1] as JsonRpcRequest).params).toEqual({ protocolVersion: "2025-11-25", clientInfo: { name: "modern-agent", version: "2" }, capabilities: {} });
  expect(f.versions).toEqual(["2025-11-25"]);
  expect(f.answer(1)?.result).toEqual({
    supportedVersions: ["2026-07-28"],
    capabilities: { tools: {} },
    resultType: "complete",
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [SERVER]: { name: "legacy-server", version: "1" } },
  });
  await f.send(request(2, "tools/list", { _meta: MODERN_META }));
  expect((f.toUpstream.at(-1) as JsonRpcRequest).params).toEqual({});
  expect(f.answer(2)?.result).toEqual({ tools: [{ name: "t" }], resultType: "complete", ttlMs: 0, cacheScope: "private", _meta: { [SERVER]: { name: "legacy-server", version: "1" } } });
});

test("a 2026-07-28 agent's first request that is not discover is held until the upstream is known, then translated", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(5, "tools/call", { name: "t", arguments: {}, _meta: MODERN_META }));
  expect(f.methods()).toEqual(["server/discover", "initialize", "notifications/initialized", "tools/call"]);
  expect(f.answer(5)?.result).toMatchObject({ content: [], resultType: "complete" });
});

test("messages sent while the upstream is being probed are sent after, in order", async () => {
  const f = await setup(legacyOnly);
  void f.bridge.send(request(1, "server/discover", { _meta: MODERN_META }));
  void f.bridge.send(request(2, "tools/list", { _meta: MODERN_META }));
  void f.bridge.send(request(3, "prompts/list", { _meta: MODERN_META }));
  await settle();
  expect(f.methods()).toEqual(["server/discover", "initialize", "notifications/initialized", "tools/list", "prompts/list"]);
  expect([f.answer(2)?.result?.resultType, f.answer(3)?.result?.resultType]).toEqual(["complete", "complete"]);
});

test("a bridged 2026-07-28 agent's subscriptions/listen is refused as untranslatable", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  await f.send(request(2, "subscriptions/listen", { _meta: MODERN_META }));
  expect(f.answer(2)?.error).toMatchObject({ code: -32601, data: { "toolgate/error": "untranslatable", method: "subscriptions/listen", from: "2026-07-28", to: "2025" } });
});

test("a 2025-era server's requests to a 2026-07-28 agent are answered by toolgate: ping with {}, the rest untranslatable", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  await f.server.send({ jsonrpc: "2.0", id: "s1", method: "ping" });
  await f.server.send({ jsonrpc: "2.0", id: "s2", method: "sampling/createMessage", params: {} });
  await settle();
  const answers = f.toUpstream.filter((m) => "id" in m && (m.id === "s1" || m.id === "s2"));
  expect(answers[0]).toEqual({ jsonrpc: "2.0", id: "s1", result: {} });
  expect(answers[1]).toMatchObject({ id: "s2", error: { code: -32601, data: { "toolgate/error": "untranslatable", method: "sampling/createMessage" } } });
  expect(f.toGateway.some((m) => "method" in m)).toBe(false);
});

test("notifications from the upstream reach the agent in either direction", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  await f.server.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  await settle();
  expect(f.toGateway).toContainEqual({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
});

test("when neither handshake works the agent gets the server's own first refusal and messages pass through", async () => {
  const f = await setup(() => ({ error: { code: -32603, message: "broken" } }));
  await f.send(request(1, "initialize", INIT_PARAMS));
  expect(f.answer(1)?.error).toEqual({ code: -32603, message: "broken" });
  expect(f.bridge.state).toEqual({ agentEra: "2025", upstreamEra: "2025", translating: false });
});

test("an upstream that answers no probe: the agent's handshake is answered with an error once every probe has timed out", async () => {
  const f = await setup(() => "hold");
  void f.bridge.send(request(1, "initialize", INIT_PARAMS));
  await settle();
  expect(f.answer(1)).toBeUndefined();
  await f.clock.advanceBy(1_000);
  await settle();
  await f.clock.advanceBy(1_000);
  await settle();
  expect(f.answer(1)?.error?.message).toContain("did not answer `initialize` within 1000 ms");
});

test("an upstream that closes during the probe fails it at once and the close reaches the gateway", async () => {
  const f = await setup(() => "hold");
  void f.bridge.send(request(1, "server/discover", { _meta: MODERN_META }));
  await settle();
  await f.server.close();
  await settle();
  expect(f.closed()).toBe(true);
  expect(f.answer(1)?.error?.message).toContain("closed");
});

test("a translated request that is cancelled or never answered is forgotten, so an agent cannot grow the bridge's memory", async () => {
  const f = await setup((r) => (r.method === "tools/call" ? "hold" : modernOnly(r)));
  await f.send(request(1, "initialize", INIT_PARAMS));
  for (let id = 2; id < 202; id++) {
    await f.send(request(id, "tools/call", { name: "slow", arguments: {} }));
    await f.send({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason: "gave up" } });
  }
  expect(f.bridge.translationsInFlight).toBe(0);
  await f.send(request(300, "tools/call", { name: "slow", arguments: {} }));
  expect(f.bridge.translationsInFlight).toBe(1);
  await f.server.close();
  await settle();
  expect(f.bridge.translationsInFlight).toBe(0);
});

// ── upstreamEraFor: a caller that must know the upstream's era before it sends anything ──────

test("a caller that asks upstreamEraFor first learns that a 2026-07-28 upstream serves it; the probe carries the caller's _meta and nothing reaches the gateway", async () => {
  const f = await setup(modernOnly);
  expect(await f.bridge.upstreamEraFor({ _meta: MODERN_META })).toEqual({ kind: "serves", era: "2026-07-28", versions: ["2026-07-28"] });
  expect(f.methods()).toEqual(["server/discover"]);
  expect((f.toUpstream[0] as JsonRpcRequest).params).toEqual({ _meta: { [V]: "2026-07-28", [INFO]: { name: "modern-agent", version: "2" }, [CAPS]: { sampling: {} } } });
  expect(f.toGateway).toEqual([]);
  expect(f.bridge.state).toEqual({ agentEra: "2026-07-28", upstreamEra: "2026-07-28", translating: false });
});

test("upstreamEraFor without the caller's identity probes as toolgate", async () => {
  const f = await setup(modernOnly);
  await f.bridge.upstreamEraFor(undefined);
  expect((f.toUpstream[0] as JsonRpcRequest).params).toEqual({ _meta: { [V]: "2026-07-28", [INFO]: { name: "toolgate", version: "0.1.0" }, [CAPS]: {} } });
});

test("upstreamEraFor on a 2025-only upstream: it serves through translation, after an initialize made with the caller's identity", async () => {
  const f = await setup(legacyOnly);
  expect(await f.bridge.upstreamEraFor({ _meta: MODERN_META })).toEqual({ kind: "serves", era: "2025", versions: ["2025-11-25"] });
  expect(f.methods()).toEqual(["server/discover", "initialize", "notifications/initialized"]);
  expect((f.toUpstream[1] as JsonRpcRequest).params).toEqual({ protocolVersion: "2025-11-25", clientInfo: { name: "modern-agent", version: "2" }, capabilities: {} });
  expect(f.versions).toEqual(["2025-11-25"]);
  expect(f.bridge.state).toEqual({ agentEra: "2026-07-28", upstreamEra: "2025", translating: true });
  await f.send(request(1, "server/discover", { _meta: MODERN_META }));
  expect(f.answer(1)?.result).toMatchObject({ supportedVersions: ["2026-07-28"], _meta: { [SERVER]: { name: "legacy-server", version: "1" } } });
  expect(f.methods()).toHaveLength(3); // the caller's own discover is answered from the handshake
});

test("upstreamEraFor: an upstream that lists no 2026-07-28 in server/discover and refuses initialize serves neither, with the versions it listed", async () => {
  const f = await setup((r) => (r.method === "server/discover" ? { result: { supportedVersions: ["2025-11-25", 7] } } : { error: { code: -32601, message: "Method not found" } }));
  expect(await f.bridge.upstreamEraFor({ _meta: MODERN_META })).toEqual({ kind: "neither", versions: ["2025-11-25"] });
});

test("upstreamEraFor: an upstream that refuses both handshakes leaves server/discover unanswered, with the refusal's message", async () => {
  const f = await setup(() => ({ error: { code: -32603, message: "warming up" } }));
  expect(await f.bridge.upstreamEraFor({ _meta: MODERN_META })).toEqual({ kind: "unanswered", message: "warming up" });
});

test("upstreamEraFor: an upstream that answers no probe is unanswered once both probes have timed out", async () => {
  const f = await setup(() => "hold");
  let found: unknown;
  void f.bridge.upstreamEraFor({ _meta: MODERN_META }).then((era) => (found = era));
  await f.clock.advanceBy(1_000);
  expect(found).toBeUndefined();
  expect(f.methods()).toEqual(["server/discover", "initialize"]);
  await f.clock.advanceBy(1_000);
  expect(found).toEqual({ kind: "unanswered", message: "the upstream did not answer `server/discover` within 1000 ms" });
});

test("upstreamEraFor after a request opened the connection answers what that detection found, without probing again", async () => {
  const f = await setup(legacyOnly);
  await f.send(request(1, "tools/list", { _meta: MODERN_META }));
  const probes = f.methods().length;
  expect(await f.bridge.upstreamEraFor({ _meta: MODERN_META })).toEqual({ kind: "serves", era: "2025", versions: ["2025-11-25"] });
  expect(await f.bridge.upstreamEraFor(undefined)).toEqual({ kind: "serves", era: "2025", versions: ["2025-11-25"] });
  expect(f.methods()).toHaveLength(probes);
});

test("a connection without a bridge is unbridged: nothing is asked", async () => {
  const [up, server] = createLinkedPair();
  const seen: JsonRpcMessage[] = [];
  server.onmessage = (m) => void seen.push(m);
  await server.start();
  expect(await upstreamEraOf(up, { _meta: MODERN_META })).toEqual({ kind: "unbridged" });
  const f = await setup(modernOnly);
  expect(await upstreamEraOf(f.bridge, { _meta: MODERN_META })).toMatchObject({ kind: "serves" });
  await settle();
  expect(seen).toEqual([]);
});

test("a 2026-07-28 agent's opening request that the upstream transport cannot send is a rejected send, never an answer or a silence", async () => {
  const f = await setup(modernOnly, (m) => "method" in m && m.method === "tools/call");
  const sent = f.bridge.send(request(1, "tools/call", { name: "t", arguments: {}, _meta: MODERN_META }));
  await expect(sent).rejects.toThrow("Invalid character in header content");
  await settle();
  expect(f.answer(1)).toBeUndefined(); // the caller answers it, once
  expect(f.methods()).toEqual(["server/discover"]);
});

test("a request queued while the upstream is being probed settles its send when it is really sent: rejected when it cannot be", async () => {
  const f = await setup(modernOnly, (m) => "method" in m && m.method === "prompts/get");
  const opening = f.bridge.send(request(1, "tools/list", { _meta: MODERN_META }));
  const queued = f.bridge.send(request(2, "prompts/get", { name: "p", _meta: MODERN_META }));
  const fine = f.bridge.send(request(3, "tools/call", { name: "t", arguments: {}, _meta: MODERN_META }));
  await expect(opening).resolves.toBeUndefined();
  await expect(queued).rejects.toThrow("Invalid character in header content");
  await expect(fine).resolves.toBeUndefined();
  await settle();
  expect(f.answer(2)).toBeUndefined();
  expect(f.methods()).toEqual(["server/discover", "tools/list", "tools/call"]);
});

test("a 2025 agent's initialize is answered by the bridge itself: its send resolves at once", async () => {
  const f = await setup(modernOnly);
  let resolved = false;
  void f.bridge.send(request(1, "initialize", INIT_PARAMS)).then(() => (resolved = true));
  await Promise.resolve();
  expect(resolved).toBe(true); // before any probe was answered
  await settle();
  expect(f.answer(1)?.result).toMatchObject({ serverInfo: { name: "modern-server" } });
});
