import { expect, test } from "vitest";
import { floorTargets, otelCost, perRound, renderFloors, TARGETS } from "../../../src/bench/floors.js";
import type { PathRun } from "../../../src/bench/orchestrator.js";

/** A path run carrying only what the floors read: sequential p50 and root CPU per call at 16 in flight. */
function run(path: string, round: number, p50Us: number, cpuAt16Us: number, error?: string): PathRun {
  return {
    path,
    round,
    quietWaitMs: 0,
    foreignCoresBefore: 0,
    startMs: undefined,
    error,
    leftovers: [],
    client: { sequential: { p50Us }, load: { cpu: { rootUs: cpuAt16Us } } } as unknown as PathRun["client"],
  };
}

const ROUNDS: PathRun[] = [
  // round 1: direct 100, relay 150 (+50), toolgate 155 (+55): ×1.10; CPU 30 vs 24: ×1.25
  run("direct-stdio", 1, 100, 20),
  run("relay-stdio", 1, 150, 24),
  run("toolgate-stdio", 1, 155, 30),
  run("relay-http", 1, 1_000, 100),
  run("toolgate-http", 1, 1_100, 120),
  run("toolgate-stdio-otel", 1, 165, 36),
  // round 2: direct 100, relay 140 (+40), toolgate 180 (+80): ×2.00; CPU 40 vs 20: ×2.00
  run("direct-stdio", 2, 100, 20),
  run("relay-stdio", 2, 140, 20),
  run("toolgate-stdio", 2, 180, 40),
  run("relay-http", 2, 1_000, 100),
  run("toolgate-http", 2, 1_040, 110),
  run("toolgate-stdio-otel", 2, 200, 44),
  // round 3: toolgate failed, so the round counts for nothing that needs it
  run("direct-stdio", 3, 100, 20),
  run("relay-stdio", 3, 150, 20),
  run("toolgate-stdio", 3, 1, 1, "1 call(s) failed"),
];

test("a same-run ratio is taken per round, over the rounds in which every path it needs ran cleanly", () => {
  const s = perRound(ROUNDS, ["toolgate-stdio", "relay-stdio"], (t, r) => t.client!.sequential.p50Us / r.client!.sequential.p50Us);
  expect(s.n).toBe(2);
  expect(s.min).toBeCloseTo(155 / 150);
  expect(s.max).toBeCloseTo(180 / 140);
});

test("stdio added latency is toolgate's p50 over direct divided by the relay's, and CPU per call is toolgate's over the relay's", () => {
  const [added, cpu, http, startup] = floorTargets({ runs: ROUNDS, startupMs: [140, 120, 200] });
  expect(added!.measured).toMatchObject({ n: 2, min: 55 / 50, max: 2 });
  expect(added!.measured.median).toBeCloseTo((1.1 + 2) / 2);
  expect(added!.met).toBe(false);
  expect(cpu!.measured).toMatchObject({ n: 2, min: 1.25, max: 2 });
  expect(cpu!.met).toBe(false);
  expect(http!.measured.median).toBeCloseTo((1.1 + 1.04) / 2);
  expect(http!.met).toBe(false);
  expect(startup!.measured).toMatchObject({ median: 140, n: 3 });
  expect(startup!.met).toBe(true);
  expect(startup!.limit).toBe(TARGETS.startupMs);
});

test("a ratio exactly at its limit meets the target", () => {
  const [added, cpu] = floorTargets({ runs: ROUNDS.filter((r) => r.round === 1), startupMs: [] });
  expect(added!.measured.median).toBeCloseTo(1.1);
  expect(cpu!.met).toBe(true);
});

test("a target whose paths did not run is not measured, rather than met or missed", () => {
  const targets = floorTargets({ runs: ROUNDS.filter((r) => r.path !== "relay-http"), startupMs: [] });
  expect(targets[2]!.met).toBeUndefined();
  expect(targets[3]!.met).toBeUndefined();
  expect(renderFloors(targets, undefined)).toContain("| HTTP: p50 ≤ 1.05× the bare node:http relay's | n/a |");
});

test("OpenTelemetry's cost is the on path minus the off path of the same round", () => {
  const cost = otelCost(ROUNDS)!;
  expect(cost.deltaCpuUsPerCall).toMatchObject({ median: 5, min: 4, max: 6, n: 2 });
  expect(cost.deltaP50Us).toMatchObject({ min: 10, max: 20 });
  expect(otelCost(ROUNDS.filter((r) => r.path !== "toolgate-stdio-otel"))).toBeUndefined();
});

test("the floors table shows each ratio with its spread, what it is made of, and whether it is met", () => {
  const text = renderFloors(floorTargets({ runs: ROUNDS, startupMs: [140] }), otelCost(ROUNDS));
  const lines = text.split("\n");
  expect(lines[0]).toBe("| against the floor (same run) | measured (median, spread) | from | met |");
  expect(lines[2]).toBe("| stdio: added p50 over direct ≤ 1.1× the bare relay's | ×1.55 (×1.10…×2.00) | toolgate +68 µs, relay +50 µs | NO |");
  expect(lines[5]).toBe("| start-up (spawn to ready, upstream excluded) ≤ 150 ms | 140 ms | 1 sample(s) | yes |");
  expect(text).toContain("CPU per call @16 +5.0 (+4.0…+6.0) µs (×1.15 (×1.10…×1.20)), p50 +15.0 (+10.0…+20.0) µs");
});

test("the default run has the floors, the OpenTelemetry path and the start-up and replay sections; the esbuild bundle only when named", async () => {
  const { parseBenchArgs } = await import("../../../src/cli/bench.js");
  const defaults = parseBenchArgs([], {}, "/tmp").settings;
  expect(defaults.paths).toEqual(expect.arrayContaining(["relay-stdio", "relay-http", "toolgate-stdio-otel"]));
  expect(defaults.paths).not.toContain("toolgate-stdio-js");
  expect(defaults.sections).toEqual(["startup", "evaluator", "stores", "soak", "sessions", "replay"]);
  expect(parseBenchArgs(["--only", "toolgate-stdio-js,replay"], {}, "/tmp").settings).toMatchObject({ paths: ["toolgate-stdio-js"], sections: ["replay"] });
});
