/**
 * Turns a bench run into numbers people read: per path, the median and min–max spread across
 * rounds of every metric; the added latency of each proxy against its direct path (per round, same
 * round pairs, then median and spread); the targets of issue 8, each met, missed or not measured.
 */
import type { BenchResult, PathRun } from "./orchestrator.js";
import { PATHS } from "./paths.js";
import { renderSessionMemory } from "./session-memory.js";
import { floorTargets, otelCost, renderFloors } from "./floors.js";
import { median, spreadOf, type Spread } from "./stats.js";

export interface PathSummary {
  readonly path: string;
  readonly label: string;
  readonly rounds: number;
  readonly failedRounds: number;
  readonly metrics: Readonly<Record<MetricName, Spread>>;
}

const METRICS = {
  p50Us: (r) => r.client?.sequential.p50Us,
  p90Us: (r) => r.client?.sequential.p90Us,
  p99Us: (r) => r.client?.sequential.p99Us,
  meanUs: (r) => r.client?.sequential.meanUs,
  callsPerS: (r) => r.client?.load.callsPerS,
  wireCallsPerS: (r) => r.client?.wire?.callsPerS,
  rootCpuSeqUs: (r) => r.client?.sequential.cpu.rootUs,
  rootCpuLoadUs: (r) => r.client?.load.cpu.rootUs,
  rootCpuWireUs: (r) => r.client?.wire?.cpu.rootUs,
  childCpuLoadUs: (r) => r.client?.load.cpu.childrenUs,
  childCpuWireUs: (r) => r.client?.wire?.cpu.childrenUs,
  clientCpuWireUs: (r) => r.client?.wire?.cpu.clientUs,
  clientCpuSeqUs: (r) => r.client?.sequential.cpu.clientUs,
  clientCpuLoadUs: (r) => r.client?.load.cpu.clientUs,
  rssMiB: (r) => mib(r.client?.rss.afterLoadBytes),
  rssIdleMiB: (r) => mib(r.client?.rss.idleBytes),
  connectMs: (r) => r.client?.connectMs,
  startMs: (r) => r.startMs,
  foreignSeqCores: (r) => r.client?.sequential.cpu.foreignCores,
  foreignLoadCores: (r) => r.client?.load.cpu.foreignCores,
  foreignBeforeCores: (r) => r.foreignCoresBefore,
} satisfies Record<string, (run: PathRun) => number | undefined>;

export type MetricName = keyof typeof METRICS;

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 1_048_576;
}

export function summarizePaths(result: BenchResult): PathSummary[] {
  const out: PathSummary[] = [];
  for (const spec of PATHS) {
    const runs = result.runs.filter((r) => r.path === spec.id);
    if (runs.length === 0) continue;
    const metrics = {} as Record<MetricName, Spread>;
    for (const [name, get] of Object.entries(METRICS) as [MetricName, (r: PathRun) => number | undefined][]) {
      metrics[name] = spreadOf(runs.filter((r) => r.client && !r.error).map((r) => get(r) ?? Number.NaN));
    }
    out.push({ path: spec.id, label: spec.label, rounds: runs.length, failedRounds: runs.filter((r) => !r.client || r.error).length, metrics });
  }
  return out;
}

export interface Comparison {
  readonly path: string;
  readonly against: string;
  readonly deltaP50Us: Spread;
  readonly ratioP50: Spread;
  readonly deltaP99Us: Spread;
  readonly ratioP99: Spread;
  readonly ratioCallsPerS: Spread;
  readonly ratioWireCallsPerS: Spread;
  /** Proxy CPU per call at 16 in flight (wire client where there is one, else SDK client): path / against. */
  readonly ratioProxyCpu: Spread;
}

