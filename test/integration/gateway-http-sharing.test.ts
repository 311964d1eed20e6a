/**
 * Bounded cost per agent, over real loopback sockets in front of the fixture server as a real
 * child: HTTP sessions of one grant share one upstream child (counted from /proc and by the pid
 * each session's call reports), sessionless 2026-07-28 calls join the same child, a child that
 * dies ends the sessions on it and the next one gets a new child, answers never cross sessions, a grant at its session cap is
 * refused while another grant still gets in, idle sessions expire on the gateway's clock
 * (TOOLGATE_CLOCK_FILE, no sleeping), and the per-grant in-flight cap answers a clear JSON-RPC
 * error with nothing past the cap reaching the upstream (HTTP and stdio).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { descendantPids, parentPid } from "../../src/bench/procfs.js";
import { tokenSha256 } from "../../src/gateway/grants.js";
import { fixtureUpstreamCmd, INITIALIZE, readJsonLines, serveArgs, startRawGateway, tempDir, writeJson } from "../fixtures/servers/gateway-process.js";
import { clockFile } from "../helpers/kommo-sim-process.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const GRANTS = ["alice", "bob", "dave", "carol", "erin", "frank"] as const;
const tokenOf = (grant: string): string => `token-of-${grant}-0123456789`;
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const START_MS = Date.UTC(2026, 2, 2, 9, 0, 0);

function setup(prefix: string) {
  const dir = tempDir(prefix);
  writeJson(dir, "policy.json", { version: "1", default: "allow" });
  const grants = writeJson(dir, "grants.json", { version: "1", grants: GRANTS.map((id) => ({ id, tokenSha256: tokenSha256(tokenOf(id)), policy: "policy.json" })) });
  const callLog = `${dir}/calls.jsonl`;
  const clock = clockFile(dir, START_MS);
  return { dir, grants, callLog, clock };
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  readonly sessionId: string | null;
}

async function post(gateway: HttpGateway, grant: string, message: object, sid?: string): Promise<Answer> {
  const headers: Record<string, string> = { ...HEADERS, authorization: `Bearer ${tokenOf(grant)}` };
  if (sid !== undefined) headers["mcp-session-id"] = sid;
  const res = await fetch(gateway.url, { method: "POST", headers, body: JSON.stringify(message) });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>), sessionId: res.headers.get("mcp-session-id") };
}

/** initialize + notifications/initialized; the session id. */
async function openSession(gateway: HttpGateway, grant: string, capabilities: object = {}): Promise<string> {
  const init = await post(gateway, grant, { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: grant, version: "1" } } });
  expect(init.status, JSON.stringify(init.body)).toBe(200);
  expect(init.body).toMatchObject({ id: 0, result: { serverInfo: { name: "toolgate-fixture" } } });
  const sid = init.sessionId!;
  expect((await post(gateway, grant, { jsonrpc: "2.0", method: "notifications/initialized" }, sid)).status).toBe(202);
  return sid;
}

function call(gateway: HttpGateway, grant: string, sid: string, id: number | string, name: string, args: object = {}): Promise<Answer> {
  return post(gateway, grant, { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }, sid);
}

function textOf(answer: Answer): string {
  const result = answer.body?.result as { content?: Array<{ text?: string }> } | undefined;
  return result?.content?.[0]?.text ?? `(no text: ${JSON.stringify(answer.body)})`;
}

/** The gateway's children that run the fixture server. */
/**
 * The gateway's own children (the upstream processes). Not every descendant: the fixture runs
 * through tsx, which may start an esbuild service process of its own under the upstream.
 */
function upstreamChildren(gateway: HttpGateway): number[] {
  const pid = gateway.child.pid!;
  return descendantPids(pid).filter((child) => parentPid(child) === pid);
}

async function health(gateway: HttpGateway): Promise<{ sessions: number }> {
  return (await (await fetch(`${gateway.base}/health`)).json()) as { sessions: number };
}

