/**
 * The gateway's own start-up: from spawning `toolgate serve` (stdio, the real bin) until it logs
 * `started` (policy parsed, stores and upstream transport set up, ready to read the agent),
 * without waiting for the upstream, which the gateway starts afterwards. Node's own start-up (a
 * script that only prints the same line) is measured the same way as the floor.
 */
import { monotonicNs } from "../core/clock.js";
import { median } from "./stats.js";
import { spawnTracked, stopTree, waitForOutput } from "./processes.js";

export interface StartupPlan {
  readonly toolgateArgs: readonly string[];
  readonly samples: number;
  readonly cwd: string;
}

export interface StartupReport {
  /** Spawn → `started`, ms, one per sample. */
  readonly toolgateMs: readonly number[];
  readonly nodeMs: readonly number[];
  readonly toolgateMedianMs: number;
  readonly nodeMedianMs: number;
}

const STARTED = /"event":"started"/;
const NODE_FLOOR = ["-e", 'process.stderr.write(\'{"event":"started"}\\n\')'];

async function timeToStarted(args: readonly string[], cwd: string): Promise<number> {
  const t0 = monotonicNs();
  const proc = spawnTracked(process.execPath, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  try {
    await waitForOutput(proc, STARTED, 20_000);
    return Number(monotonicNs() - t0) / 1e6;
  } finally {
    proc.child.stdin?.end();
    await stopTree(proc, 3_000);
  }
}

export async function runStartupBench(plan: StartupPlan): Promise<StartupReport> {
  const toolgateMs: number[] = [];
  const nodeMs: number[] = [];
  for (let i = 0; i < plan.samples; i++) {
    nodeMs.push(await timeToStarted(NODE_FLOOR, plan.cwd));
    toolgateMs.push(await timeToStarted(plan.toolgateArgs, plan.cwd));
  }
  return { toolgateMs, nodeMs, toolgateMedianMs: median(toolgateMs), nodeMedianMs: median(nodeMs) };
}
