/**
 * Hot reload of a real `toolgate serve`: on SIGHUP and on a change to the policy file. For the
 * SIGHUP case the policy path is a symlink to a file in another directory, so editing the target
 * is invisible to the watcher and only the signal can bring the change in (the log line's
 * `trigger` says which did). Counters are kept across reloads; an invalid file is rejected with
 * its JSON path on stderr and the old policy stays.
 */
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { fixtureUpstreamCmd, INITIALIZE, serveArgs, startRawGateway, tempDir, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";

const policy = (max: number) => ({ version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "day", max }] } } });

let gateway: RawGateway | undefined;
afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

let nextId = 1;
async function stop(g: RawGateway): Promise<Record<string, unknown> | undefined> {
  const id = nextId++;
  g.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: { bot_id: 1, entity_id: 2 } } }));
  const answer = (await g.answerFor(id)) as { result: { _meta?: Record<string, Record<string, unknown>> } };
  return answer.result._meta?.["toolgate/decision"];
}

/** Waits (bounded) for the n-th stderr line with this event; returns it parsed. */
async function logLine(g: RawGateway, event: string, n = 1, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = g
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === event);
    if (lines.length >= n) return lines[n - 1]!;
    if (Date.now() > deadline) throw new Error(`no ${n}. \`${event}\` line within ${timeoutMs} ms; stderr:\n${g.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fixed time (TOOLGATE_CLOCK_FILE), so that no run straddles the day window's boundary. */
async function start(policyPath: string): Promise<RawGateway> {
  const clockFile = writeJson(tempDir("toolgate-clock-"), "now", String(Date.UTC(2026, 0, 1, 12)));
  const g = startRawGateway(serveArgs(policyPath, fixtureUpstreamCmd()), { TOOLGATE_CLOCK_FILE: clockFile });
  g.send(INITIALIZE);
  await g.answerFor("init");
  return g;
}

test("SIGHUP reloads the policy, keeps the counters, and rejects an invalid file keeping the old policy", async () => {
  const dir = tempDir("toolgate-hup-");
  const elsewhere = tempDir("toolgate-hup-target-");
  const target = writeJson(elsewhere, "real-policy.json", policy(1));
  const link = join(dir, "policy.json");
  symlinkSync(target, link);
  gateway = await start(link);
  expect(await stop(gateway)).toBeUndefined();
  expect(await stop(gateway)).toMatchObject({ code: "rate_limited", max: 1 });

  writeFileSync(target, JSON.stringify(policy(3)));
  gateway.child.kill("SIGHUP");
  const reloaded = await logLine(gateway, "policy_reloaded");
  expect(reloaded).toMatchObject({ level: "info", trigger: "request", file: link, grants: ["stdio"] });
  expect(await stop(gateway)).toBeUndefined(); // 2 of 3: the first call is still counted
  expect(await stop(gateway)).toBeUndefined();
  expect(await stop(gateway)).toMatchObject({ code: "rate_limited", max: 3 });

  writeFileSync(target, JSON.stringify({ version: "1", default: "deny", tools: { stop_salesbot: { limits: [{ counter: "stop_salesbot_rate", window: "fortnight", max: 100 }] } } }));
  gateway.child.kill("SIGHUP");
  const rejected = await logLine(gateway, "policy_reload_rejected");
  expect(rejected).toMatchObject({ level: "error", trigger: "request", file: link, issues: [{ path: "tools.stop_salesbot.limits[0].window", message: expect.any(String) }] });
  expect(String(rejected.msg ?? rejected.message)).toContain(`${link}: tools.stop_salesbot.limits[0].window: `);
  expect(await stop(gateway)).toMatchObject({ code: "rate_limited", max: 3 });
  expect(gateway.child.exitCode).toBeNull();
}, 60_000);

test("writing the policy file reloads it without a signal", async () => {
  const dir = tempDir("toolgate-watch-");
  const file = writeJson(dir, "policy.json", policy(1));
  gateway = await start(file);
  expect(await stop(gateway)).toBeUndefined();
  expect(await stop(gateway)).toMatchObject({ code: "rate_limited" });
  writeFileSync(file, JSON.stringify(policy(2)));
  expect(await logLine(gateway, "policy_reloaded")).toMatchObject({ trigger: "watch", file });
  expect(await stop(gateway)).toBeUndefined();
  expect(await stop(gateway)).toMatchObject({ code: "rate_limited", max: 2 });
}, 60_000);
