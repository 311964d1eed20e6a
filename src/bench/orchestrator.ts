/**
 * One bench run: every selected path, interleaved and repeated (round r starts at path r, so no
 * path always runs first or last), each after a bounded wait for the machine to be quiet, with the
 * gateway's start-up sampled after each round; then the sections (`sections.ts`: evaluator,
 * stores, soak, the cost of a session, replay). Every child is stopped and checked for leftovers; every phase is bounded
 * in time and in count.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { monotonicNs, systemClock } from "../core/clock.js";
import type { ClientPlan, ClientReport } from "./bench-client.js";
import { buildBenchArtifacts } from "./bench-build.js";
import { BENCH_POLICY, FLOOR_PATHS, PATHS, type PathContext, type PathSpec } from "./paths.js";
import { machineBusyUs } from "./procfs.js";
import { SESSION_MEMORY_FULL, SESSION_MEMORY_QUICK, type SessionMemoryPlan } from "./session-memory.js";
import { startOtlpSink, type OtlpSink } from "./otlp-sink.js";
import { runSections, type SectionResults } from "./sections.js";
import { runStartupBench } from "./startup-bench.js";
import { leftoverProcesses } from "./leftovers.js";
import { runToResult } from "./processes.js";
import { messageOf } from "../core/errors.js";

export const SECTIONS = ["startup", "evaluator", "stores", "soak", "sessions", "replay"] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchSettings {
  readonly rounds: number;
  readonly warmupCalls: number;
  readonly timedCalls: number;
  readonly timedBoundMs: number;
  readonly inflight: number;
  readonly loadMs: number;
  readonly wireLoadMs: number;
  readonly quietBoundMs: number;
  readonly quietCores: number;
  readonly evaluatorIterations: number;
  readonly evaluatorRounds: number;
  readonly storeIterations: number;
  readonly soakCalls: number;
  readonly soakCheckpoint: number;
  /** The `sessions` section: how many sessions and pending calls. */
  readonly sessionMemory: SessionMemoryPlan;
  /** `toolgate serve` start-up samples taken after each round. */
  readonly startupSamplesPerRound: number;
  readonly replayCalls: number;
  readonly redisUrl: string | undefined;
  readonly paths: readonly string[];
  readonly sections: readonly Section[];
  /** Profile toolgate processes with `node --cpu-prof` into this directory. */
  readonly cpuProfDir: string | undefined;
}

export const FULL_SETTINGS: Omit<BenchSettings, "redisUrl" | "paths" | "sections" | "cpuProfDir"> = {
  rounds: 3,
  warmupCalls: 300,
  timedCalls: 3_000,
  timedBoundMs: 8_000,
  inflight: 16,
  loadMs: 2_500,
  wireLoadMs: 2_500,
  quietBoundMs: 4_000,
  quietCores: 0.25,
  evaluatorIterations: 50_000,
  evaluatorRounds: 3,
  storeIterations: 2_000,
  soakCalls: 1_000_000,
  soakCheckpoint: 100_000,
  sessionMemory: SESSION_MEMORY_FULL,
  startupSamplesPerRound: 3,
  replayCalls: 1_000_000,
};

export const QUICK_SETTINGS: typeof FULL_SETTINGS = {
  rounds: 1,
  warmupCalls: 50,
  timedCalls: 300,
  timedBoundMs: 3_000,
  inflight: 16,
  loadMs: 700,
  wireLoadMs: 700,
  quietBoundMs: 500,
  quietCores: 0.25,
  evaluatorIterations: 5_000,
  evaluatorRounds: 2,
  storeIterations: 300,
  soakCalls: 60_000,
  soakCheckpoint: 20_000,
  sessionMemory: SESSION_MEMORY_QUICK,
  startupSamplesPerRound: 2,
  replayCalls: 60_000,
};

export interface PathRun {
  readonly path: string;
  readonly round: number;
  readonly quietWaitMs: number;
  /** Foreign cores over the last quiet-gate sample before the path started. */
  readonly foreignCoresBefore: number;
  readonly startMs: number | undefined;
  readonly client: ClientReport | undefined;
  readonly error: string | undefined;
  readonly leftovers: readonly number[];
}

