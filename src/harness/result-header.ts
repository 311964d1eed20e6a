/** What every scenario result starts with, whichever runner produced it. */
import { monotonicNs } from "../core/clock.js";
import type { CompiledPolicy } from "../policy/load-policy.js";
import { windowMs } from "../policy/windows.js";
import type { LoadedScenario } from "./load-scenario.js";
import type { ScenarioResult, WindowMark } from "./result.js";

export type ResultHeader = Pick<ScenarioResult, "name" | "file" | "purpose" | "mode" | "startMs" | "agents" | "windows">;

/** Every window the policy's limits use (for the report's boundary lines). */
export function policyWindows(policy: CompiledPolicy): WindowMark[] {
  const out: WindowMark[] = [];
  const add = (limits: readonly { counter: string; window: string | number }[]): void => {
    for (const l of limits) out.push({ counter: l.counter, windowMs: windowMs(l.window) });
  };
  add(policy.allToolsLimits);
  for (const tool of policy.tools.values()) add(tool.limits);
  return out;
}

export function resultHeader(loaded: LoadedScenario, mode: ScenarioResult["mode"]): ResultHeader {
  const { scenario } = loaded;
  return {
    name: loaded.name,
    file: loaded.file,
    purpose: scenario.purpose,
    mode,
    startMs: loaded.startMs,
    agents: scenario.agents.map((a) => a.name),
    windows: policyWindows(loaded.compiledPolicy),
  };
}

/** Real milliseconds since `beganNs` (a `monotonicNs()` reading). */
export function elapsedMs(beganNs: bigint): number {
  return Number((monotonicNs() - beganNs) / 1_000_000n);
}
