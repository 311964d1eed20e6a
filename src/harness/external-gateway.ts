/**
 * Runs a scenario against an external gateway process: a command template with `{policy}` (a temp
 * file the runner writes), `{upstream}` (the command line of a `toolgate kommo-sim` child),
 * `{grant}` and `{audit}` (a temp JSONL file). The agent is an SDK 1.x client over the process's
 * stdio. Time is the real clock — or, with `clockFile`, a `TOOLGATE_CLOCK_FILE` the runner moves.
 * The world (seed, policy, Kommo settings) and the timeline are the in-process runner's; what
 * cannot be steered from outside is reported as skipped, never as passed (external-skips.ts).
 * The end checks need every entry to run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { monotonicNs, systemClock } from "../core/clock.js";
import { assertNever, messageOf } from "../core/errors.js";
import { splitCommand } from "../transports/split-command.js";
import { runAgentStep, sdkCallFn, type CallFn, type TimeDriver } from "./agents.js";
import { CallLog } from "./call-log.js";
import { fileEndFacts, readJsonLines } from "./end-facts.js";
import { checkEnd, checkStep } from "./expectations.js";
import { assertsExactTimes, entrySkipReason, scenarioSkipReason } from "./external-skips.js";
import { fillTemplate, kommoSimCommand } from "./gateway-command.js";
import type { LoadedScenario } from "./load-scenario.js";
import { elapsedMs, resultHeader } from "./result-header.js";
import type { ScenarioResult, StepResult } from "./result.js";
import { worldSpec } from "./scenario-world.js";
import { checkedResult, endResult, skippedEndResult, skippedResult } from "./step-results.js";
import { scenarioEntries, scenarioTimeline, type TimelineEntry } from "./timeline.js";

export interface ExternalGatewayOptions {
  /** e.g. `node bin/toolgate.mjs serve --policy {policy} --grant {grant} --audit {audit} --upstream-cmd {upstream}`. */
  readonly template: string;
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  /** Drive the children's time through `TOOLGATE_CLOCK_FILE` instead of the real clock. */
  readonly clockFile?: boolean;
  /** The `toolgate` entry point for the kommo-sim child; default this checkout's `bin/toolgate.mjs`. */
  readonly toolgateBin?: string;
}

const WITHOUT_LABEL = { withLabel: false } as const;

