/**
 * `toolgate replay` at scale: a synthetic recording of N allowed `tools/call` lines (the shape
 * `serve --record` writes: ten sessions under one grant, one call per virtual millisecond) is
 * written to a temporary directory and replayed by the real bin under a candidate policy that
 * caps the tool at 50,000 calls a minute, so about one call in six changes to a denial. Reported:
 * wall time, calls per second, CPU, the replay process's peak RSS (VmHWM, sampled until it exits)
 * and the changes counted, which must match the arithmetic.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monotonicNs, systemClock } from "../core/clock.js";
import { processCpuUs } from "./procfs.js";
import { spawnTracked, stopTree } from "./processes.js";
import { BENCH_TOOL } from "./upstream-server.js";

export interface ReplayPlan {
  readonly calls: number;
  readonly toolgateBin: string;
  readonly cwd: string;
  readonly boundMs: number;
}

export interface ReplayReport {
  readonly calls: number;
  readonly recordingBytes: number;
  readonly writeMs: number;
  readonly replayMs: number;
  readonly callsPerS: number;
  readonly cpuUsPerCall: number;
  readonly peakRssBytes: number;
  readonly changed: number;
  readonly expectedChanged: number;
  readonly exitCode: number | null;
}

export const REPLAY_CAP_PER_MINUTE = 50_000;
const START_MS = Date.UTC(2026, 0, 1);

export const REPLAY_CANDIDATE = {
  version: "1",
  default: "deny",
  tools: { [BENCH_TOOL]: { limits: [{ counter: "stop_salesbot_rate", window: "minute", max: REPLAY_CAP_PER_MINUTE, scope: "grant" }] } },
} as const;

/** One recorded call, as `serve --record` writes it. */
export function recordedLine(i: number): string {
  return `{"time":"${new Date(START_MS + i).toISOString()}","decisionId":"d${i.toString(16).padStart(12, "0")}","grant":"bench","session":"s${i % 10}","method":"tools/call","name":"${BENCH_TOOL}","args":{"bot_id":${i}},"decision":"allow","code":null,"rule":null,"outcome":"ok","latencyMs":0.3,"policyVersion":"sha256:bench"}\n`;
}

/** Calls the candidate denies: in every (aligned) minute, those beyond the cap. */
export function expectedDenials(calls: number): number {
  const perMinute = 60_000;
  let denied = 0;
  for (let start = 0; start < calls; start += perMinute) denied += Math.max(0, Math.min(perMinute, calls - start) - REPLAY_CAP_PER_MINUTE);
  return denied;
}

function writeRecording(file: string, calls: number): number {
  const fd = openSync(file, "w");
  let bytes = 0;
  try {
    let batch: string[] = [];
    for (let i = 0; i < calls; i++) {
      batch.push(recordedLine(i));
      if (batch.length === 10_000 || i === calls - 1) {
        bytes += writeSync(fd, batch.join(""));
        batch = [];
      }
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function runReplayBench(plan: ReplayPlan): Promise<ReplayReport> {
  const dir = mkdtempSync(join(tmpdir(), "toolgate-bench-replay-"));
  try {
    const recording = join(dir, "calls.jsonl");
    const policy = join(dir, "candidate.json");
    const json = join(dir, "diff.json");
    writeFileSync(policy, `${JSON.stringify(REPLAY_CANDIDATE)}\n`);
    const w0 = monotonicNs();
    const recordingBytes = writeRecording(recording, plan.calls);
    const writeMs = Number(monotonicNs() - w0) / 1e6;

    const t0 = monotonicNs();
    const proc = spawnTracked(process.execPath, [plan.toolgateBin, "replay", recording, "--policy", policy, "--json", json], { cwd: plan.cwd });
    let peak = 0;
    let cpuUs = 0;
    let done = false;
    void proc.exited.then(() => (done = true));
    const deadline = t0 + BigInt(plan.boundMs) * 1_000_000n;
    while (!done && monotonicNs() < deadline) {
      peak = Math.max(peak, peakRss(proc.pid) ?? 0);
      cpuUs = processCpuUs(proc.pid) ?? cpuUs;
      await systemClock.sleep(20);
    }
    if (!done) {
      await stopTree(proc, 1_000);
      throw new Error(`replay of ${plan.calls} calls did not finish within ${plan.boundMs} ms`);
    }
    const replayMs = Number(monotonicNs() - t0) / 1e6;
    const { code } = await proc.exited;
    if (code !== 0 && code !== 1) throw new Error(`replay exited ${code}; output:\n${proc.output().slice(-2_000)}`);
    const diff = JSON.parse(readFileSync(json, "utf8")) as { calls: number; changed: number };
    return {
      calls: diff.calls,
      recordingBytes,
      writeMs,
      replayMs,
      callsPerS: diff.calls / (replayMs / 1_000),
      cpuUsPerCall: cpuUs / diff.calls,
      peakRssBytes: peak,
      changed: diff.changed,
      expectedChanged: expectedDenials(plan.calls),
      exitCode: code,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
