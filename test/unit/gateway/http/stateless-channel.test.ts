/**
 * The stateless channels' state machine with scripted gateways (no server, no upstream): opening
 * → ready, mismatch for good, unavailable and retried, gone; per grant; and which sessionless
 * requests are 2026-07-28 at all.
 */
import { expect, test } from "vitest";
import { settle, VirtualClock } from "../../../../src/core/virtual-clock.js";
import type { UpstreamEra } from "../../../../src/gateway/bridge/era-bridge.js";
import type { Gateway, GatewayClosed } from "../../../../src/gateway/gateway.js";
import { HttpSession } from "../../../../src/gateway/http/http-session.js";
import type { OpenGatewayRequest } from "../../../../src/gateway/http/open-gateway.js";
import { isStatelessRequest, StatelessChannels } from "../../../../src/gateway/http/stateless-channel.js";
import { Metrics } from "../../../../src/gateway/metrics.js";
import { recordingLogger } from "./recording-logger.js";

const META = { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } };
const SERVES: UpstreamEra = { kind: "serves", era: "2026-07-28", versions: ["2026-07-28"] };

interface Script {
  readonly era?: UpstreamEra | Promise<UpstreamEra>;
  readonly startFails?: Error;
}

interface FakeGateway extends Gateway {
  readonly request: OpenGatewayRequest;
  readonly asked: unknown[];
  closes: number;
  /** The gateway closes on its own (its upstream went away). */
  gone(): void;
}

/** The downstream a ready channel answered with; a refusal fails the test. */
function sessionOf(answer: { readonly session: HttpSession } | { readonly refusal: unknown }): HttpSession {
  if (!("session" in answer)) throw new Error(`expected a ready channel, found the refusal ${JSON.stringify(answer.refusal)}`);
  return answer.session;
}

function setup(...scripts: Script[]) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const { log, lines } = recordingLogger(clock);
  const opened: FakeGateway[] = [];
  const channels = new StatelessChannels({
    log,
    newDownstream: (grantId) => new HttpSession({ id: undefined, grantId, metrics: new Metrics(), log, nowMs: () => clock.nowMs() }),
    openGateway: (request) => {
      const script = scripts[opened.length] ?? { era: SERVES };
      let resolveClosed!: (closed: GatewayClosed) => void;
      const gateway: FakeGateway = {
        request,
        asked: [],
        closes: 0,
        closed: new Promise((resolve) => (resolveClosed = resolve)),
        start: async () => {
          if (script.startFails) throw script.startFails;
        },
        close: async () => {
          gateway.closes++;
          resolveClosed({ reason: "closed by the host", exitCode: 0 });
        },
        upstreamEra: async (params) => {
          gateway.asked.push(params);
          return script.era ?? SERVES;
        },
        gone: () => resolveClosed({ reason: "upstream closed", exitCode: 1 }),
      };
      opened.push(gateway);
      return gateway;
    },
  });
  const events = async () => {
    await clock.advanceBy(0);
    return lines.map((l) => l.event);
  };
  return { channels, opened, lines, events };
}

test("the first request opens its grant's channel: the gateway starts and is asked the upstream's era with that request's params; later requests share the ready channel", async () => {
  const { channels, opened, lines, events } = setup({ era: SERVES });
  const first = sessionOf(await channels.channelFor("g", 1, META));
  expect(opened).toHaveLength(1);
  expect(opened[0]!.request).toMatchObject({ grantId: "g", sessionKey: "stateless:g" });
  expect(opened[0]!.asked).toEqual([META]);
  expect(sessionOf(await channels.channelFor("g", 2, undefined))).toBe(first);
  expect(opened).toHaveLength(1);
  expect(await events()).toEqual(["stateless_ready"]);
  expect(lines[0]).toMatchObject({ grant: "g", upstreamEra: "2026-07-28", upstreamVersions: ["2026-07-28"] });
});

test("requests that arrive while the channel opens wait for it and share its one gateway", async () => {
  let answer!: (era: UpstreamEra) => void;
  const { channels, opened } = setup({ era: new Promise((resolve) => (answer = resolve)) });
  const waiting = [channels.channelFor("g", 1, META), channels.channelFor("g", 2, META), channels.channelFor("g", null, META)];
  await settle();
  expect(opened).toHaveLength(1);
  answer(SERVES);
  const [a, b, c] = (await Promise.all(waiting)).map(sessionOf);
  expect(b).toBe(a);
  expect(c).toBe(a);
});

test("each grant has its own channel and gateway", async () => {
  const { channels, opened } = setup();
  const alice = sessionOf(await channels.channelFor("alice", 1, META));
  const bob = sessionOf(await channels.channelFor("bob", 1, META));
  expect(opened.map((g) => g.request.sessionKey)).toEqual(["stateless:alice", "stateless:bob"]);
  expect([alice.grantId, bob.grantId]).toEqual(["alice", "bob"]);
  expect(bob).not.toBe(alice);
});