/** Per round: `path` against `against` (same round), then median and spread across rounds. */
export function compare(result: BenchResult, path: string, against: string): Comparison | undefined {
  const pairs: [PathRun, PathRun][] = [];
  for (const run of result.runs) {
    if (run.path !== path || !run.client || run.error) continue;
    const other = result.runs.find((r) => r.path === against && r.round === run.round && r.client && !r.error);
    if (other) pairs.push([run, other]);
  }
  if (pairs.length === 0) return undefined;
  const of = (f: (p: PathRun, a: PathRun) => number): Spread => spreadOf(pairs.map(([p, a]) => f(p, a)));
  return {
    path,
    against,
    deltaP50Us: of((p, a) => p.client!.sequential.p50Us - a.client!.sequential.p50Us),
    ratioP50: of((p, a) => p.client!.sequential.p50Us / a.client!.sequential.p50Us),
    deltaP99Us: of((p, a) => p.client!.sequential.p99Us - a.client!.sequential.p99Us),
    ratioP99: of((p, a) => p.client!.sequential.p99Us / a.client!.sequential.p99Us),
    ratioCallsPerS: of((p, a) => p.client!.load.callsPerS / a.client!.load.callsPerS),
    ratioWireCallsPerS: of((p, a) => (p.client!.wire?.callsPerS ?? Number.NaN) / (a.client!.wire?.callsPerS ?? Number.NaN)),
    ratioProxyCpu: of((p, a) => (p.client!.wire?.cpu.rootUs ?? p.client!.load.cpu.rootUs) / (a.client!.wire?.cpu.rootUs ?? a.client!.load.cpu.rootUs)),
  };
}

