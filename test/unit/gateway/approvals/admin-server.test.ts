import { afterEach, expect, test } from "vitest";
import { systemClock } from "../../../../src/core/clock.js";
import { VirtualClock } from "../../../../src/core/virtual-clock.js";
import { AdminClient } from "../../../../src/gateway/approvals/admin-client.js";
import { startAdminServer, type AdminServer } from "../../../../src/gateway/approvals/admin-server.js";
import { ApprovalGate } from "../../../../src/gateway/approvals/approval-gate.js";
import type { ApprovalAuditRecord } from "../../../../src/gateway/approvals/approval-audit.js";
import { MemoryApprovalStore } from "../../../../src/stores/memory-approval-store.js";

const TOKEN = "admin-token-0123456789abcdef";
let server: AdminServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup() {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const audit: ApprovalAuditRecord[] = [];
  const gate = new ApprovalGate({ store: new MemoryApprovalStore({ clock }), clock, audit: (r) => audit.push(r) });
  server = await startAdminServer({ gate, token: TOKEN, port: 0 });
  const ask = async (tool = "stop_salesbot", digest = "d1") =>
    (await gate.store.request({ grantId: "alice", tool, argsDigest: digest, policyVersion: "sha256:v1", ttlMs: 600_000 })).record;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const http = (path: string, init: RequestInit = {}, token: string | null = TOKEN): Promise<Omit<Response, "json"> & { json(): Promise<any> }> =>
    fetch(`${server!.url}${path}`, { ...init, headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string> | undefined) } });
  return { clock, gate, audit, ask, http };
}