describe("sessions of a grant share one upstream child", () => {
  const s = setup("toolgate-share-");
  let gateway: HttpGateway;

  beforeAll(async () => {
    gateway = await startHttpGateway(["--grants", s.grants, "--upstream-cmd", fixtureUpstreamCmd(), "--max-sessions-per-grant", "20"], { FIXTURE_CALL_LOG: s.callLog, TOOLGATE_CLOCK_FILE: s.clock.path });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  test("20 sessions of one grant are served by one upstream child", async () => {
    const sids: string[] = [];
    for (let i = 0; i < 20; i++) sids.push(await openSession(gateway, "alice"));
    const pids = await Promise.all(sids.map(async (sid, i) => textOf(await call(gateway, "alice", sid, i + 1, "pid"))));
    expect(new Set(pids).size).toBe(1);
    expect(upstreamChildren(gateway)).toEqual([Number(pids[0])]);
    expect((await health(gateway)).sessions).toBe(20);
  }, 60_000);

  test("a grant at its session cap gets 429 with the reason, while another grant still gets in", async () => {
    // alice holds 20 sessions from the test before (the cap).
    const refused = await post(gateway, "alice", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "alice", version: "1" } } });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ jsonrpc: "2.0", error: { code: -32000, message: expect.stringContaining("grant `alice` has 20 sessions open, the most one grant may hold (--max-sessions-per-grant)") } });
    expect(refused.sessionId).toBeNull();
    const bob = await openSession(gateway, "bob");
    expect(textOf(await call(gateway, "bob", bob, 1, "echo", { text: "bob is in" }))).toBe("bob is in");
    // bob's grant has a child of its own: one per grant, not one per session.
    expect(upstreamChildren(gateway)).toHaveLength(2);
  }, 60_000);

  test("a session whose client can be asked (sampling) gets its own child; it leaves with the session", async () => {
    const before = upstreamChildren(gateway);
    const sid = await openSession(gateway, "bob", { sampling: {} });
    const own = Number(textOf(await call(gateway, "bob", sid, 1, "pid")));
    expect(before).not.toContain(own);
    expect(upstreamChildren(gateway)).toContain(own);
    const res = await fetch(gateway.url, { method: "DELETE", headers: { authorization: `Bearer ${tokenOf("bob")}`, "mcp-session-id": sid } });
    expect(res.status).toBe(200);
    await expect.poll(() => upstreamChildren(gateway).includes(own), { timeout: 10_000 }).toBe(false);
  }, 60_000);

  test("interleaved calls from many sessions with the same ids: every answer returns to its own session under its own id", async () => {
    const sessions: string[] = [];
    for (let i = 0; i < 10; i++) sessions.push(await openSession(gateway, "dave"));
    let seed = 13;
    const nextMs = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 40;
    const calls: Array<Promise<void>> = [];
    for (let round = 1; round <= 8; round++) {
      sessions.forEach((sid, n) => {
        const id = round % 2 === 0 ? round : `r${round}`; // the same ids in every session, numbers and strings
        const text = `session ${n} call ${round}`;
        calls.push(
          call(gateway, "dave", sid, id, "slow_echo", { text, ms: nextMs() }).then((answer) => {
            expect(answer.status).toBe(200);
            expect(answer.body?.id).toBe(id);
            expect(textOf(answer)).toBe(text);
          }),
        );
      });
    }
    await Promise.all(calls);
    expect(readJsonLines(s.callLog).filter((l) => l.tool === "slow_echo")).toHaveLength(80);
  }, 60_000);
});

/** A sessionless 2026-07-28 `tools/call`. */
async function statelessCall(gateway: HttpGateway, grant: string, id: number, name: string, args: object = {}): Promise<Answer> {
  const res = await fetch(gateway.url, {
    method: "POST",
    headers: { ...HEADERS, authorization: `Bearer ${tokenOf(grant)}`, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: grant, version: "1" } } } }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, sessionId: null };
}

