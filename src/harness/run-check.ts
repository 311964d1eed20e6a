/**
 * Runs a list of scenario files (in process, or against an external gateway command) and
 * gathers a `RunReport`. Progress goes to a callback, one line per scenario.
 */
import { systemClock } from "../core/clock.js";
import type { GatewayFactory } from "./gateway-factory.js";
import { loadScenarioFile, scenarioName } from "./load-scenario.js";
import { runScenario } from "./run-scenario.js";
import { runScenarioExternal, type ExternalGatewayOptions } from "./external-gateway.js";
import { describeTime } from "./external-time.js";
import { totalsOf, type RunReport, type ScenarioResult } from "./result.js";

export interface CheckOptions {
  readonly gatewayFactory?: GatewayFactory;
  readonly external?: ExternalGatewayOptions;
  readonly onScenario?: (result: ScenarioResult, index: number, total: number) => void;
  readonly onStart?: (file: string, index: number, total: number) => void;
}

export async function runCheck(files: readonly string[], options: CheckOptions = {}): Promise<RunReport> {
  const startedAt = new Date(systemClock.nowMs()).toISOString();
  const results: ScenarioResult[] = [];
  for (const [i, file] of files.entries()) {
    options.onStart?.(file, i, files.length);
    const loaded = loadScenarioFile(file);
    let result: ScenarioResult;
    if (!loaded.ok) {
      result = { name: scenarioName(file), file, purpose: "(invalid scenario file)", mode: options.external ? "external" : "virtual", verdict: "failed", startMs: 0, endMs: 0, durationMs: 0, steps: [], calls: [], counters: [], windows: [], agents: [], loadIssues: loaded.issues };
    } else if (options.external) {
      result = await runScenarioExternal(loaded.value, options.external);
    } else {
      result = await runScenario(loaded.value, options.gatewayFactory ? { gatewayFactory: options.gatewayFactory } : {});
    }
    results.push(result);
    options.onScenario?.(result, i, files.length);
  }
  return {
    tool: "toolgate check",
    startedAt,
    gateway: options.external ? `external: ${options.external.template} (time: ${describeTime(options.external.time ?? "clock-file")})` : "built-in (in process, virtual clock)",
    scenarios: results,
    totals: totalsOf(results),
  };
}
