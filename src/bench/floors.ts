/**
 * toolgate against the floors (issue 12): the same-run ratios to a bare stdio relay and a bare
 * `node:http` → stdio relay, the gateway's own start-up, and what OpenTelemetry costs when on.
 * Every ratio is taken per round (paths of one round ran back to back on the same machine
 * state), then reported as the median and spread of the rounds. Pure: numbers in, rows out.
 */
import type { PathRun } from "./orchestrator.js";
import { FLOOR_PATHS } from "./paths.js";
import { spreadOf, type Spread } from "./stats.js";

export interface FloorTarget {
  readonly target: string;
  /** Median and spread across rounds (start-up: across samples). */
  readonly measured: Spread;
  readonly unit: "×" | "ms";
  readonly limit: number;
  /** The numbers the ratio is made of (medians), for the reader. */
  readonly detail: string;
  /** undefined: not measured in this run. */
  readonly met: boolean | undefined;
}

export interface OtelCost {
  /** toolgate with OpenTelemetry on minus off, per round. */
  readonly deltaP50Us: Spread;
  readonly deltaCpuUsPerCall: Spread;
  readonly ratioCpu: Spread;
}

export interface FloorInputs {
  readonly runs: readonly PathRun[];
  /** Spawn → `started` of `toolgate serve` on stdio, one per sample. */
  readonly startupMs: readonly number[];
}

export const TARGETS = { stdioAdded: 1.1, stdioCpu: 1.25, httpP50: 1.05, startupMs: 150 } as const;

type Metric = (run: PathRun) => number | undefined;
const p50: Metric = (r) => r.client?.sequential.p50Us;
const cpuAt16: Metric = (r) => r.client?.load.cpu.rootUs;

function ok(run: PathRun): boolean {
  return run.client !== undefined && run.error === undefined;
}

/** For every round in which all `paths` ran cleanly: `f` of their runs (in the order given). */
export function perRound(runs: readonly PathRun[], paths: readonly string[], f: (...runs: PathRun[]) => number): Spread {
  const rounds = [...new Set(runs.map((r) => r.round))].sort((a, b) => a - b);
  const values: number[] = [];
  for (const round of rounds) {
    const found = paths.map((p) => runs.find((r) => r.path === p && r.round === round && ok(r)));
    if (found.every((r) => r !== undefined)) values.push(f(...(found as PathRun[])));
  }
  return spreadOf(values);
}

/** The median over rounds of one metric of one path. */
function medianOf(runs: readonly PathRun[], path: string, metric: Metric): number {
  return spreadOf(runs.filter((r) => r.path === path && ok(r)).map((r) => metric(r) ?? Number.NaN)).median;
}

function judge(s: Spread, limit: number): boolean | undefined {
  return s.n > 0 && Number.isFinite(s.median) ? s.median <= limit : undefined;
}

function us(v: number): string {
  return Number.isFinite(v) ? `${Math.round(v)} µs` : "n/a";
}

export function floorTargets(input: FloorInputs): FloorTarget[] {
  const { runs } = input;
  const { stdioRelay, httpRelay } = FLOOR_PATHS;
  const m = (path: string, metric: Metric): number => medianOf(runs, path, metric);

  const stdioAdded = perRound(runs, ["toolgate-stdio", stdioRelay, "direct-stdio"], (t, r, d) => (p50(t)! - p50(d)!) / (p50(r)! - p50(d)!));
  const stdioCpu = perRound(runs, ["toolgate-stdio", stdioRelay], (t, r) => cpuAt16(t)! / cpuAt16(r)!);
  const httpP50 = perRound(runs, ["toolgate-http", httpRelay], (t, r) => p50(t)! / p50(r)!);
  const startup = spreadOf([...input.startupMs]);
  return [
    {
      target: `stdio: added p50 over direct ≤ ${TARGETS.stdioAdded}× the bare relay's`,
      measured: stdioAdded,
      unit: "×",
      limit: TARGETS.stdioAdded,
      detail: `toolgate +${us(m("toolgate-stdio", p50) - m("direct-stdio", p50))}, relay +${us(m(stdioRelay, p50) - m("direct-stdio", p50))}`,
      met: judge(stdioAdded, TARGETS.stdioAdded),
    },
    {
      target: `stdio: CPU per call @16 ≤ ${TARGETS.stdioCpu}× the bare relay's`,
      measured: stdioCpu,
      unit: "×",
      limit: TARGETS.stdioCpu,
      detail: `toolgate ${us(m("toolgate-stdio", cpuAt16))}, relay ${us(m(stdioRelay, cpuAt16))}`,
      met: judge(stdioCpu, TARGETS.stdioCpu),
    },
    {
      target: `HTTP: p50 ≤ ${TARGETS.httpP50}× the bare node:http relay's`,
      measured: httpP50,
      unit: "×",
      limit: TARGETS.httpP50,
      detail: `toolgate ${us(m("toolgate-http", p50))}, relay ${us(m(httpRelay, p50))}`,
      met: judge(httpP50, TARGETS.httpP50),
    },
    {
      target: `start-up (spawn to ready, upstream excluded) ≤ ${TARGETS.startupMs} ms`,
      measured: startup,
      unit: "ms",
      limit: TARGETS.startupMs,
      detail: `${startup.n} sample(s)`,
      met: judge(startup, TARGETS.startupMs),
    },
  ];
}

/** OpenTelemetry on (`toolgate-stdio-otel`) against off (`toolgate-stdio`), same round. */
export function otelCost(runs: readonly PathRun[]): OtelCost | undefined {
  const pair = [FLOOR_PATHS.otel, "toolgate-stdio"];
  const deltaCpuUsPerCall = perRound(runs, pair, (on, off) => cpuAt16(on)! - cpuAt16(off)!);
  if (deltaCpuUsPerCall.n === 0) return undefined;
  return {
    deltaP50Us: perRound(runs, pair, (on, off) => p50(on)! - p50(off)!),
    deltaCpuUsPerCall,
    ratioCpu: perRound(runs, pair, (on, off) => cpuAt16(on)! / cpuAt16(off)!),
  };
}

function value(s: Spread, unit: FloorTarget["unit"]): string {
  if (s.n === 0 || !Number.isFinite(s.median)) return "n/a";
  const f = (v: number): string => (unit === "×" ? `×${v.toFixed(2)}` : `${Math.round(v)} ms`);
  return s.n === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}…${f(s.max)})`;
}

function signed(s: Spread): string {
  if (s.n === 0) return "n/a";
  const f = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)}`;
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}…${f(s.max)})`;
}

/** The floors section of the report, as Markdown. */
export function renderFloors(targets: readonly FloorTarget[], otel: OtelCost | undefined): string {
  const rows = targets.map((t) => `| ${t.target} | ${value(t.measured, t.unit)} | ${t.detail} | ${t.met === undefined ? "not measured" : t.met ? "yes" : "NO"} |`);
  const out = ["| against the floor (same run) | measured (median, spread) | from | met |", "|---|---|---|---|", ...rows];
  if (otel) {
    out.push("");
    out.push(`OpenTelemetry on (loopback OTLP receiver) vs off, same round: CPU per call @16 ${signed(otel.deltaCpuUsPerCall)} µs (${value(otel.ratioCpu, "×")}), p50 ${signed(otel.deltaP50Us)} µs`);
  }
  return out.join("\n");
}
