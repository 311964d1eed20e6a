/**
 * Approvals end to end through real processes: `toolgate serve` (stdio downstream) in front of the
 * fixture server, its admin API on a loopback port, and `toolgate approvals list|approve|deny` run
 * through the real bin. The fixture's call log proves what reached the upstream; the audit file
 * shows every step of every approval.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fixtureUpstreamCmd, INITIALIZE, readJsonLines, REPO_ROOT, serveArgs, startRawGateway, tempDir, TOOLGATE_BIN, writeJson, type RawGateway } from "../fixtures/servers/gateway-process.js";

const TOKEN = "it-admin-token-7c1f0e9a2b";
const dir = tempDir("toolgate-approvals-");
const callLog = join(dir, "calls.jsonl");
const auditFile = join(dir, "audit.jsonl");
const tokenFile = writeJson(dir, "admin-token", `${TOKEN}\n`);
const policyFile = writeJson(dir, "policy.json", {
  version: "1",
  default: "deny",
  tools: { echo: {}, stop_salesbot: { approval: { ttl: "10m" }, limits: [{ counter: "stop_salesbot_rate", window: "hour", max: 10 }] } },
});

let gateway: RawGateway;
let adminUrl: string;
let nextId = 1;

beforeAll(async () => {
  gateway = startRawGateway(serveArgs(policyFile, fixtureUpstreamCmd(), ["--audit", auditFile, "--admin-listen", "127.0.0.1:0", "--admin-token-file", tokenFile]), { FIXTURE_CALL_LOG: callLog });
  gateway.send(INITIALIZE);
  await gateway.answerFor("init");
  gateway.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /"event":"admin_listening"[^\n]*"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(gateway.stderr());
    if (m) {
      adminUrl = m[1]!;
      break;
    }
    if (Date.now() > deadline) throw new Error(`no admin_listening line; stderr:\n${gateway.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
});

async function callStop(args: Record<string, unknown> = { bot_id: 7, entity_id: 42 }) {
  const id = nextId++;
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: args } }));
  const answer = (await gateway.answerFor(id)) as { result: { content: Array<{ text: string }>; isError?: boolean; _meta?: Record<string, Record<string, unknown>> } };
  return { text: answer.result.content[0]!.text, decision: answer.result._meta?.["toolgate/decision"] };
}

function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TOOLGATE_BIN, "approvals", ...args], { cwd: REPO_ROOT, env: { ...process.env, TOOLGATE_ADMIN_TOKEN: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

const admin = (...args: string[]) => cli([...args, "--admin-url", adminUrl, "--admin-token-file", tokenFile]);
const upstreamStops = () => readJsonLines<{ tool?: string }>(callLog).filter((l) => l.tool === "stop_salesbot");

test("a call that needs approval is answered [APPROVAL REQUIRED] and is listed by toolgate approvals list", async () => {
  const first = await callStop();
  expect(first.decision).toMatchObject({ code: "approval_required", rule: "/tools/stop_salesbot/approval" });
  const id = first.decision!.approvalId as string;
  expect(first.text).toMatch(new RegExp(`^\\[APPROVAL REQUIRED\\] .*Approval ${id} is pending until .*toolgate approvals approve ${id}`));
  expect((await callStop()).decision).toMatchObject({ approvalId: id });
  const listed = await admin("list");
  expect(listed.code).toBe(0);
  const rows = listed.stdout.trim().split("\n");
  expect(rows[0]).toMatch(/^ID\s+STATE\s+GRANT\s+TOOL\s+CREATED\s+EXPIRES\s+ARGS SHA-256$/);
  expect(rows.filter((r) => r.startsWith(id))).toHaveLength(1);
  expect(rows.find((r) => r.startsWith(id))).toMatch(new RegExp(`^${id}\\s+pending\\s+stdio\\s+stop_salesbot\\s`));
  const json = JSON.parse((await admin("list", "--json", "--state", "pending")).stdout) as { approvals: Array<{ id: string; argsSha256: string }> };
  expect(json.approvals.map((a) => a.id)).toEqual([id]);
  expect(json.approvals[0]!.argsSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(upstreamStops()).toEqual([]);
}, 60_000);

test("after toolgate approvals approve, the identical call passes once; the replay asks again", async () => {
  const pending = JSON.parse((await admin("list", "--json", "--state", "pending")).stdout) as { approvals: Array<{ id: string }> };
  const id = pending.approvals[0]!.id;
  const approved = await admin("approve", id, "--by", "it-human");
  expect(approved).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^approved ${id} \\(stop_salesbot for grant stdio, expires `)) });
  expect((await callStop({ bot_id: 7, entity_id: 43 })).decision).toMatchObject({ code: "approval_required" }); // changed arguments
  const passed = await callStop();
  expect(passed.decision).toBeUndefined();
  expect(passed.text).toBe("stopped bot 7 on 42");
  expect(upstreamStops()).toHaveLength(1);
  const replay = await callStop();
  expect(replay.decision).toMatchObject({ code: "approval_required" });
  expect(replay.decision!.approvalId).not.toBe(id);
  const again = await admin("approve", id);
  expect(again.code).toBe(1);
  expect(again.stderr).toBe(`toolgate approvals: approval \`${id}\` is already used\n`);
}, 60_000);

test("after toolgate approvals deny, the call is answered approval_denied once", async () => {
  const listed = JSON.parse((await admin("list", "--json", "--state", "pending")).stdout) as { approvals: Array<{ id: string; argsSha256: string }> };
  const replayId = (await callStop()).decision!.approvalId as string;
  expect(listed.approvals.map((a) => a.id)).toContain(replayId);
  expect((await admin("deny", replayId)).code).toBe(0);
  const denied = await callStop();
  expect(denied.decision).toMatchObject({ code: "approval_denied", approvalId: replayId });
  expect(denied.text).toMatch(/^\[POLICY DENIED\] a human denied approval /);
  expect((await callStop()).decision).toMatchObject({ code: "approval_required" });
  expect(upstreamStops()).toHaveLength(1);
}, 60_000);

test("the CLI refuses without the right token, and an unknown id is an error", async () => {
  const wrongFile = writeJson(dir, "wrong-token", "not-the-admin-token-at-all");
  const wrong = await cli(["list", "--admin-url", adminUrl, "--admin-token-file", wrongFile]);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toBe("toolgate approvals: the admin API needs `Authorization: Bearer <admin token>` (check --admin-token-file or TOOLGATE_ADMIN_TOKEN)\n");
  const none = await cli(["list", "--admin-url", adminUrl]);
  expect(none.code).toBe(2);
  expect(none.stderr).toBe("toolgate approvals: no admin token: give `--admin-token-file FILE` or set TOOLGATE_ADMIN_TOKEN\n");
  const viaEnv = await cli(["approve", "apr_0000000000000000", "--admin-url", adminUrl], { TOOLGATE_ADMIN_TOKEN: TOKEN });
  expect(viaEnv).toMatchObject({ code: 1, stderr: "toolgate approvals: no approval `apr_0000000000000000`\n" });
  const raw = await fetch(`${adminUrl}/approvals`);
  expect(raw.status).toBe(401);
  expect(raw.headers.get("www-authenticate")).toBe('Bearer realm="toolgate-admin"');
}, 60_000);

test("the audit file has every approval step with its id next to the decision lines", async () => {
  gateway.send(JSON.stringify({ jsonrpc: "2.0", id: "flush", method: "ping" }));
  await gateway.answerFor("flush");
  const deadline = Date.now() + 5_000;
  let lines = readJsonLines<Record<string, unknown>>(auditFile);
  while (lines.filter((l) => l.event === "approval").length < 6 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    lines = readJsonLines<Record<string, unknown>>(auditFile);
  }
  const steps = lines.filter((l) => l.event === "approval").map((l) => l.step);
  // first call, approve, changed arguments, the approved call, the replay, deny, after the denial
  expect(steps).toEqual(["pending", "approved", "pending", "consumed", "pending", "denied", "pending"]);
  const consumed = lines.find((l) => l.step === "consumed")!;
  const allow = lines.find((l) => l.decisionId === consumed.decisionId && l.event === undefined)!;
  expect(allow).toMatchObject({ decision: "allow", tool: "stop_salesbot", approvalId: consumed.approvalId, outcome: "ok" });
  expect(lines.find((l) => l.step === "approved")).toMatchObject({ decidedBy: "it-human" });
  expect(JSON.stringify(lines)).not.toContain(TOKEN);
}, 30_000);