export function comparisons(result: BenchResult): Comparison[] {
  const out: Comparison[] = [];
  const add = (path: string, against: string): void => {
    const c = compare(result, path, against);
    if (c) out.push(c);
  };
  for (const spec of PATHS) if (spec.directOf) add(spec.id, spec.directOf);
  add("toolgate-stdio", "toolgate-stdio-js");
  add("toolgate-http", "mcp-proxy");
  add("toolgate-http", "supergateway");
  return out;
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

export function checkTargets(result: BenchResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const c = (path: string, against: string): Comparison | undefined => compare(result, path, against);
  const us = (s: Spread | undefined): string => (s && s.n > 0 ? `${fmt(s.median)} µs (${fmt(s.min)}…${fmt(s.max)})` : "n/a");
  const x = (s: Spread | undefined): string => (s && s.n > 0 ? `×${s.median.toFixed(2)} (${s.min.toFixed(2)}…${s.max.toFixed(2)})` : "n/a");
  const judge = (s: Spread | undefined, ok: (v: number) => boolean): boolean | undefined => (s && s.n > 0 ? ok(s.median) : undefined);

  const stdio = c("toolgate-stdio", "direct-stdio");
  checks.push({ target: "stdio: toolgate's added p50 ≤ 100 µs over direct stdio", measured: us(stdio?.deltaP50Us), met: judge(stdio?.deltaP50Us, (v) => v <= 100) });
  checks.push({ target: "stdio: toolgate's added p99 ≤ 500 µs over direct stdio", measured: us(stdio?.deltaP99Us), met: judge(stdio?.deltaP99Us, (v) => v <= 500) });
  for (const proxy of ["mcp-proxy", "supergateway"]) {
    const vs = c("toolgate-http", proxy);
    checks.push({ target: `HTTP→stdio: toolgate p50 ≤ ½ of ${proxy}'s`, measured: x(vs?.ratioP50), met: judge(vs?.ratioP50, (v) => v <= 0.5) });
    checks.push({ target: `HTTP→stdio: toolgate throughput @16 ≥ 3× ${proxy}'s (SDK client)`, measured: x(vs?.ratioCallsPerS), met: judge(vs?.ratioCallsPerS, (v) => v >= 3) });
    checks.push({ target: `HTTP→stdio: toolgate throughput @16 ≥ 3× ${proxy}'s (wire client)`, measured: x(vs?.ratioWireCallsPerS), met: judge(vs?.ratioWireCallsPerS, (v) => v >= 3) });
  }
  const vsDirect = c("toolgate-http", "direct-http");
  checks.push({ target: "HTTP→stdio: toolgate p50 below the SDK's direct Streamable HTTP", measured: x(vsDirect?.ratioP50), met: judge(vsDirect?.ratioP50, (v) => v < 1) });

  for (const [label, report] of [["plain JS", result.evaluator?.plainJs], ["through tsx", result.evaluator?.tsx]] as const) {
    const large = report?.cases.filter((k) => k.policy === "1000-tool") ?? [];
    const worst = large.length > 0 ? Math.max(...large.map((k) => k.nsPerDecision)) : undefined;
    checks.push({
      target: `evaluation ≤ 2 µs per decision, 1,000-tool policy (${label})`,
      measured: worst === undefined ? "n/a" : large.map((k) => `${k.decision} ${fmt(k.nsPerDecision)} ns`).join(", "),
      met: worst === undefined ? undefined : worst <= 2_000,
    });
  }
  const perReserve = result.stores?.redisCommandsPerReserve;
  checks.push({
    target: "Redis reservation is one round trip",
    measured: perReserve ? Object.entries(perReserve).map(([k, v]) => `${k} counter(s): ${v} command(s)`).join(", ") : "n/a",
    met: perReserve ? Object.values(perReserve).every((v) => v === 1) : undefined,
  });
  const clusterPerReserve = result.stores?.clusterCommandsPerReserve;
  const clusterMasters = result.stores?.clusterMastersTouched;
  checks.push({
    target: "Redis Cluster reservation is one round trip to one master",
    measured: clusterPerReserve ? Object.entries(clusterPerReserve).map(([k, v]) => `${k} counter(s): ${v} command(s) on ${clusterMasters?.[k] ?? "?"} master(s)`).join(", ") : "n/a",
    met: clusterPerReserve ? Object.values(clusterPerReserve).every((v) => v === 1) && Object.values(clusterMasters ?? {}).every((v) => v === 1) : undefined,
  });
  const soak = result.soak;
  checks.push({
    target: "soak: RSS after all calls within 10 % of RSS after the checkpoint",
    measured: soak ? `${(soak.rssGrowth * 100).toFixed(1)} % (${fmt(soak.checkpoint.rssBytes / 1_048_576)} → ${fmt(soak.end.rssBytes / 1_048_576)} MiB, ${soak.calls.toLocaleString("en")} calls)` : "n/a",
    met: soak ? Math.abs(soak.rssGrowth) <= 0.1 && soak.errors === 0 : undefined,
  });
  const shared = result.sessions?.cases.find((c) => c.sharing === "auto");
  checks.push({
    target: "≤ 1 MiB RSS per idle session with a shared upstream",
    measured: shared ? `${fmt(shared.treeBytesPerIdleSession / 1024)} KiB (tree), ${shared.sessions} sessions` : "n/a",
    met: shared ? shared.treeBytesPerIdleSession <= 1_048_576 : undefined,
  });
  return checks;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString("en");
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function cell(s: Spread, digits?: (v: number) => string): string {
  const f = digits ?? fmt;
  if (s.n === 0) return "–";
  if (s.n === 1 || s.min === s.max) return f(s.median);
  return `${f(s.median)} (${f(s.min)}…${f(s.max)})`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
  return lines.join("\n");
}

/** The whole report as Markdown (also what the terminal shows). */
export function renderMarkdown(result: BenchResult): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(`toolgate bench, ${result.startedAt}, ${result.durationS.toFixed(0)} s: ${result.settings.rounds} round(s); ${m.cpus}, ${m.cores} cores, ${m.memGiB.toFixed(0)} GiB; ${m.os}; Node ${m.node}`);
  out.push(`versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  out.push(`values: median of rounds (min…max). latency: ${result.settings.timedCalls.toLocaleString("en")} sequential tools/call after ${result.settings.warmupCalls} warm-up; throughput: ${result.settings.inflight} in flight for ${result.settings.loadMs / 1000} s (SDK client) and ${result.settings.wireLoadMs / 1000} s (wire client, HTTP only). CPU in µs per call.`);
  for (const [id, why] of Object.entries(result.skipped)) out.push(`skipped ${id}: ${why}`);
  const paths = summarizePaths(result);
  out.push("");
  out.push(
    table(
      ["path", "p50 µs", "p90 µs", "p99 µs", "calls/s @16 (SDK)", "calls/s @16 (wire)", "proxy CPU/call seq", "proxy CPU/call @16", "proxy CPU/call @16 wire", "upstream CPU/call @16", "client CPU/call @16 (wire)", "proxy RSS MiB", "start ms", "foreign cores seq/@16"],
      paths.map((p) => [
        p.failedRounds > 0 ? `${p.label} (${p.failedRounds} failed)` : p.label,
        cell(p.metrics.p50Us),
        cell(p.metrics.p90Us),
        cell(p.metrics.p99Us),
        cell(p.metrics.callsPerS),
        cell(p.metrics.wireCallsPerS),
        cell(p.metrics.rootCpuSeqUs),
        cell(p.metrics.rootCpuLoadUs),
        cell(p.metrics.rootCpuWireUs),
        cell(p.metrics.childCpuLoadUs),
        p.metrics.clientCpuWireUs.n > 0 ? `${fmt(p.metrics.clientCpuLoadUs.median)} (${fmt(p.metrics.clientCpuWireUs.median)})` : cell(p.metrics.clientCpuLoadUs),
        cell(p.metrics.rssMiB),
        cell(p.metrics.startMs.n > 0 ? p.metrics.startMs : p.metrics.connectMs),
        `${fmt(p.metrics.foreignSeqCores.median)}/${fmt(p.metrics.foreignLoadCores.median)} (max ${fmt(Math.max(p.metrics.foreignSeqCores.max, p.metrics.foreignLoadCores.max))})`,
      ]),
    ),
  );
  out.push("");
  out.push("Direct paths: the proxy column is the upstream server itself. start ms: spawn to listening (HTTP) or to an initialized client (stdio, includes spawning the server).");
  const comps = comparisons(result);
  if (comps.length > 0) {
    out.push("");
    out.push(
      table(
        ["path", "against", "Δp50 µs", "×p50", "Δp99 µs", "×p99", "×calls/s (SDK)", "×calls/s (wire)", "×proxy CPU/call @16"],
        comps.map((k) => [k.path, k.against, cell(k.deltaP50Us), cell(k.ratioP50, (v) => v.toFixed(2)), cell(k.deltaP99Us), cell(k.ratioP99, (v) => v.toFixed(2)), cell(k.ratioCallsPerS, (v) => v.toFixed(2)), cell(k.ratioWireCallsPerS, (v) => v.toFixed(2)), cell(k.ratioProxyCpu, (v) => v.toFixed(2))]),
      ),
    );
  }
  const floors = floorTargets({ runs: result.runs, startupMs: result.startupMs });
  out.push("");
  out.push(renderFloors(floors, otelCost(result.runs)));
  if (result.startupMs.length > 0) out.push(`start-up samples (spawn → \`started\`): toolgate serve ${result.startupMs.map((v) => v.toFixed(0)).join(", ")} ms; node alone (median) ${fmt(median([...result.startupNodeMs]))} ms`);
  if (result.startupError) out.push(`start-up failed: ${result.startupError}`);
  if (result.otlpReceived) out.push(`OTLP receiver got: ${Object.entries(result.otlpReceived.exports).map(([k, v]) => `${k} × ${v}`).join(", ") || "nothing"} (${fmt(result.otlpReceived.bytes / 1024)} KiB)`);
  const ev = result.evaluator;
  if (ev) {
    out.push("");
    if (ev.error) out.push(`evaluator failed: ${ev.error}`);
    const rows: string[][] = [];
    for (const [label, report] of [["plain JS", ev.plainJs], ["tsx", ev.tsx]] as const) {
      for (const k of report?.cases ?? []) rows.push([label, k.policy, k.decision, `${fmt(k.nsPerDecision)} (${fmt(k.nsPerDecisionMin)}…${fmt(k.nsPerDecisionMax)})`]);
    }
    if (rows.length > 0) out.push(table(["evaluator run as", "policy", "decision", "ns per decision"], rows));
  }
  const st = result.stores;
  if (st || result.storesError) {
    out.push("");
    if (result.storesError) out.push(`stores failed: ${result.storesError}`);
    if (st) {
      out.push(table(["store", "counters per reservation", "µs per reserve", "p99 µs"], st.cases.map((k) => [k.store, String(k.counters), fmt(k.usPerReserve), k.p99Us === undefined ? "–" : fmt(k.p99Us)])));
      if (st.redisPingUs !== undefined) out.push(`raw PING round trip to the private redis-server: ${fmt(st.redisPingUs)} µs (median)`);
      if (st.redisCommandBreakdown) out.push(`commands Redis received: ${Object.entries(st.redisCommandBreakdown).map(([k, v]) => `${k} × ${v}`).join("; ")}`);
      for (const note of st.notes) out.push(`note: ${note}`);
    }
  }
  const soak = result.soak;
  if (soak || result.soakError) {
    out.push("");
    if (result.soakError) out.push(`soak failed: ${result.soakError}`);
    if (soak) {
      const p = (x: { calls: number; rssBytes: number; heapUsedBytes: number; liveSlots: number }): string => `${x.calls.toLocaleString("en")} calls: RSS ${fmt(x.rssBytes / 1_048_576)} MiB, heap ${fmt(x.heapUsedBytes / 1_048_576)} MiB, ${x.liveSlots} live counter slots`;
      out.push(`soak (${soak.gcForced ? "after a forced GC" : "no forced GC"}): ${p(soak.start)} → ${p(soak.checkpoint)} → ${p(soak.end)}; RSS ${(soak.rssGrowth * 100).toFixed(1)} %, heap ${(soak.heapGrowth * 100).toFixed(1)} % from checkpoint to end; ${fmt(soak.virtualSpanMs / 1000)} virtual s (${soak.secondWindowsCrossed.toLocaleString("en")} one-second windows); ${fmt(soak.usPerCall)} µs per call in process; ${soak.errors} errors${soak.boundHit ? "; STOPPED AT ITS TIME BOUND" : ""}`);
    }
  }
  if (result.sessions || result.sessionsError) {
    out.push("");
    if (result.sessionsError) out.push(`sessions failed: ${result.sessionsError}`);
    if (result.sessions) out.push(...renderSessionMemory(result.sessions, fmt));
  }
  const rp = result.replay;
  if (rp) {
    out.push("");
    out.push(`replay: ${rp.calls.toLocaleString("en")} recorded calls (${fmt(rp.recordingBytes / 1_048_576)} MiB) in ${fmt(rp.replayMs / 1000)} s, ${Math.round(rp.callsPerS).toLocaleString("en")} calls/s, ${fmt(rp.cpuUsPerCall)} µs CPU per call, peak RSS ${fmt(rp.peakRssBytes / 1_048_576)} MiB; ${rp.changed.toLocaleString("en")} decisions changed (expected ${rp.expectedChanged.toLocaleString("en")})`);
  }
  if (result.replayError) out.push(`replay failed: ${result.replayError}`);
  out.push("");
  out.push(table(["target", "measured (median, spread)", "met"], checkTargets(result).map((t) => [t.target, t.measured, t.met === undefined ? "not measured" : t.met ? "yes" : "NO"])));
  const problems = result.runs.filter((r) => r.error || r.leftovers.length > 0);
  for (const r of problems) out.push(`round ${r.round} ${r.path}: ${r.error ?? ""}${r.leftovers.length > 0 ? ` leftover pids killed: ${r.leftovers.join(", ")}` : ""}`);
  return out.join("\n");
}
