/**
 * Runs a scenario against an external gateway process: a command template with `{policy}` (a temp
 * file the runner writes), `{upstream}` (the command line of a `toolgate kommo-sim` child),
 * `{grant}` and `{audit}` (a temp JSONL file). The agent is an SDK 1.x client over the process's
 * stdio. Time is the real clock — or, with `clockFile`, a `TOOLGATE_CLOCK_FILE` the runner moves.
 *
 * What cannot be steered from outside is reported as skipped, never as passed: steps after time
 * 0 and waiting steps on the real clock, exact retry times on the real clock, reloads and fault
 * injections (in-process hooks), several agents (one process serves one agent), and everything
 * after the first skipped step (its state would differ). The end checks need every step to run.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { monotonicNs, systemClock } from "../core/clock.js";
import { splitCommand } from "../transports/split-command.js";
import { runAgentStep, sdkCallFn, stepNeedsTime, type TimeDriver } from "./agents.js";
import { checkCall, checkCounts, checkEnd } from "./expectations.js";
import type { LoadedScenario } from "./load-scenario.js";
import type { CallRecord, ScenarioResult, StepResult } from "./result.js";
import { eventSummary, policyWindows, scenarioSeed, stepSummary } from "./run-scenario.js";
import { eventKind, normaliseCallExpect, stepKind, type AgentStep } from "./scenario-schema.js";
import { messageOf } from "../core/errors.js";

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

const DEFAULT_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/toolgate.mjs");

/** POSIX single-quoting, understood by `splitCommand`. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(policy|upstream|grant|audit)\}/g, (_, key: string) => shellQuote(values[key] ?? ""));
}

function exactRetryTimes(step: AgentStep): boolean {
  const expects = "call" in step ? [step.expect] : "expect" in step && step.expect && typeof step.expect === "object" && "calls" in step.expect ? ((step.expect as { calls?: unknown[] }).calls ?? []) : [];
  return (expects as Parameters<typeof normaliseCallExpect>[0][]).some((e) => {
    const n = normaliseCallExpect(e);
    return (n.decision === "deny" && n.retryAfterMs !== undefined) || n.answeredAtMs !== undefined;
  }) || ("retry" in step && step.expect.allowedAtMs !== undefined);
}

export async function runScenarioExternal(loaded: LoadedScenario, options: ExternalGatewayOptions): Promise<ScenarioResult> {
  const began = monotonicNs();
  const { scenario, startMs } = loaded;
  const steps: StepResult[] = [];
  const calls: CallRecord[] = [];
  const base = { name: loaded.name, file: loaded.file, purpose: scenario.purpose, mode: "external" as const, startMs, agents: scenario.agents.map((a) => a.name), windows: policyWindows(loaded.compiledPolicy), counters: [] };
  const finish = (error?: string): ScenarioResult => {
    const failed = error !== undefined || steps.some((s) => s.verdict === "failed");
    const allSkipped = steps.length > 0 && steps.every((s) => s.verdict === "skipped");
    return { ...base, verdict: failed ? "failed" : allSkipped ? "skipped" : "passed", endMs: Math.max(0, ...calls.map((c) => c.endMs)), durationMs: Number((monotonicNs() - began) / 1_000_000n), steps, calls, ...(error ? { error } : {}) };
  };
  const skipAll = (reason: string): ScenarioResult => {
    scenario.agents.forEach((agent, a) => agent.steps.forEach((step, s) => steps.push({ id: `agents[${a}].steps[${s}]`, agent: agent.name, kind: stepKind(step), atMs: step.at, summary: stepSummary(step), verdict: "skipped", mismatches: [], skipReason: reason })));
    (scenario.events ?? []).forEach((event, e) => steps.push({ id: `events[${e}]`, kind: eventKind(event), atMs: event.at, summary: eventSummary(event), verdict: "skipped", mismatches: [], skipReason: reason }));
    if (scenario.expect) steps.push({ id: "expect", kind: "end", atMs: 0, summary: "end state", verdict: "skipped", mismatches: [], skipReason: reason });
    return finish();
  };

  if (scenario.gateway?.shadow === true) return skipAll("runs the gateway in global shadow mode (`gateway.shadow`); an external gateway's flags come from the `--gateway-cmd` template, so the harness cannot switch it on");
  const approvalReason = needsApprovals(loaded);
  if (approvalReason) return skipAll(`${approvalReason}: deciding approvals needs the gateway's admin API (\`toolgate approvals\`), which a \`--gateway-cmd\` run does not drive`);
  if (scenario.agents.length !== 1) return skipAll("needs several agents on one gateway's counters; an external gateway process serves one agent");
  if ((scenario.kommo?.faults ?? []).length > 0) return skipAll("needs Kommo fault injection, which is an in-process hook");
  const seed = scenarioSeed(loaded);
  if (!seed.ok) return finish(seed.message);

  const dir = mkdtempSync(join(tmpdir(), "toolgate-check-"));
  const files = { policy: join(dir, "policy.json"), seed: join(dir, "seed.json"), effects: join(dir, "effects.jsonl"), audit: join(dir, "audit.jsonl"), clock: join(dir, "clock") };
  writeFileSync(files.policy, loaded.policy.text);
  writeFileSync(files.seed, JSON.stringify(seed.seed));
  writeFileSync(files.clock, String(startMs));
  const agent = scenario.agents[0]!;
  const rps = scenario.kommo?.rateLimitPerSecond;
  const upstream = [process.execPath, options.toolgateBin ?? DEFAULT_BIN, "kommo-sim", "--seed", files.seed, "--effects-file", files.effects, ...(rps !== undefined ? ["--kommo-rps", String(rps)] : []), ...(scenario.kommo?.schema ? ["--schema", scenario.kommo.schema] : []), ...(scenario.kommo?.confirmWrites ? ["--confirm-writes"] : [])]
    .map(shellQuote)
    .join(" ");
  const line = fillTemplate(options.template, { policy: files.policy, upstream, grant: agent.grant ?? "", audit: files.audit });
  const [command, ...args] = splitCommand(line);
  const env = Object.fromEntries(Object.entries({ ...options.env, ...(options.clockFile ? { TOOLGATE_CLOCK_FILE: files.clock } : {}) }).filter((e): e is [string, string] => e[1] !== undefined));
  const client = new Client({ name: `toolgate-check-${agent.name}`, version: "0.1.0" });
  const clockFile = options.clockFile === true;
  let error: string | undefined;
  try {
    await client.connect(new StdioClientTransport({ command: command!, args, cwd: options.cwd, env, stderr: "pipe" }));
    // Real clock: start inside a minute with room to spare, so a burst does not straddle a boundary.
    let realStartMs = systemClock.nowMs();
    if (!clockFile && realStartMs % 60_000 > 55_000) {
      await systemClock.sleep(60_000 - (realStartMs % 60_000) + 5);
      realStartMs = systemClock.nowMs();
    }
    let virtualNow = 0;
    const time: TimeDriver = clockFile
      ? {
          serialCalls: true,
          nowMs: () => virtualNow,
          waitUntil: async (atMs) => {
            virtualNow = Math.max(virtualNow, atMs);
            writeFileSync(files.clock, String(startMs + virtualNow));
          },
        }
      : { nowMs: () => systemClock.nowMs() - realStartMs, waitUntil: async () => {} };
    const callFn = sdkCallFn(client);

    // Events and steps in time order (events first at equal times).
    type Item = { at: number; id: string; run?: () => Promise<void>; summary: string; kind: string; step?: AgentStep; skip?: string };
    const items: Item[] = [
      ...(scenario.events ?? []).map((event, e) => ({ at: event.at, id: `events[${e}]`, summary: eventSummary(event), kind: eventKind(event), ...(eventKind(event) === "clock" ? {} : { skip: `${eventKind(event)} events need an in-process hook` }) })),
      ...agent.steps.map((step, s) => ({ at: step.at, id: `agents[0].steps[${s}]`, summary: stepSummary(step), kind: stepKind(step), step })),
    ].sort((x, y) => x.at - y.at || Number(!x.id.startsWith("events")) - Number(!y.id.startsWith("events"))); // stable: file order within a kind
    let skippedSince: string | undefined;
    for (const item of items) {
      let skip = item.skip;
      if (!skip && skippedSince) skip = `follows skipped ${skippedSince}`;
      if (!skip && !clockFile && item.at > 0) skip = "runs after time 0, which needs the virtual clock";
      if (!skip && !clockFile && item.step && stepNeedsTime(item.step)) skip = "waits on time, which needs the virtual clock";
      if (item.kind === "clock" && !skip) {
        await time.waitUntil(item.at);
        steps.push({ id: item.id, kind: item.kind, atMs: item.at, summary: item.summary, verdict: "passed", mismatches: [] });
        continue;
      }
      if (skip || !item.step) {
        skippedSince ??= item.id;
        steps.push({ id: item.id, ...(item.step ? { agent: agent.name } : {}), kind: item.kind, atMs: item.at, summary: item.summary, verdict: "skipped", mismatches: [], skipReason: skip ?? "cannot run here" });
        continue;
      }
      const step = item.step;
      await time.waitUntil(step.at);
      const made = await runAgentStep(step, { agent: agent.name, stepId: item.id, call: callFn, time, record: (c) => void calls.push(c) });
      if (!clockFile && exactRetryTimes(step)) {
        // The calls ran (later steps depend on them) but the step asserts virtual-clock facts.
        steps.push({ id: item.id, agent: agent.name, kind: item.kind, atMs: step.at, summary: item.summary, verdict: "skipped", mismatches: [], skipReason: "asserts exact retry or answer times, which need the virtual clock" });
        continue;
      }
      const mismatches = "call" in step ? [checkCall(made[0]!, step.expect, startMs)].filter((m): m is string => m !== undefined) : checkCounts(made, step.expect as never, startMs, item.summary);
      steps.push({ id: item.id, agent: agent.name, kind: item.kind, atMs: step.at, summary: item.summary, verdict: mismatches.length ? "failed" : "passed", mismatches });
    }
    await client.close();
    if (scenario.expect) {
      if (skippedSince) {
        steps.push({ id: "expect", kind: "end", atMs: 0, summary: "end state", verdict: "skipped", mismatches: [], skipReason: `follows skipped ${skippedSince}` });
      } else {
        const lines = readJsonLines(files.effects);
        const auditLines = options.template.includes("{audit}") ? readJsonLines(files.audit) : undefined;
        const audit = auditLines?.filter((r) => r.event === undefined).map((r) => ({ decision: String(r.decision), code: (r.code as string | null) ?? null, ...(Array.isArray(r.wouldDeny) ? { wouldDeny: r.wouldDeny as { code: string; rule: string }[] } : {}) }));
        const stops = lines.filter((l) => l.kind === "effect" && l.effect === "stop").map((l) => ({ botId: Number(l.botId), entityId: Number(l.entityId), entityType: String(l.entityType) }));
        const mismatches = checkEnd(scenario.expect, {
          stops,
          runs: lines.filter((l) => l.kind === "effect" && l.effect === "run").length,
          requests: (route) => {
            const [method, path] = route.split(" ");
            return lines.filter((l) => l.kind === "request" && (method === "*" || l.method === method) && pathMatches(path!, String(l.path)) && Number(l.status) >= 200 && Number(l.status) < 300).length;
          },
          audit,
        });
        steps.push({ id: "expect", kind: "end", atMs: 0, summary: "end state: CRM effects, Kommo requests, audit", verdict: mismatches.length ? "failed" : "passed", mismatches });
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

/** Why a scenario needs approvals decided by a human (undefined when it does not). */
export function needsApprovals(loaded: LoadedScenario): string | undefined {
  const { scenario } = loaded;
  if ((scenario.events ?? []).some((e) => "approval" in e)) return "decides approvals (`approval` events)";
  if (scenario.gateway?.approvalMode !== undefined) return "sets `gateway.approvalMode`";
  if (scenario.expect?.approvals !== undefined || scenario.expect?.audit?.approvalSteps !== undefined) return "asserts approvals at the end";
  const expectsId = (e: unknown): boolean => e !== null && typeof e === "object" && (e as { approvalId?: unknown }).approvalId !== undefined;
  const stepExpectsId = (step: AgentStep): boolean => ("call" in step ? expectsId(step.expect) : (step.expect.calls ?? []).some(expectsId));
  if (scenario.agents.some((a) => a.steps.some(stepExpectsId))) return "asserts approval ids";
  return undefined;
}

function pathMatches(pattern: string, path: string): boolean {
  const a = pattern.split("/");
  const b = path.split("/");
  return a.length === b.length && a.every((s, i) => s === "*" || (s.startsWith(":") && b[i] !== "") || s === b[i]);
}

function readJsonLines(file: string): Record<string, unknown>[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