describe("a shared child, stateless callers and a child that dies", () => {
  const s = setup("toolgate-share-dies-");
  let gateway: HttpGateway;

  beforeAll(async () => {
    gateway = await startHttpGateway(["--grants", s.grants, "--upstream-cmd", fixtureUpstreamCmd()], { FIXTURE_CALL_LOG: s.callLog, TOOLGATE_CLOCK_FILE: s.clock.path });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  test("sessionless 2026-07-28 calls of a grant go to the same child as its sessions, each answered under its own id", async () => {
    const sid = await openSession(gateway, "frank");
    const sessionPid = textOf(await call(gateway, "frank", sid, 1, "pid"));
    const answers = await Promise.all([11, 12, 13].map((id) => statelessCall(gateway, "frank", id, "echo", { text: `stateless ${id}` })));
    answers.forEach((a, n) => {
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ id: 11 + n, result: { resultType: "complete" } });
      expect(textOf(a)).toBe(`stateless ${11 + n}`);
    });
    expect(textOf(await statelessCall(gateway, "frank", 14, "pid"))).toBe(sessionPid);
  }, 60_000);

  test("when the shared child dies, each session on it gets an error for what was in flight, and the next session gets a new child", async () => {
    const [a, b] = [await openSession(gateway, "erin"), await openSession(gateway, "erin")];
    const firstPid = textOf(await call(gateway, "erin", a, 1, "pid"));
    const waiting = call(gateway, "erin", b, 1, "hang");
    await expect.poll(() => readJsonLines(s.callLog).filter((l) => l.tool === "hang").length, { timeout: 15_000 }).toBe(1);
    const crashed = await call(gateway, "erin", a, 2, "crash");
    expect(crashed.body).toMatchObject({ id: 2, error: { data: { "toolgate/error": "upstream_closed" } } });
    expect((await waiting).body).toMatchObject({ id: 1, error: { data: { "toolgate/error": "upstream_closed" } } });
    // Both sessions ended with their connection; their ids are unknown now.
    await expect.poll(async () => (await call(gateway, "erin", b, 3, "pid")).status, { timeout: 10_000 }).toBe(404);
    const fresh = await openSession(gateway, "erin");
    const secondPid = textOf(await call(gateway, "erin", fresh, 1, "pid"));
    expect(secondPid).not.toBe(firstPid);
    expect(upstreamChildren(gateway)).toContain(Number(secondPid));
    expect(upstreamChildren(gateway)).not.toContain(Number(firstPid));
  }, 60_000);
});

describe("idle sessions expire, and the per-grant in-flight cap holds", () => {
  const s = setup("toolgate-idle-");
  let gateway: HttpGateway;

  beforeAll(async () => {
    gateway = await startHttpGateway(["--grants", s.grants, "--upstream-cmd", fixtureUpstreamCmd(), "--session-idle-ms", "600000", "--max-in-flight", "5"], { FIXTURE_CALL_LOG: s.callLog, TOOLGATE_CLOCK_FILE: s.clock.path });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
  });

  test("sessions left without DELETE expire after --session-idle-ms on the gateway's clock; a used one stays", async () => {
    const left = [await openSession(gateway, "alice"), await openSession(gateway, "alice")];
    const used = await openSession(gateway, "alice");
    s.clock.set(START_MS + 400_000);
    expect(textOf(await call(gateway, "alice", used, 1, "echo", { text: "still here" }))).toBe("still here");
    s.clock.set(START_MS + 600_000);
    // A new session sweeps first: the two left 600 s ago go, the one used 200 s ago stays.
    const fresh = await openSession(gateway, "alice");
    await expect.poll(async () => (await health(gateway)).sessions, { timeout: 10_000 }).toBe(2);
    for (const sid of left) {
      const gone = await call(gateway, "alice", sid, 2, "echo", { text: "anyone?" });
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ error: { message: expect.stringContaining(`session not found: \`${sid}\` is unknown or has ended`) } });
    }
    expect(textOf(await call(gateway, "alice", used, 3, "echo", { text: "used" }))).toBe("used");
    expect(textOf(await call(gateway, "alice", fresh, 1, "echo", { text: "fresh" }))).toBe("fresh");
    expect(gateway.stderr()).toContain('"event":"session_idle"');
  }, 60_000);

  test("past --max-in-flight a grant's call gets a clear JSON-RPC error, and nothing past the cap reaches the upstream", async () => {
    const [a, b] = [await openSession(gateway, "carol"), await openSession(gateway, "carol")];
    const hangs = [1, 2, 3, 4, 5].map((id) => call(gateway, "carol", id % 2 === 0 ? a : b, id, "hang").catch(() => undefined)); // answered only when the gateway stops
    await expect.poll(() => readJsonLines(s.callLog).filter((l) => l.tool === "hang").length, { timeout: 15_000 }).toBe(5);
    const refused = await Promise.all([call(gateway, "carol", a, 6, "hang"), call(gateway, "carol", b, 7, "echo", { text: "x" })]);
    for (const answer of refused) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ error: { code: -32000, message: expect.stringContaining("this grant already has 5 waiting for an answer"), data: { "toolgate/error": "too_many_in_flight" } } });
    }
    // Another grant is not held back by carol's share.
    const bob = await openSession(gateway, "bob");
    expect(textOf(await call(gateway, "bob", bob, 1, "echo", { text: "bob" }))).toBe("bob");
    // One of carol's calls is cancelled: its slot frees, and a barrier call passes behind the hangs.
    expect((await post(gateway, "carol", { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, reason: "test" } }, b)).status).toBe(202);
    expect(textOf(await call(gateway, "carol", a, 8, "echo", { text: "barrier" }))).toBe("barrier");
    const reached = readJsonLines(s.callLog).map((l) => l.tool);
    expect(reached.filter((t) => t === "hang")).toHaveLength(5);
    expect(readJsonLines(s.callLog).filter((l) => l.tool === "echo" && (l.args as { text: string }).text === "x")).toHaveLength(0);
    void hangs;
  }, 60_000);
});

