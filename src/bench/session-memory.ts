/**
 * The cost of a session (bench section `sessions`): `toolgate serve --listen` in front of the bench
 * upstream (the SDK server, with a `hold` tool that never answers), run once per sharing mode.
 * After one warm session, N idle sessions are opened (initialize + initialized, no GET stream, as
 * an SDK 1.x client leaves them) and RSS is read again; then, with a shared upstream, P calls to
 * `hold` are left pending across those sessions and RSS is read a third time. Figures are RSS
 * deltas divided by N or P, for the gateway process alone and for the whole tree (the gateway
 * and its upstream children), each the median of a few readings after the process settled.
 */
import { request } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../core/clock.js";
import { descendantPids, rssBytes } from "./procfs.js";
import { freePort, spawnTracked, stopTree, waitForPort } from "./processes.js";

export interface SessionMemoryPlan {
  /** Idle sessions opened with a shared upstream, and with one upstream per session. */
  readonly sharedSessions: number;
  readonly ownSessions: number;
  /** Calls left pending (shared upstream). */
  readonly pendingCalls: number;
}

export const SESSION_MEMORY_FULL: SessionMemoryPlan = { sharedSessions: 200, ownSessions: 6, pendingCalls: 500 };
export const SESSION_MEMORY_QUICK: SessionMemoryPlan = { sharedSessions: 50, ownSessions: 2, pendingCalls: 100 };

export interface RssPoint {
  readonly gatewayBytes: number;
  readonly treeBytes: number;
  readonly children: number;
}

export interface SessionMemoryCase {
  readonly sharing: "auto" | "per-session";
  readonly sessions: number;
  readonly base: RssPoint;
  readonly idle: RssPoint;
  readonly gatewayBytesPerIdleSession: number;
  readonly treeBytesPerIdleSession: number;
  /** Shared upstream only. */
  readonly pending?: { readonly calls: number; readonly point: RssPoint; readonly gatewayBytesPerCall: number; readonly treeBytesPerCall: number };
}

export interface SessionMemoryReport {
  readonly cases: readonly SessionMemoryCase[];
}

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

export async function runSessionMemoryBench(root: string, workerJs: string, dir: string, plan: SessionMemoryPlan): Promise<SessionMemoryReport> {
  const policyFile = join(dir, "sessions-policy.json");
  writeFileSync(policyFile, JSON.stringify({ version: "1", default: "allow" }));
  const shared = await measure(root, workerJs, policyFile, "auto", plan.sharedSessions, plan.pendingCalls);
  const own = await measure(root, workerJs, policyFile, "per-session", plan.ownSessions, 0);
  return { cases: [shared, own] };
}

async function measure(root: string, workerJs: string, policyFile: string, sharing: "auto" | "per-session", sessions: number, pendingCalls: number): Promise<SessionMemoryCase> {
  const port = await freePort();
  const cap = String(sessions + 10);
  const upstream = `${process.execPath} ${workerJs} upstream-stdio`;
  const proc = spawnTracked(
    process.execPath,
    [join(root, "bin/toolgate.mjs"), "serve", "--listen", `127.0.0.1:${port}`, "--policy", policyFile, "--upstream-cmd", upstream, "--upstream-env", "BENCH_UPSTREAM_HOLD=1", "--upstream-sharing", sharing, "--max-sessions", cap, "--max-sessions-per-grant", cap, "--max-in-flight", String(pendingCalls + 10), "--log-level", "warn"],
    { cwd: root },
  );
  const url = `http://127.0.0.1:${port}/mcp`;
  const open: Array<() => void> = [];
  try {
    await waitForPort(port, 20_000, proc);
    const warm = await openSession(url);
    await callOnce(url, warm, 1);
    const base = await settledRss(proc.pid);
    const sids: string[] = [];
    for (let i = 0; i < sessions; i++) sids.push(await openSession(url));
    const idle = await settledRss(proc.pid);
    const result: SessionMemoryCase = {
      sharing,
      sessions,
      base,
      idle,
      gatewayBytesPerIdleSession: (idle.gatewayBytes - base.gatewayBytes) / sessions,
      treeBytesPerIdleSession: (idle.treeBytes - base.treeBytes) / sessions,
    };
    if (pendingCalls === 0) return result;
    for (let i = 0; i < pendingCalls; i++) open.push(holdCall(url, sids[i % sids.length]!, 1_000 + i));
    await waitFor(async () => (await health(url)).callsInFlight >= pendingCalls, 30_000, `${pendingCalls} calls in flight`);
    const point = await settledRss(proc.pid);
    return { ...result, pending: { calls: pendingCalls, point, gatewayBytesPerCall: (point.gatewayBytes - idle.gatewayBytes) / pendingCalls, treeBytesPerCall: (point.treeBytes - idle.treeBytes) / pendingCalls } };
  } finally {
    for (const abort of open) abort();
    await stopTree(proc, 5_000);
  }
}

