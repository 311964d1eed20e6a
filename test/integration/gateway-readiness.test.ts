/**
 * `/health` (alive) and `/ready` (a call could be decided and forwarded now) on the HTTP listener
 * of real `toolgate serve --listen` processes: a private `redis-server` store in front of a real
 * `kommo-sim --listen`, and an `--upstream-cmd` that exits at once. Every wait polls I/O, bounded.
 */
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { REPO_ROOT } from "../fixtures/servers/gateway-process.js";
import { startKommoSimHttp, type KommoSimHttpProcess } from "../helpers/kommo-sim-process.js";
import { PrivateRedisServer } from "../helpers/redis-server.js";
import { pollUntil, requireRedisServerBinary } from "../helpers/redis-replicas.js";
import { startHttpGateway, type HttpGateway } from "./gateway-http-process.js";

const SEED_POLICY = join(REPO_ROOT, "fixtures/policies/valid/seed.json");
const started: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
});

interface Probe {
  readonly status: number;
  readonly body: { status: string; checks?: Record<string, { ok: boolean; reason?: string }> };
}

async function probe(g: HttpGateway, path: "/health" | "/ready"): Promise<Probe> {
  const res = await fetch(`${g.base}${path}`);
  return { status: res.status, body: (await res.json()) as Probe["body"] };
}

test("with Redis and the upstream up /ready is 200 with every check ok; Redis down: /ready 503 naming the store, /health still 200; Redis back: ready again", async () => {
  requireRedisServerBinary();
  const redis = await PrivateRedisServer.start();
  started.push(redis);
  const sim: KommoSimHttpProcess = await startKommoSimHttp(["--kommo-rps", "0"]);
  started.push(sim);
  const gateway = await startHttpGateway(["--policy", SEED_POLICY, "--upstream-url", sim.url, "--store", redis.url, "--store-timeout-ms", "500"]);
  started.push(gateway);

  expect(await probe(gateway, "/ready")).toEqual({ status: 200, body: { status: "ready", checks: { policy: { ok: true }, store: { ok: true }, upstream: { ok: true } } } });
  expect(await probe(gateway, "/health")).toMatchObject({ status: 200, body: { status: "ok" } });

  await redis.kill();
  const down = await probe(gateway, "/ready");
  expect(down.status).toBe(503);
  expect(down.body.status).toBe("not_ready");
  expect(down.body.checks!.policy).toEqual({ ok: true });
  expect(down.body.checks!.upstream).toEqual({ ok: true });
  expect(down.body.checks!.store!.ok).toBe(false);
  expect(down.body.checks!.store!.reason).toMatch(new RegExp(`^redis counter store at \`redis://127\\.0\\.0\\.1:${redis.port}/0\` could not peek: `));
  expect(await probe(gateway, "/health")).toMatchObject({ status: 200, body: { status: "ok" } });

  await redis.restart();
  await pollUntil(async () => ((await probe(gateway, "/ready")).status === 200 ? true : undefined), 15_000, "/ready 200 once Redis is back");

  await sim.stop();
  const noUpstream = await probe(gateway, "/ready");
  expect(noUpstream.status).toBe(503);
  expect(noUpstream.body.checks!.upstream!.ok).toBe(false);
  expect(noUpstream.body.checks!.upstream!.reason).toMatch(/^the upstream at http:\/\/127\.0\.0\.1:\d+ does not answer: /);
  expect(noUpstream.body.checks!.store).toEqual({ ok: true });
  expect(gateway.child.exitCode, gateway.stderr()).toBeNull();
}, 90_000);

test("an upstream command that exits at once leaves /ready 503 with the reason while /health stays 200", async () => {
  // per-session keeps a child started ahead, which is what the check looks at.
  const gateway = await startHttpGateway(["--policy", SEED_POLICY, "--upstream-sharing", "per-session", "--upstream-cmd", `${JSON.stringify(process.execPath)} -e "process.exit(3)"`]);
  started.push(gateway);
  const notReady = await pollUntil(async () => {
    const p = await probe(gateway, "/ready");
    return p.status === 503 ? p : undefined;
  }, 10_000, "/ready 503 for an upstream that exits");
  expect(notReady.body).toEqual({
    status: "not_ready",
    checks: { policy: { ok: true }, store: { ok: true }, upstream: { ok: false, reason: "no upstream connection is ready (the upstream process exited; a new one is being started)" } },
  });
  expect(await probe(gateway, "/health")).toMatchObject({ status: 200, body: { status: "ok" } });
}, 60_000);

test("the admin listener answers /health and /ready too, without its token, with the same checks", async () => {
  const token = "readiness-admin-token-0123456789";
  const gateway = await startHttpGateway(["--policy", SEED_POLICY, "--upstream-sharing", "per-session", "--upstream-cmd", `${JSON.stringify(process.execPath)} -e "process.exit(3)"`, "--admin-listen", "127.0.0.1:0"], { TOOLGATE_ADMIN_TOKEN: token });
  started.push(gateway);
  const admin = await pollUntil(async () => /"event":"admin_listening","url":"([^"]+)"/.exec(gateway.stderr())?.[1], 10_000, "the admin URL in the log");
  expect((await fetch(`${admin}/health`)).status).toBe(200);
  const ready = await pollUntil(async () => {
    const res = await fetch(`${admin}/ready`);
    return res.status === 503 ? ((await res.json()) as Probe["body"]) : undefined;
  }, 10_000, "admin /ready 503 for an upstream that exits");
  expect(ready.checks!.upstream).toEqual({ ok: false, reason: "no upstream connection is ready (the upstream process exited; a new one is being started)" });
  expect((await fetch(`${admin}/approvals`)).status, "everything else still needs the token").toBe(401);
}, 60_000);