export interface BenchResult extends SectionResults {
  readonly startedAt: string;
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly skipped: Readonly<Record<string, string>>;
  readonly runs: readonly PathRun[];
  /** Spawn → `started` of `toolgate serve` on stdio, every sample of every round. */
  readonly startupMs: readonly number[];
  /** The same for node alone (a script that prints the line): the floor of any start-up. */
  readonly startupNodeMs: readonly number[];
  readonly startupError?: string;
  /** What the loopback OTLP receiver got from the OpenTelemetry path. */
  readonly otlpReceived?: ReturnType<OtlpSink["counts"]>;
  readonly durationS: number;
}

export interface MachineInfo {
  readonly node: string;
  readonly cpus: string;
  readonly cores: number;
  readonly memGiB: number;
  readonly os: string;
  readonly versions: Readonly<Record<string, string>>;
}

export type Progress = (line: string) => void;

export async function runBench(root: string, settings: BenchSettings, machine: MachineInfo, progress: Progress): Promise<BenchResult> {
  const t0 = monotonicNs();
  // The clock's timers are unref'd (they never keep a process alive); the bench waits on them with
  // nothing else pending, so hold the event loop open until the run is over.
  const hold = new MessageChannel();
  hold.port1.on("message", () => undefined);
  try {
    return await runBenchHeld(root, settings, machine, progress, t0);
  } finally {
    hold.port1.close();
  }
}

async function runBenchHeld(root: string, settings: BenchSettings, machine: MachineInfo, progress: Progress, t0: bigint): Promise<BenchResult> {
  const startedAt = new Date(systemClock.nowMs()).toISOString();
  const selected = PATHS.filter((p) => settings.paths.includes(p.id));
  progress(`building the bench worker${selected.some((p) => p.id === "toolgate-stdio-js") ? " and toolgate as plain JS" : ""} (esbuild)…`);
  const build = await buildBenchArtifacts(root, { toolgate: selected.some((p) => p.id === "toolgate-stdio-js") });
  const policyFile = join(build.dir, "bench-policy.json");
  writeFileSync(policyFile, `${JSON.stringify(BENCH_POLICY)}\n`);
  const otlp = selected.some((p) => p.id === FLOOR_PATHS.otel) ? await startOtlpSink() : undefined;
  const toolgateNodeFlags = settings.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
  const ctx: PathContext = { root, build, policyFile, toolgateNodeFlags, otlpEndpoint: otlp?.endpoint };
  const skipped: Record<string, string> = {};
  const runnable: PathSpec[] = [];
  for (const path of selected) {
    const why = path.unavailable(ctx);
    if (why) {
      skipped[path.id] = why;
      progress(`skipping ${path.id}: ${why}`);
    } else runnable.push(path);
  }

  const runs: PathRun[] = [];
  const startupMs: number[] = [];
  const startupNodeMs: number[] = [];
  let startupError: string | undefined;
  try {
    for (let round = 1; round <= settings.rounds; round++) {
      const order = runnable.map((_, i) => runnable[(i + round - 1) % runnable.length]!);
      for (const path of order) {
        const run = await runPath(ctx, path, round, settings);
        runs.push(run);
        progress(describeRun(run, settings.rounds));
      }
      if (settings.sections.includes("startup") && startupError === undefined) {
        await waitQuiet(settings.quietBoundMs, settings.quietCores);
        const toolgateArgs = [...toolgateNodeFlags, join(root, "bin/toolgate.mjs"), "serve", "--policy", policyFile, "--upstream-cmd", `${process.execPath} ${build.workerJs} upstream-stdio`];
        try {
          const startup = await runStartupBench({ toolgateArgs, samples: settings.startupSamplesPerRound, cwd: root });
          startupMs.push(...startup.toolgateMs);
          startupNodeMs.push(...startup.nodeMs);
          progress(`round ${round}/${settings.rounds} start-up: toolgate serve ${startup.toolgateMs.map((v) => v.toFixed(0)).join(", ")} ms; node alone ${startup.nodeMs.map((v) => v.toFixed(0)).join(", ")} ms`);
        } catch (error) {
          startupError = message(error);
        }
      }
    }

    const sections = await runSections(root, build, settings, progress);
    return {
      startedAt,
      machine,
      settings,
      skipped,
      runs,
      startupMs,
      startupNodeMs,
      ...(startupError ? { startupError } : {}),
      ...(otlp ? { otlpReceived: otlp.counts() } : {}),
      ...sections,
      durationS: Number(monotonicNs() - t0) / 1e9,
    };
  } finally {
    await otlp?.close();
    for (const pid of leftoverProcesses(build.dir)) killQuietly(pid);
    build.remove();
  }
}