test("the admin API listens on a loopback port", async () => {
  await setup();
  expect(server!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

test("requests without the admin token, with a wrong one or a malformed header get 401 with WWW-Authenticate: Bearer", async () => {
  const { http } = await setup();
  for (const [token, header] of [[null, undefined], ["wrong-token-0123456789", undefined], [null, `Basic ${TOKEN}`], [null, `Bearer`], [null, `bearer ${TOKEN}`]] as const) {
    const response = await http("/approvals", header === undefined ? {} : { headers: { Authorization: header } }, token);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="toolgate-admin"');
    expect(await response.json()).toEqual({ error: { code: "unauthorized", message: "the admin API needs `Authorization: Bearer <admin token>`" } });
  }
});

test("the listing shows every approval newest first, in wire form, and filters by state", async () => {
  const { clock, ask, http, gate } = await setup();
  const a = await ask("t", "a");
  await clock.advanceBy(1_000);
  const b = await ask("t", "b");
  await gate.decide(b.id, "denied");
  const all = await (await http("/approvals")).json();
  expect(all.approvals.map((r: { id: string }) => r.id)).toEqual([b.id, a.id]);
  expect(all.approvals[1]).toEqual({
    id: a.id,
    state: "pending",
    grant: "alice",
    tool: "t",
    argsSha256: "a",
    policyVersion: "sha256:v1",
    createdAt: "2026-01-01T00:00:00.000Z",
    expiresAt: "2026-01-01T00:10:00.000Z",
  });
  const pending = await (await http("/approvals?state=pending")).json();
  expect(pending.approvals.map((r: { id: string }) => r.id)).toEqual([a.id]);
  const bad = await http("/approvals?state=open");
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBe("invalid_query");
});

test("approve decides a pending approval, records who did it, and audits it", async () => {
  const { ask, http, audit } = await setup();
  const a = await ask();
  const response = await http(`/approvals/${a.id}/approve`, { method: "POST", body: JSON.stringify({ by: "carol" }) });
  expect(response.status).toBe(200);
  expect((await response.json()).approval).toMatchObject({ id: a.id, state: "approved", decidedBy: "carol", decidedAt: "2026-01-01T00:00:00.000Z" });
  expect(audit).toEqual([expect.objectContaining({ step: "approved", approvalId: a.id, decidedBy: "carol" })]);
  expect((await (await http(`/approvals/${a.id}`)).json()).approval.state).toBe("approved");
});

test("deciding twice is a 409 naming the state; an unknown id is a 404; an expired one a 409", async () => {
  const { clock, ask, http } = await setup();
  const a = await ask("t", "a");
  expect((await http(`/approvals/${a.id}/deny`, { method: "POST" })).status).toBe(200);
  const twice = await http(`/approvals/${a.id}/approve`, { method: "POST" });
  expect(twice.status).toBe(409);
  expect(await twice.json()).toMatchObject({ error: { code: "approval_decided", message: `approval \`${a.id}\` is already denied` }, approval: { state: "denied" } });
  const unknown = await http("/approvals/apr_nope/approve", { method: "POST" });
  expect(unknown.status).toBe(404);
  expect((await unknown.json()).error).toEqual({ code: "unknown_approval", message: "no approval `apr_nope`" });
  expect((await http("/approvals/apr_nope")).status).toBe(404);
  const b = await ask("t", "b");
  await clock.advanceBy(600_000);
  const expired = await http(`/approvals/${b.id}/approve`, { method: "POST" });
  expect(expired.status).toBe(409);
  expect((await expired.json()).error.code).toBe("approval_expired");
});

test("browser requests, wrong methods, unknown routes and bad bodies are refused", async () => {
  const { ask, http } = await setup();
  const a = await ask();
  expect((await http("/approvals", { headers: { Origin: "http://evil.example" } })).status).toBe(403);
  const get = await http(`/approvals/${a.id}/approve`);
  expect(get.status).toBe(405);
  expect(get.headers.get("allow")).toBe("POST");
  expect((await http("/approvals", { method: "DELETE" })).status).toBe(405);
  expect((await http("/metrics")).status).toBe(404);
  expect((await http(`/approvals/${a.id}/maybe`, { method: "POST" })).status).toBe(404);
  const notJson = await http(`/approvals/${a.id}/approve`, { method: "POST", body: "yes" });
  expect(notJson.status).toBe(400);
  const unknownKey = await http(`/approvals/${a.id}/approve`, { method: "POST", body: JSON.stringify({ by: "x", force: true }) });
  expect(unknownKey.status).toBe(400);
  expect((await unknownKey.json()).error.code).toBe("invalid_body");
  const big = await http(`/approvals/${a.id}/approve`, { method: "POST", body: JSON.stringify({ by: "x".repeat(20_000) }) });
  expect(big.status).toBe(413);
  expect((await http(`/approvals/${a.id}`)).status).toBe(200);
  expect((await (await http(`/approvals/${a.id}`)).json()).approval.state).toBe("pending");
});

test("the admin API refuses to listen on a non-loopback address", async () => {
  const clock = new VirtualClock();
  const gate = new ApprovalGate({ store: new MemoryApprovalStore({ clock }), clock });
  await expect(startAdminServer({ gate, token: TOKEN, host: "0.0.0.0", port: 0 })).rejects.toThrow(
    "the approvals admin API listens on loopback only; found host `0.0.0.0`, expected 127.0.0.1, ::1 or localhost",
  );
});

test("the admin client lists, approves and reports errors as values", async () => {
  const { ask } = await setup();
  const a = await ask();
  const client = new AdminClient({ url: server!.url, token: TOKEN, clock: systemClock });
  const listed = await client.list();
  expect(listed).toMatchObject({ ok: true, value: [{ id: a.id, state: "pending" }] });
  expect(await client.decide(a.id, "approve", "erin")).toMatchObject({ ok: true, value: { state: "approved", decidedBy: "erin" } });
  expect(await client.decide(a.id, "deny")).toMatchObject({ ok: false, status: 409, code: "approval_decided" });
  const wrong = new AdminClient({ url: server!.url, token: "not-the-token-at-all", clock: systemClock });
  expect(await wrong.list()).toMatchObject({ ok: false, status: 401, code: "unauthorized" });
  const port = server!.port;
  await server!.close();
  server = undefined;
  expect(await client.list()).toMatchObject({ ok: false, status: undefined, code: "unreachable", message: expect.stringContaining(`127.0.0.1:${port}`) });
});

test("an approval id that is not valid percent-encoding is a 400 naming the path, not a server error", async () => {
  const { http } = await setup();
  const response = await http("/approvals/apr_%E0%A4%A");
  expect(response.status).toBe(400);
  expect(await response.json()).toEqual({ error: { code: "invalid_path", message: "the approval id in `/approvals/apr_%E0%A4%A` is not valid percent-encoding" } });
});