test("an upstream that serves neither era is refused with era_mismatch under the request's id, for good: its gateway closes and none opens again", async () => {
  const { channels, opened, events } = setup({ era: { kind: "neither", versions: ["2025-11-25", "2025-06-18"] } });
  const reason =
    "this request speaks MCP 2026-07-28 without a session, but the upstream MCP server answered neither 2026-07-28 `server/discover` nor a 2025-era `initialize` (server/discover lists 2025-11-25, 2025-06-18); connect with a 2025-era client (initialize, then Mcp-Session-Id)";
  for (const id of [1, 2]) {
    expect(await channels.channelFor("g", id, META)).toEqual({ refusal: { status: 400, code: -32600, message: reason, id, data: { "toolgate/error": "era_mismatch" } } });
  }
  expect(opened).toHaveLength(1);
  expect(opened[0]!.closes).toBe(1);
  expect(await events()).toEqual(["era_mismatch"]);
});

test("a mismatch with an upstream that listed no versions says server/discover failed", async () => {
  const { channels } = setup({ era: { kind: "neither", versions: [] } });
  const answer = await channels.channelFor("g", 1, META);
  expect("refusal" in answer && answer.refusal.message).toContain("(server/discover failed)");
});

test("an upstream that did not answer server/discover refuses this request with upstream_unavailable; the next request opens a new gateway", async () => {
  const { channels, opened, lines, events } = setup({ era: { kind: "unanswered", message: "warming up" } }, { era: SERVES });
  expect(await channels.channelFor("g", 1, META)).toEqual({
    refusal: { status: 502, code: -32000, message: "bad gateway: the upstream MCP server did not answer `server/discover`: warming up; try again", id: 1, data: { "toolgate/error": "upstream_unavailable" } },
  });
  expect(opened[0]!.closes).toBe(1);
  sessionOf(await channels.channelFor("g", 2, META));
  expect(opened).toHaveLength(2);
  expect(await events()).toEqual(["stateless_probe_failed", "stateless_ready"]);
  expect(lines[0]).toMatchObject({ level: "warn", grant: "g" });
});

test("a gateway that cannot start makes the request unavailable with its reason; the next request tries again", async () => {
  const { channels, opened } = setup({ startFails: new Error("spawn ENOENT") }, { era: SERVES });
  expect(await channels.channelFor("g", null, META)).toEqual({
    refusal: { status: 502, code: -32000, message: "toolgate could not open the upstream MCP server: spawn ENOENT", id: null, data: { "toolgate/error": "upstream_unavailable" } },
  });
  sessionOf(await channels.channelFor("g", 2, META));
  expect(opened).toHaveLength(2);
});

test("a connection without an era bridge is ready: nothing was asked, messages pass through", async () => {
  const { channels, lines, events } = setup({ era: { kind: "unbridged" } });
  sessionOf(await channels.channelFor("g", 1, META));
  expect(await events()).toEqual(["stateless_ready"]);
  expect(lines[0]).not.toHaveProperty("upstreamEra");
});

test("when a ready channel's gateway closes, the channel is forgotten and the next request opens a new one", async () => {
  const { channels, opened } = setup();
  const first = sessionOf(await channels.channelFor("g", 1, META));
  opened[0]!.gone();
  await settle();
  const second = sessionOf(await channels.channelFor("g", 2, META));
  expect(opened).toHaveLength(2);
  expect(second).not.toBe(first);
});

test("a ready channel whose downstream has closed answers that the upstream went away", async () => {
  const { channels } = setup();
  await sessionOf(await channels.channelFor("g", 1, META)).close();
  expect(await channels.channelFor("g", 2, META)).toEqual({ refusal: { status: 502, code: -32000, message: "bad gateway: the upstream MCP server went away; try again" } });
});

test("closeAll closes every open channel's gateway and forgets mismatches too", async () => {
  const { channels, opened } = setup({ era: SERVES }, { era: { kind: "neither", versions: [] } }, { era: SERVES });
  await channels.channelFor("a", 1, META);
  await channels.channelFor("b", 1, META);
  expect(channels.inFlight()).toBe(0);
  await channels.closeAll();
  expect(opened.map((g) => g.closes)).toEqual([1, 1]); // b's closed at its mismatch, not again
  sessionOf(await channels.channelFor("b", 2, META)); // forgotten: asked again
  expect(opened).toHaveLength(3);
});

test("a sessionless request is 2026-07-28 by its MCP-Protocol-Version, by being server/discover, or by its _meta revision", () => {
  const list = { jsonrpc: "2.0" as const, id: 1, method: "tools/list" };
  expect(isStatelessRequest("2026-07-28", list)).toBe(true);
  expect(isStatelessRequest(undefined, { ...list, method: "server/discover" })).toBe(true);
  expect(isStatelessRequest(undefined, { ...list, params: META })).toBe(true);
  expect(isStatelessRequest("2026-07-28", { jsonrpc: "2.0", id: 1, result: {} })).toBe(true);
  expect(isStatelessRequest(undefined, list)).toBe(false);
  expect(isStatelessRequest("2025-11-25", list)).toBe(false);
  expect(isStatelessRequest(undefined, { ...list, params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2025-11-25" } } })).toBe(false);
  expect(isStatelessRequest(undefined, { jsonrpc: "2.0", id: 1, result: {} })).toBe(false);
});