export async function runScenarioExternal(loaded: LoadedScenario, options: ExternalGatewayOptions): Promise<ScenarioResult> {
  const began = monotonicNs();
  const { scenario, startMs } = loaded;
  const steps: StepResult[] = [];
  const log = new CallLog(scenario);
  const header = { ...resultHeader(loaded, "external"), counters: [] };
  const finish = (error?: string): ScenarioResult => {
    const failed = error !== undefined || steps.some((s) => s.verdict === "failed");
    const allSkipped = steps.length > 0 && steps.every((s) => s.verdict === "skipped");
    return { ...header, verdict: failed ? "failed" : allSkipped ? "skipped" : "passed", endMs: Math.max(0, ...log.calls.map((c) => c.endMs)), durationMs: elapsedMs(began), steps, calls: log.calls, ...(error ? { error } : {}) };
  };

  const whole = scenarioSkipReason(loaded);
  if (whole !== undefined) {
    steps.push(...scenarioEntries(scenario).map((entry) => skippedResult(entry, whole)));
    if (scenario.expect) steps.push(skippedEndResult(whole));
    return finish();
  }
  const world = worldSpec(loaded);
  if (!world.ok) return finish(world.message);
  const { spec } = world;

  const dir = mkdtempSync(join(tmpdir(), "toolgate-check-"));
  const files = { policy: join(dir, "policy.json"), seed: join(dir, "seed.json"), effects: join(dir, "effects.jsonl"), audit: join(dir, "audit.jsonl"), clock: join(dir, "clock") };
  writeFileSync(files.policy, spec.policyText);
  writeFileSync(files.seed, JSON.stringify(spec.seed));
  writeFileSync(files.clock, String(startMs));
  const agent = scenario.agents[0]!;
  const upstream = kommoSimCommand(spec.kommo, files, options.toolgateBin);
  const line = fillTemplate(options.template, { policy: files.policy, upstream, grant: agent.grant ?? "", audit: files.audit });
  const [command, ...args] = splitCommand(line);
  const env = Object.fromEntries(Object.entries({ ...options.env, ...(options.clockFile ? { TOOLGATE_CLOCK_FILE: files.clock } : {}) }).filter((e): e is [string, string] => e[1] !== undefined));
  const client = new Client({ name: `toolgate-check-${agent.name}`, version: "0.1.0" });
  const clockFile = options.clockFile === true;
  let error: string | undefined;
  try {
    await client.connect(new StdioClientTransport({ command: command!, args, cwd: options.cwd, env, stderr: "pipe" }));
    const time = clockFile ? clockFileTime(files.clock, startMs) : await realTime();
    const run: EntryRun = { call: sdkCallFn(client), time, startMs, clockFile, log };
    let skippedSince: string | undefined;
    for (const entry of scenarioTimeline(scenario)) {
      const reason = entrySkipReason(entry, { clockFile, skippedSince });
      if (reason !== undefined) {
        skippedSince ??= entry.id;
        steps.push(skippedResult(entry, reason));
        continue;
      }
      steps.push(await runEntry(entry, run));
    }
    await client.close();
    if (scenario.expect) {
      if (skippedSince !== undefined) {
        steps.push(skippedEndResult(`follows skipped ${skippedSince}`));
      } else {
        const facts = fileEndFacts(readJsonLines(files.effects), options.template.includes("{audit}") ? readJsonLines(files.audit) : undefined);
        steps.push(endResult(0, checkEnd(scenario.expect, facts)));
      }
    }
  } catch (e) {
    error = `the external gateway run broke: ${messageOf(e)}`;
    await client.close().catch(() => undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return finish(error);
}

interface EntryRun {
  readonly call: CallFn;
  readonly time: TimeDriver;
  readonly startMs: number;
  readonly clockFile: boolean;
  readonly log: CallLog;
}

/** Runs an entry that `entrySkipReason` let through. */
async function runEntry(entry: TimelineEntry, { call, time, startMs, clockFile, log }: EntryRun): Promise<StepResult> {
  await time.waitUntil(entry.atMs);
  switch (entry.kind) {
    case "event":
      // Only events that need no hook get here: they mark time.
      return checkedResult(entry, [], WITHOUT_LABEL);
    case "step": {
      const made = await runAgentStep(entry.step, { agent: entry.agent.name, stepId: entry.id, call, time, record: log.record });
      // The calls ran (later steps depend on them), but the step asserts virtual-clock facts.
      if (!clockFile && assertsExactTimes(entry.step)) return skippedResult(entry, "asserts exact retry or answer times, which need the virtual clock");
      return checkedResult(entry, checkStep(entry.step, made, startMs), WITHOUT_LABEL);
    }
    default:
      return assertNever(entry, "timeline entry");
  }
}

/** Time the runner moves by writing the children's clock file; calls of a loop go one at a time. */
function clockFileTime(file: string, startMs: number): TimeDriver {
  let virtualNow = 0;
  return {
    serialCalls: true,
    nowMs: () => virtualNow,
    waitUntil: async (atMs) => {
      virtualNow = Math.max(virtualNow, atMs);
      writeFileSync(file, String(startMs + virtualNow));
    },
  };
}

/** The real clock from now, started inside a minute with room to spare, so a burst does not straddle a boundary. */
async function realTime(): Promise<TimeDriver> {
  let realStartMs = systemClock.nowMs();
  if (realStartMs % 60_000 > 55_000) {
    await systemClock.sleep(60_000 - (realStartMs % 60_000) + 5);
    realStartMs = systemClock.nowMs();
  }
  return { nowMs: () => systemClock.nowMs() - realStartMs, waitUntil: async () => {} };
}