async function runPath(ctx: PathContext, path: PathSpec, round: number, settings: BenchSettings): Promise<PathRun> {
  const quiet = await waitQuiet(settings.quietBoundMs, settings.quietCores);
  let running;
  try {
    running = await path.start(ctx);
  } catch (error) {
    return { path: path.id, round, quietWaitMs: quiet.waitedMs, foreignCoresBefore: quiet.cores, startMs: undefined, client: undefined, error: message(error), leftovers: cleanLeftovers(ctx) };
  }
  const plan: ClientPlan = {
    target: running.target,
    warmupCalls: settings.warmupCalls,
    timedCalls: settings.timedCalls,
    timedBoundMs: settings.timedBoundMs,
    inflight: settings.inflight,
    loadMs: settings.loadMs,
    wireLoadMs: path.transport === "http" ? settings.wireLoadMs : 0,
  };
  const budgetMs = 30_000 + 2 * settings.timedBoundMs + settings.loadMs + settings.wireLoadMs;
  let client: ClientReport | undefined;
  let error: string | undefined;
  try {
    client = await runToResult<ClientReport>(process.execPath, ["--no-warnings", ctx.build.workerJs, "client", JSON.stringify(plan)], budgetMs, { cwd: ctx.root });
    if (client.errors > 0) error = `${client.errors} call(s) failed; first: ${client.firstError}`;
  } catch (e) {
    error = message(e);
  } finally {
    await running.stop();
  }
  // Stdio paths: give the closing client's children a moment to exit before looking for leftovers.
  for (let i = 0; i < 20 && leftoverProcesses(ctx.build.dir).length > 0; i++) await systemClock.sleep(50);
  return { path: path.id, round, quietWaitMs: quiet.waitedMs, foreignCoresBefore: quiet.cores, startMs: running.startMs, client, error, leftovers: cleanLeftovers(ctx) };
}

function cleanLeftovers(ctx: PathContext): number[] {
  const left = leftoverProcesses(ctx.build.dir);
  for (const pid of left) killQuietly(pid);
  return left;
}

/** Samples machine busy time every 250 ms until under `cores` (or the bound); returns the last sample. */
export async function waitQuiet(boundMs: number, cores: number): Promise<{ waitedMs: number; cores: number }> {
  const t0 = monotonicNs();
  let last = Number.NaN;
  for (let i = 0; i < 1_000; i++) {
    const busy0 = machineBusyUs();
    const s0 = monotonicNs();
    await systemClock.sleep(250);
    last = (machineBusyUs() - busy0) / (Number(monotonicNs() - s0) / 1_000);
    const waitedMs = Number(monotonicNs() - t0) / 1e6;
    if (last < cores || waitedMs >= boundMs) return { waitedMs, cores: last };
  }
  return { waitedMs: Number(monotonicNs() - t0) / 1e6, cores: last };
}

function describeRun(run: PathRun, rounds: number): string {
  const c = run.client;
  const head = `round ${run.round}/${rounds} ${run.path.padEnd(18)}`;
  if (!c) return `${head} FAILED: ${run.error}`;
  const wire = c.wire ? `, wire ${c.wire.callsPerS.toFixed(0)} calls/s` : "";
  return `${head} p50 ${c.sequential.p50Us.toFixed(0)} µs, p99 ${c.sequential.p99Us.toFixed(0)} µs, ${c.load.callsPerS.toFixed(0)} calls/s${wire}, foreign ${c.sequential.cpu.foreignCores.toFixed(2)}/${c.load.cpu.foreignCores.toFixed(2)} cores${run.error ? ` (${run.error})` : ""}`;
}

function message(error: unknown): string {
  return messageOf(error);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