/** Median of five readings, 200 ms apart, after a second of quiet. */
async function settledRss(pid: number): Promise<RssPoint> {
  await systemClock.sleep(1_000);
  const readings: RssPoint[] = [];
  for (let i = 0; i < 5; i++) {
    const children = descendantPids(pid);
    const gatewayBytes = rssBytes(pid) ?? 0;
    const treeBytes = gatewayBytes + children.reduce((sum, c) => sum + (rssBytes(c) ?? 0), 0);
    readings.push({ gatewayBytes, treeBytes, children: children.length });
    await systemClock.sleep(200);
  }
  const median = (pick: (p: RssPoint) => number): number => readings.map(pick).sort((a, b) => a - b)[2]!;
  return { gatewayBytes: median((p) => p.gatewayBytes), treeBytes: median((p) => p.treeBytes), children: median((p) => p.children) };
}

async function openSession(url: string): Promise<string> {
  const init = await fetch(url, { method: "POST", headers: HEADERS, body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } } }) });
  const sid = init.headers.get("mcp-session-id");
  await init.text();
  if (init.status !== 200 || sid === null) throw new Error(`initialize answered ${init.status}`);
  const done = await fetch(url, { method: "POST", headers: { ...HEADERS, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
  await done.text();
  return sid;
}

async function callOnce(url: string, sid: string, id: number): Promise<void> {
  const res = await fetch(url, { method: "POST", headers: { ...HEADERS, "mcp-session-id": sid }, body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "stop_salesbot", arguments: { bot_id: 1 } } }) });
  const text = await res.text();
  if (!text.includes("stopped 1")) throw new Error(`the warm-up call answered ${res.status}: ${text.slice(0, 200)}`);
}

/** A `hold` call on its own socket, left open; returns how to abort it. */
function holdCall(url: string, sid: string, id: number): () => void {
  const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "hold", arguments: {} } });
  const req = request(url, { method: "POST", agent: false, headers: { ...HEADERS, "mcp-session-id": sid, "content-length": Buffer.byteLength(body) } }, (res) => res.resume());
  req.on("error", () => undefined);
  req.end(body);
  return () => req.destroy();
}

async function health(url: string): Promise<{ sessions: number; callsInFlight: number }> {
  return (await (await fetch(url.replace(/\/mcp$/, "/health"))).json()) as { sessions: number; callsInFlight: number };
}

async function waitFor(check: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  for (let waited = 0; waited < boundMs; waited += 100) {
    if (await check()) return;
    await systemClock.sleep(100);
  }
  throw new Error(`no ${what} within ${boundMs} ms`);
}

/** The report's lines for this section. */
export function renderSessionMemory(report: SessionMemoryReport, fmt: (v: number) => string): string[] {
  const mib = (b: number): string => fmt(b / 1_048_576);
  const kib = (b: number): string => fmt(b / 1024);
  const kids = (n: number): string => `${n} ${n === 1 ? "child" : "children"}`;
  const out = ["| upstream | sessions | RSS gateway / tree before | after | per idle session, gateway | per idle session, tree | pending calls | per pending call, gateway | per pending call, tree |", "|---|---|---|---|---|---|---|---|---|"];
  for (const c of report.cases) {
    const label = c.sharing === "auto" ? "shared (auto)" : "per session";
    const p = c.pending;
    out.push(
      `| ${label} | ${c.sessions} | ${mib(c.base.gatewayBytes)} / ${mib(c.base.treeBytes)} MiB (${kids(c.base.children)}) | ${mib(c.idle.gatewayBytes)} / ${mib(c.idle.treeBytes)} MiB (${kids(c.idle.children)}) | ${kib(c.gatewayBytesPerIdleSession)} KiB | ${kib(c.treeBytesPerIdleSession)} KiB | ${p ? p.calls : "–"} | ${p ? `${kib(p.gatewayBytesPerCall)} KiB` : "–"} | ${p ? `${kib(p.treeBytesPerCall)} KiB` : "–"} |`,
    );
  }
  return out;
}
