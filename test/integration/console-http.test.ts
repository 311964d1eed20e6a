/**
 * The console's HTTP surface, in process on a real loopback socket: every route's bad inputs
 * (method, body, query, path), sign-in and its rate limit, cookies, CSRF and Origin checks, and
 * the policy editor's refusals (stale base, invalid edit) leaving the file as it was.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { VirtualClock } from "../../src/core/virtual-clock.js";
import { startAdminServer, type AdminServer } from "../../src/gateway/approvals/admin-server.js";
import { ApprovalGate } from "../../src/gateway/approvals/approval-gate.js";
import type { AuditLine } from "../../src/gateway/audit-log.js";
import { ActivityHub } from "../../src/gateway/console/activity-hub.js";
import { createConsole } from "../../src/gateway/console/console.js";
import { MAX_FAILED_SIGN_INS } from "../../src/gateway/console/console-sessions.js";
import { PolicyEditor, sha256Of } from "../../src/gateway/console/policy-editor.js";
import { SharedPolicy } from "../../src/gateway/policy-source.js";
import { watchPolicyFiles } from "../../src/gateway/reload.js";
import { parsePolicyText } from "../../src/policy/load-policy.js";
import { MemoryApprovalStore } from "../../src/stores/memory-approval-store.js";
import { MemoryCounterStore } from "../../src/stores/memory-counter-store.js";

const TOKEN = "console-http-token-9a8b7c6d5e";
const POLICY = { version: "1", default: "deny", tools: { stop_salesbot: { approval: { ttl: "10m" }, limits: [{ counter: "stops", window: "minute", max: 10 }] } } };
const dir = mkdtempSync(join(tmpdir(), "toolgate-console-http-"));
const policyFile = join(dir, "policy.json");
const clock = new VirtualClock(Date.UTC(2026, 2, 15, 12, 0, 10));
const audit: AuditLine[] = [];
const hub = new ActivityHub();
let admin: AdminServer;
let base: string;
let policies: SharedPolicy;
let gate: ApprovalGate;

beforeAll(async () => {
  writeFileSync(policyFile, `${JSON.stringify(POLICY, null, 2)}\n`);
  const compiled = parsePolicyText(readFileSync(policyFile, "utf8"));
  if (!compiled.ok) throw new Error("fixture policy is invalid");
  policies = new SharedPolicy(compiled.value);
  const write = (line: AuditLine): void => {
    audit.push(line);
    hub.publish(line);
  };
  gate = new ApprovalGate({ store: new MemoryApprovalStore({ clock }), clock, audit: write });
  const watcher = watchPolicyFiles([{ file: policyFile, grantIds: ["g1"], version: compiled.value.version }], { apply: (_g, next) => policies.set(next), log: () => {}, clock });
  admin = await startAdminServer({ gate, token: TOKEN, port: 0 });
  admin.mount(
    createConsole(
      {
        clock,
        gate,
        hub,
        counters: new MemoryCounterStore({ clock }),
        policies,
        grants: () => ["g1"],
        servers: [{ name: "", label: "fake upstream", probe: async () => ({ state: "up", serverInfo: { name: "fake", version: "1" }, protocolVersion: "2025-06-18", tools: [{ name: "stop_salesbot", annotations: { destructiveHint: true } }, { name: "get_leads" }] }) }],
        editor: new PolicyEditor([{ file: policyFile, grantIds: ["g1"] }], (file) => watcher.reloadFile(file)),
      },
      TOKEN,
    ),
  );
  base = admin.url;
});

afterAll(async () => {
  await admin?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string }; [key: string]: unknown };
}

async function call(path: string, init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string>; session?: Session | null; origin?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const method = init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET");
  if (init.origin !== null && (init.origin !== undefined || method === "POST")) headers.Origin = init.origin ?? base;
  if (init.body !== undefined || init.raw !== undefined) headers["Content-Type"] ??= "application/json";
  if (init.session) {
    headers.Cookie = init.session.cookie;
    headers["X-CSRF-Token"] ??= init.session.csrf;
  }
  const response = await fetch(`${base}${path}`, { method, headers, redirect: "manual", ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const text = await response.text();
  let body: Answer["body"] = {};
  try {
    body = JSON.parse(text) as Answer["body"];
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

interface Session {
  cookie: string;
  csrf: string;
}

async function signIn(user = "tester"): Promise<Session> {
  const answer = await call("/console/api/sign-in", { body: { token: TOKEN, user } });
  expect(answer.status).toBe(200);
  const setCookie = answer.headers.get("set-cookie")!;
  return { cookie: setCookie.split(";")[0]!, csrf: answer.body.csrf as string };
}

test("the page and its files carry a strict CSP; / redirects; unknown files and other methods are refused", async () => {
  const root = await call("/", { origin: null });
  expect(root.status).toBe(302);
  expect(root.headers.get("location")).toBe("/console/");
  const page = await call("/console/", { origin: null });
  expect(page.status).toBe(200);
  expect(page.headers.get("content-security-policy")).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  expect(page.headers.get("x-frame-options")).toBe("DENY");
  expect(String(page.body.text)).not.toMatch(/<script>|<style|style=/); // no inline script or style
  const hooks = await call("/console/vendor/hooks.js", { origin: null });
  expect(hooks.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect(String(hooks.body.text)).toContain('from"./preact.js"');
  expect(String(hooks.body.text)).not.toMatch(/from\s*["']preact["']/);
  expect((await call("/console/nope.js", { origin: null })).body.error).toEqual({ code: "not_found", message: "no console file `/console/nope.js`" });
  expect((await call("/console/%2e%2e/package.json", { origin: null })).status).toBe(401); // normalised to /package.json: the bearer API refuses it
  expect((await call("/console/", { method: "DELETE", origin: null })).status).toBe(405);
});

test("sign-in needs this console's Origin, a JSON body with exactly token and user, and the right token", async () => {
  expect((await call("/console/api/sign-in", { body: { token: TOKEN }, origin: null })).body.error?.code).toBe("forbidden_origin");
  expect((await call("/console/api/sign-in", { body: { token: TOKEN }, origin: "http://evil.example" })).body.error?.code).toBe("forbidden_origin");
  expect((await call("/console/api/sign-in", { method: "GET", origin: null })).status).toBe(405);
  const form = await call("/console/api/sign-in", { raw: `token=${TOKEN}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  expect(form).toMatchObject({ status: 415, body: { error: { code: "unsupported_media_type" } } });
  expect((await call("/console/api/sign-in", { raw: "{not json" })).body.error).toEqual({ code: "invalid_body", message: "the request body is not JSON" });
  const extra = await call("/console/api/sign-in", { body: { token: TOKEN, admin: true } });
  expect(extra.status).toBe(400);
  expect(extra.body.error?.message).toMatch(/Unrecognized key/);
  expect((await call("/console/api/sign-in", { body: { token: TOKEN, user: "<script>" } })).status).toBe(400);
  expect((await call("/console/api/sign-in", { raw: JSON.stringify({ token: "x".repeat(300_000) }) })).status).toBe(413);
  const ok = await call("/console/api/sign-in", { body: { token: TOKEN, user: "ops" } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get("set-cookie")).toMatch(/^toolgate_console=[A-Za-z0-9_-]{32}; Path=\/console; HttpOnly; SameSite=Strict$/);
  expect(JSON.stringify(ok.body)).not.toContain(TOKEN);
});

test(`after ${MAX_FAILED_SIGN_INS} wrong tokens in a minute sign-in answers 429, even to the right token, until the window ends`, async () => {
  await clock.advanceBy(60_000);
  for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) expect((await call("/console/api/sign-in", { body: { token: `wrong-${i}` } })).body.error?.code).toBe("wrong_token");
  const limited = await call("/console/api/sign-in", { body: { token: TOKEN } });
  expect(limited.status).toBe(429);
  expect(limited.headers.get("retry-after")).toBe("60");
  await clock.advanceBy(60_000);
  expect((await call("/console/api/sign-in", { body: { token: TOKEN } })).status).toBe(200);
});

test("the API needs the session cookie; state changes need the CSRF token and this Origin; a rebound Host is refused", async () => {
  expect((await call("/console/api/approvals")).body.error?.code).toBe("signed_out");
  expect((await call("/console/api/approvals", { headers: { Cookie: "toolgate_console=forged" } })).status).toBe(401);
  const session = await signIn();
  expect((await call("/console/api/approvals", { session })).status).toBe(200);
  expect((await call("/console/api/approvals", { session, origin: "http://evil.example" })).body.error?.code).toBe("forbidden_origin");
  expect((await call("/console/api/approvals/apr_x/approve", { body: {}, session, headers: { "X-CSRF-Token": "" } })).body.error?.code).toBe("csrf");
  expect((await call("/console/api/approvals/apr_x/approve", { body: {}, session, headers: { "X-CSRF-Token": "wrong" } })).body.error?.code).toBe("csrf");
  expect((await call("/console/api/approvals/apr_x/approve", { body: {}, session, origin: null })).body.error?.code).toBe("forbidden_origin");
  const rebound = await call("/console/api/approvals/apr_x/approve", { body: {}, session, origin: "http://evil.example:1", headers: { Host: "evil.example:1" } });
  expect(rebound.status).toBe(403);
  expect((await call("/approvals", { session })).status).toBe(401); // the cookie is not the bearer token
  expect((await call("/console/api/session", { session })).body).toEqual({ signedIn: true, user: "tester", csrf: session.csrf });
  expect((await call("/console/api/sign-out", { method: "POST", session })).status).toBe(200);
  expect((await call("/console/api/session", { session })).body).toEqual({ signedIn: false });
  expect((await call("/console/api/approvals", { session })).status).toBe(401);
});

test("approvals: listed with the asking call's argument keys; decided by console:<user> with the reason in the audit; bad inputs refused", async () => {
  const session = await signIn("alice");
  const asked = await gate.gate({ grantId: "g1", tool: "stop_salesbot", argsDigest: "a".repeat(64), policyVersion: "v1", ttlMs: 600_000, decisionId: "dec_1", cancelled: () => false });
  if (asked.kind !== "deny") throw new Error("expected approval_required");
  hub.publish({ time: "t", decisionId: "dec_1", grant: "g1", session: "s", tool: "stop_salesbot", decision: "deny", code: "approval_required", rule: "/tools/stop_salesbot/approval", argKeys: ["bot_id", "entity_id"], argsSha256: "a".repeat(64), policyVersion: "v1", approvalId: asked.record.id, latencyMs: null, outcome: "denied" } as never);
  const listed = await call("/console/api/approvals", { session });
  expect(listed.body.pending).toEqual([expect.objectContaining({ id: asked.record.id, tool: "stop_salesbot", argKeys: ["bot_id", "entity_id"], expiresAtMs: clock.nowMs() + 600_000 })]);
  expect((listed.body.pending as object[])[0]).not.toHaveProperty("args"); // values only with --console-show-args
  const id = asked.record.id;
  expect((await call(`/console/api/approvals/${id}/approve`, { body: { reason: "x".repeat(501) }, session })).status).toBe(400);
  expect((await call(`/console/api/approvals/${id}/approve`, { body: { by: "mallory" }, session })).status).toBe(400);
  expect((await call(`/console/api/approvals/${id}/approve`, { method: "GET", session })).status).toBe(405);
  expect((await call(`/console/api/approvals/${id}/maybe`, { body: {}, session })).status).toBe(404);
  expect((await call("/console/api/approvals/apr_nope/deny", { body: {}, session })).body.error?.code).toBe("unknown_approval");
  expect((await call("/console/api/approvals/%E0%A4%A/deny", { body: {}, session })).body.error?.code).toBe("invalid_path");
  const approved = await call(`/console/api/approvals/${id}/approve`, { body: { reason: "looked at it" }, session });
  expect(approved.status).toBe(200);
  expect(audit.filter((l) => "step" in l && l.step === "approved")).toEqual([expect.objectContaining({ approvalId: id, decidedBy: "console:alice", reason: "looked at it" })]);
  expect((await call(`/console/api/approvals/${id}/deny`, { body: {}, session })).body.error?.code).toBe("approval_decided");
});

test("servers and counters: every tool with its risk and state now; an unknown grant or refresh value is refused", async () => {
  const session = await signIn();
  const servers = await call("/console/api/servers", { session });
  expect(servers.status).toBe(200);
  const tools = (servers.body.servers as Array<{ state: string; tools: Array<{ name: string; risk: string; state: string; counters: Array<{ used?: number; max: number }> }> }>)[0]!;
  expect(tools.state).toBe("up");
  expect(tools.tools.map((t) => [t.name, t.risk, t.state])).toEqual([["stop_salesbot", "execute", "approval"], ["get_leads", "read", "deny"]]);
  expect(tools.tools[0]!.counters).toEqual([expect.objectContaining({ counter: "stops", max: 10, used: 0, resetInMs: 50_000 })]);
  expect((await call("/console/api/servers?grant=nobody", { session })).body.error).toEqual({ code: "unknown_grant", message: "query `grant`: found `nobody`, expected one of g1" });
  expect((await call("/console/api/servers?refresh=2", { session })).status).toBe(400);
  expect((await call("/console/api/servers", { method: "POST", body: {}, session })).status).toBe(405);
  expect((await call("/console/api/counters", { session })).body.counters).toEqual([expect.objectContaining({ counter: "stops", key: "grant:g1|stops" })]);
});

test("policy editor: a stale base is refused with the diff, an invalid edit with its issues; neither writes; a good one is written atomically and applied", async () => {
  const session = await signIn();
  const original = readFileSync(policyFile, "utf8");
  const read = await call("/console/api/policy", { session });
  expect(read.body).toMatchObject({ index: 0, file: policyFile, text: original, sha256: sha256Of(original) });
  expect((await call("/console/api/policy?file=3", { session })).body.error).toEqual({ code: "unknown_file", message: "`file`: found `3`, expected a number from 0 to 0" });
  const edited = JSON.parse(original) as typeof POLICY;
  edited.tools.stop_salesbot.limits[0]!.max = -1;
  const check = await call("/console/api/policy/check", { body: { file: 0, text: JSON.stringify(edited) }, session });
  expect(check.body.issues).toEqual([{ path: "tools.stop_salesbot.limits[0].max", message: "found `-1`, expected a number ≥ 0", line: `${policyFile}: tools.stop_salesbot.limits[0].max: found \`-1\`, expected a number ≥ 0` }]);
  expect(check.body.diff).toEqual(expect.arrayContaining([{ op: "-", text: '          "max": 10' }, { op: "+", text: '          "max": -1' }]));
  expect((await call("/console/api/policy/check", { body: { file: 0 }, session })).status).toBe(400);
  const invalid = await call("/console/api/policy/save", { body: { file: 0, text: JSON.stringify(edited), baseSha256: sha256Of(original) }, session });
  expect(invalid.status).toBe(422);
  expect(readFileSync(policyFile, "utf8")).toBe(original);
  expect((await call("/console/api/policy/save", { body: { file: 0, text: original, baseSha256: "abc" }, session })).status).toBe(400);
  edited.tools.stop_salesbot.limits[0]!.max = 5;
  const stale = await call("/console/api/policy/save", { body: { file: 0, text: JSON.stringify(edited, null, 2), baseSha256: sha256Of("something else") }, session });
  expect(stale.status).toBe(409);
  expect(stale.body.error?.code).toBe("file_changed");
  expect(stale.body.diff).toEqual(expect.arrayContaining([{ op: "+", text: '          "max": 5' }]));
  expect(readFileSync(policyFile, "utf8")).toBe(original);
  const saved = await call("/console/api/policy/save", { body: { file: 0, text: `${JSON.stringify(edited, null, 2)}\n`, baseSha256: sha256Of(original) }, session });
  expect(saved.status).toBe(200);
  expect(saved.body).toMatchObject({ kind: "saved", reload: "applied" });
  expect(policies.current?.tools.get("stop_salesbot")?.limits[0]?.max).toBe(5);
  expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  expect((await call("/console/api/policy/save", { body: { file: 0, text: original, baseSha256: sha256Of(original) }, session })).status).toBe(409); // the base moved
});

test("activity: filters are checked, a decision id opens its record, and the stream sends each new line", async () => {
  const session = await signIn();
  expect((await call("/console/api/activity?colour=red", { session })).body.error).toEqual({ code: "invalid_query", message: "unknown query parameter `colour`; expected grant, server, tool, decision, code, limit" });
  expect((await call("/console/api/activity?decision=maybe", { session })).status).toBe(400);
  expect((await call("/console/api/activity?limit=0", { session })).status).toBe(400);
  expect((await call("/console/api/activity?tool=stop_salesbot&decision=deny", { session })).body.lines).toEqual([expect.objectContaining({ decisionId: "dec_1" })]);
  expect((await call("/console/api/activity?code=rate_limited", { session })).body.lines).toEqual([]);
  expect((await call("/console/api/decisions/dec_1", { session })).body).toMatchObject({ decision: { decisionId: "dec_1" }, approvalSteps: [{ step: "pending" }] });
  expect((await call("/console/api/decisions/dec_nope", { session })).status).toBe(404);
  expect((await call("/console/api/activity/stream?decision=x", { session })).status).toBe(400);
  const controller = new AbortController();
  const stream = await fetch(`${base}/console/api/activity/stream?tool=get_leads`, { headers: { Cookie: session.cookie }, signal: controller.signal });
  expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = stream.body!.getReader();
  await reader.read(); // the opening comment
  hub.publish({ time: "t", decisionId: "dec_other", grant: "g1", session: "s", tool: "stop_salesbot", decision: "allow", code: null, rule: null, argKeys: [], argsSha256: "b", policyVersion: "v", latencyMs: 1, outcome: "ok" } as never);
  hub.publish({ time: "t", decisionId: "dec_2", grant: "g1", session: "s", tool: "get_leads", decision: "deny", code: "default_deny", rule: "/default", argKeys: [], argsSha256: "b", policyVersion: "v", latencyMs: null, outcome: "denied" } as never);
  const chunk = new TextDecoder().decode((await reader.read()).value);
  expect(chunk).toMatch(/^event: line\ndata: \{"time":"t","decisionId":"dec_2",/);
  controller.abort();
  await expect.poll(() => hub.subscriberCount).toBe(0);
});
