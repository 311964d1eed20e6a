/**
 * The bench's sections after the paths, each in its own child process and bounded in time: the
 * evaluator (plain JS and through tsx), the counter stores, the soak, RSS per session, and
 * `toolgate replay` over a large synthetic recording. A section that fails reports its error; the others still run.
 */
import { join } from "node:path";
import { messageOf } from "../core/errors.js";
import type { BenchBuild } from "./bench-build.js";
import type { EvaluatorReport } from "./evaluator-bench.js";
import { runToResult } from "./processes.js";
import { runReplayBench, type ReplayReport } from "./replay-bench.js";
import { runSessionMemoryBench, type SessionMemoryPlan, type SessionMemoryReport } from "./session-memory.js";
import type { SoakReport } from "./soak.js";
import type { StoreReport } from "./store-bench.js";

export interface SectionResults {
  readonly evaluator: { readonly plainJs: EvaluatorReport | undefined; readonly tsx: EvaluatorReport | undefined; readonly error?: string } | undefined;
  readonly stores: StoreReport | undefined;
  readonly storesError?: string;
  readonly soak: SoakReport | undefined;
  readonly soakError?: string;
  readonly sessions?: SessionMemoryReport;
  readonly sessionsError?: string;
  readonly replay?: ReplayReport;
  readonly replayError?: string;
}

/** What the sections read of the bench settings. */
export interface SectionSettings {
  readonly sections: readonly string[];
  readonly evaluatorIterations: number;
  readonly evaluatorRounds: number;
  readonly storeIterations: number;
  readonly redisUrl: string | undefined;
  readonly soakCalls: number;
  readonly soakCheckpoint: number;
  readonly sessionMemory: SessionMemoryPlan;
  readonly replayCalls: number;
}

export async function runSections(root: string, build: BenchBuild, settings: SectionSettings, progress: (line: string) => void): Promise<SectionResults> {
  const { workerJs } = build;
  let evaluator: SectionResults["evaluator"];
  if (settings.sections.includes("evaluator")) {
    progress("evaluator: ns per decision (plain JS, then through tsx)…");
    const plan = JSON.stringify({ iterations: settings.evaluatorIterations, rounds: settings.evaluatorRounds });
    try {
      const plainJs = await runToResult<EvaluatorReport>(process.execPath, [workerJs, "evaluator", plan], 120_000, { cwd: root });
      const tsx = await runToResult<EvaluatorReport>(process.execPath, ["--import", "tsx", join(root, "src/bench/worker-main.ts"), "evaluator", plan], 180_000, { cwd: root });
      evaluator = { plainJs, tsx };
    } catch (error) {
      evaluator = { plainJs: undefined, tsx: undefined, error: messageOf(error) };
    }
  }

  let stores: StoreReport | undefined;
  let storesError: string | undefined;
  if (settings.sections.includes("stores")) {
    progress("counter stores: µs per reservation (memory, Redis)…");
    const plan = { memoryIterations: settings.storeIterations * 10, redisIterations: settings.storeIterations, redisUrl: settings.redisUrl, privateRedis: true };
    try {
      stores = await runToResult<StoreReport>(process.execPath, [workerJs, "stores", JSON.stringify(plan)], 120_000, { cwd: root });
    } catch (error) {
      storesError = messageOf(error);
    }
  }

  let soak: SoakReport | undefined;
  let soakError: string | undefined;
  if (settings.sections.includes("soak")) {
    progress(`soak: ${settings.soakCalls.toLocaleString("en")} calls through the gateway on a virtual clock…`);
    const plan = { totalCalls: settings.soakCalls, checkpointCalls: settings.soakCheckpoint, inflight: 16, callsPerStep: 1_000, stepMs: 10_000, boundMs: 150_000 };
    try {
      soak = await runToResult<SoakReport>(process.execPath, ["--expose-gc", workerJs, "soak", JSON.stringify(plan)], 180_000, { cwd: root });
    } catch (error) {
      soakError = messageOf(error);
    }
  }

  let sessions: SessionMemoryReport | undefined;
  let sessionsError: string | undefined;
  if (settings.sections.includes("sessions")) {
    progress("sessions: RSS per idle session and per pending call (shared upstream, then one per session)…");
    try {
      sessions = await runSessionMemoryBench(root, workerJs, build.dir, settings.sessionMemory);
    } catch (error) {
      sessionsError = messageOf(error);
    }
  }

  let replay: ReplayReport | undefined;
  let replayError: string | undefined;
  if (settings.sections.includes("replay")) {
    progress(`replay: ${settings.replayCalls.toLocaleString("en")} recorded calls through \`toolgate replay\`…`);
    try {
      replay = await runReplayBench({ calls: settings.replayCalls, toolgateBin: join(root, "bin/toolgate.mjs"), cwd: root, boundMs: 180_000 });
    } catch (error) {
      replayError = messageOf(error);
    }
  }

  return {
    evaluator,
    stores,
    ...(storesError ? { storesError } : {}),
    soak,
    ...(soakError ? { soakError } : {}),
    ...(sessions ? { sessions } : {}),
    ...(sessionsError ? { sessionsError } : {}),
    ...(replay ? { replay } : {}),
    ...(replayError ? { replayError } : {}),
  };
}
