/**
 * Approvals shared by two `toolgate serve --store redis://…` replicas (REDIS_URL, default
 * redis://127.0.0.1:6379/0): asked on one, approved through that one's admin API, the identical
 * call passes exactly once on the other. Never skipped: without Redis the test fails saying so.
 * Each run uses its own grant id, so records of earlier runs never match.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { randomHex } from "../../src/core/clock.js";
import { parseServeArgs } from "../../src/cli/serve.js";
import { fixtureUpstreamCmd, INITIALIZE, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0";
const TOKEN = "redis-it-admin-token-0123456789";
const grant = `approvals-it-${randomHex(6)}`;
const dir = tempDir("toolgate-approvals-redis-");
const tokenFile = writeJson(dir, "token", TOKEN);
const policyFile = writeJson(dir, "policy.json", { version: "1", default: "deny", tools: { stop_salesbot: { approval: true } } });
const replicas: RawGateway[] = [];

async function adminUrlOf(g: RawGateway): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(g.stderr());
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`no admin_listening line; stderr:\n${g.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let ids = 1;
async function callStop(g: RawGateway): Promise<Record<string, unknown> | undefined> {
  const id = ids++;
  g.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: { bot_id: 3, entity_id: 4 } } }));
  const answer = (await g.answerFor(id)) as { result: { _meta?: Record<string, Record<string, unknown>> } };
  return answer.result._meta?.["toolgate/decision"];
}

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const g = startRawGateway(serveArgs(policyFile, fixtureUpstreamCmd(), ["--grant", grant, "--store", REDIS_URL, "--admin-listen", "127.0.0.1:0", "--admin-token-file", tokenFile]));
    replicas.push(g);
    g.send(INITIALIZE);
    await g.answerFor("init");
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(replicas.map((g) => g.stop()));
});

test("an approval given on one replica lets the identical call pass exactly once on the other", async () => {
  const [a, b] = replicas as [RawGateway, RawGateway];
  const asked = await callStop(a);
  expect(asked, `is Redis up at ${REDIS_URL}? replica stderr:\n${a.stderr()}`).toMatchObject({ code: "approval_required" });
  const id = asked!.approvalId as string;
  expect(await callStop(b)).toMatchObject({ code: "approval_required", approvalId: id }); // one pending entry for both
  const adminA = await adminUrlOf(a);
  const approved = await fetch(`${adminA}/approvals/${id}/approve`, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}` } });
  expect(approved.status).toBe(200);
  expect(await callStop(b)).toBeUndefined();
  const after = await Promise.all([callStop(a), callStop(b)]);
  expect(after.map((d) => d?.code)).toEqual(["approval_required", "approval_required"]);
  const adminB = await adminUrlOf(b);
  const listed = (await (await fetch(`${adminB}/approvals/${id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json()) as { approval: { state: string; grant: string } };
  expect(listed.approval).toMatchObject({ state: "used", grant });
}, 60_000);

test("serve's approval flags are checked before anything starts", () => {
  const base = ["--policy", "p.json", "--upstream-cmd", "x"];
  const env = { TOOLGATE_ADMIN_TOKEN: TOKEN };
  expect(parseServeArgs([...base], "/tmp", {})).toMatchObject({ store: { kind: "memory" }, admin: undefined, approvalMode: "async", approvalTimeoutMs: undefined });
  expect(parseServeArgs([...base, "--store", "redis://10.0.0.5:6380/2", "--approval-mode", "hold", "--approval-timeout-ms", "20000", "--admin-listen", "127.0.0.1:7410"], "/tmp", env)).toMatchObject({
    store: { kind: "redis", url: "redis://10.0.0.5:6380/2", commandTimeoutMs: 1_000 },
    admin: { host: "127.0.0.1", port: 7410, token: TOKEN },
    approvalMode: "hold",
    approvalTimeoutMs: 20_000,
  });
  const usage = (extra: string[], e: Record<string, string> = env) => () => parseServeArgs([...base, ...extra], "/tmp", e);
  expect(usage(["--store", "postgres://db"])).toThrow("flag `--store`: expected `memory`, `redis://HOST:PORT/DB`, `redis-cluster://HOST:PORT,HOST:PORT` or `redis-sentinel://HOST:PORT,HOST:PORT/MASTER`, found the scheme `postgres://` in `postgres://db`");
  expect(parseServeArgs([...base, "--store", "redis://10.0.0.5:6380/2", "--store-timeout-ms", "250"], "/tmp", {}).store).toEqual({ kind: "redis", url: "redis://10.0.0.5:6380/2", commandTimeoutMs: 250 });
  expect(usage(["--store-timeout-ms", "250"])).toThrow("flag `--store-timeout-ms` applies to `--store redis://…`");
  expect(parseServeArgs([...base, "--store", "redis-cluster://10.0.0.1:7000,10.0.0.2:7000"], "/tmp", {}).store).toEqual({ kind: "redis", url: "redis-cluster://10.0.0.1:7000,10.0.0.2:7000", commandTimeoutMs: 1_000 });
  expect(parseServeArgs([...base, "--store", "redis-sentinel://s1:26379,s2:26379/toolgate?wait=0"], "/tmp", {}).store).toMatchObject({ kind: "redis", url: "redis-sentinel://s1:26379,s2:26379/toolgate?wait=0" });
  expect(usage(["--store", "redis-sentinel://s1:26379"])).toThrow("flag `--store`: `redis-sentinel://s1:26379`: expected `/MASTER` or `/MASTER/DB` after the Sentinel addresses (the name the Sentinels monitor), found `nothing`");
  expect(usage(["--store", "redis-cluster://u:pw@h1:7000,h2"])).toThrow("flag `--store`: `redis-cluster://u:***@h1:7000,h2`: expected HOST:PORT with a port from 1 to 65535, found `h2`");
  expect(usage(["--store", "redis://10.0.0.5:6380/2", "--store-timeout-ms", "0.5"])).toThrow("flag `--store-timeout-ms`: expected a whole number ≥ 1, found `0.5`");
  expect(usage(["--approval-mode", "wait"])).toThrow("flag `--approval-mode`: expected `async` or `hold`, found `wait`");
  expect(usage(["--approval-timeout-ms", "5"])).toThrow("flag `--approval-timeout-ms` applies to `--approval-mode hold`");
  expect(usage(["--admin-listen", "0.0.0.0:7410"])).toThrow("flag `--admin-listen`: the approvals admin API listens on loopback only; found `0.0.0.0`, expected 127.0.0.1, ::1 or localhost");
  expect(usage(["--admin-listen", "127.0.0.1:7410"], {})).toThrow("flag `--admin-listen`: no admin token: give `--admin-token-file FILE` or set TOOLGATE_ADMIN_TOKEN");
  expect(usage(["--admin-listen", "127.0.0.1:7410"], { TOOLGATE_ADMIN_TOKEN: "short" })).toThrow("holds a token of 5 characters; expected at least 16");
  expect(usage(["--admin-token-file", tokenFile])).toThrow("flag `--admin-token-file` needs `--admin-listen HOST:PORT`");
});