test("stdio: past --max-in-flight a call gets too_many_in_flight and nothing past the cap reaches the upstream", async () => {
  const s = setup("toolgate-stdio-cap-");
  const policy = `${s.dir}/policy.json`;
  const g = startRawGateway(serveArgs(policy, fixtureUpstreamCmd(), ["--max-in-flight", "3"]), { FIXTURE_CALL_LOG: s.callLog });
  try {
    g.send(INITIALIZE);
    await g.answerFor("init");
    g.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    for (let id = 1; id <= 3; id++) g.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "hang", arguments: {} } }));
    await expect.poll(() => readJsonLines(s.callLog).filter((l) => l.tool === "hang").length, { timeout: 15_000 }).toBe(3);
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "hang", arguments: {} } }));
    expect(await g.answerFor(4)).toMatchObject({ error: { code: -32000, data: { "toolgate/error": "too_many_in_flight" } } });
    g.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }));
    g.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "echo", arguments: { text: "barrier" } } }));
    expect(await g.answerFor(5)).toMatchObject({ result: { content: [{ text: "barrier" }] } });
    expect(readJsonLines(s.callLog).filter((l) => l.tool === "hang")).toHaveLength(3);
    for (const requestId of [2, 3]) g.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId } }));
  } finally {
    await g.stop();
  }
}, 60_000);

test("--upstream-sharing shared: a client that can be asked shares too, and the server's request to it is refused, not sent to a stranger", async () => {
  const s = setup("toolgate-share-forced-");
  const gateway = await startHttpGateway(["--grants", s.grants, "--upstream-cmd", fixtureUpstreamCmd(), "--upstream-sharing", "shared"], { FIXTURE_CALL_LOG: s.callLog });
  try {
    const plain = await openSession(gateway, "alice");
    const asker = await openSession(gateway, "alice", { sampling: {}, elicitation: {} });
    expect(textOf(await call(gateway, "alice", asker, 1, "pid"))).toBe(textOf(await call(gateway, "alice", plain, 1, "pid")));
    const asked = await call(gateway, "alice", asker, 2, "ask_client");
    expect(JSON.stringify(asked.body)).toContain("routes no server-to-client requests");
    await expect.poll(() => gateway.stderr(), { timeout: 5_000 }).toContain('"event":"shared_server_request_refused"');
    expect(upstreamChildren(gateway)).toHaveLength(1);
  } finally {
    await gateway.stop();
  }
}, 60_000);

test("--upstream-sharing per-session: every session gets a child of its own", async () => {
  const s = setup("toolgate-share-off-");
  const gateway = await startHttpGateway(["--grants", s.grants, "--upstream-cmd", fixtureUpstreamCmd(), "--upstream-sharing", "per-session"], { FIXTURE_CALL_LOG: s.callLog });
  try {
    const sids = [await openSession(gateway, "alice"), await openSession(gateway, "alice"), await openSession(gateway, "alice")];
    const pids = await Promise.all(sids.map(async (sid) => textOf(await call(gateway, "alice", sid, 1, "pid"))));
    expect(new Set(pids).size).toBe(3);
  } finally {
    await gateway.stop();
  }
}, 60_000);
