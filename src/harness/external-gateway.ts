/**
 * Runs a scenario against external gateway processes built from a command template. Over stdio
 * (no `{port}`): one process per agent, each with its grant (`{grant}`); over HTTP (`{port}`): one
 * process for every agent, each agent an MCP session with its grant's bearer token from the
 * generated `{grants}` file. Behind each process a `toolgate kommo-sim` child (`{upstream}`) on the
 * harness's clock, with its control routes on a loopback port (faults) and an effects file (what
 * reached the CRM). Time moves by the chosen mechanism (external-time.ts, stepped-time.ts); events
 * go through the simulator, signals and the admin API (external-events.ts); what the profile does
 * not declare is skipped with the reason (external-skips.ts); at the end the effects are checked
 * against the answers (answers-vs-effects.ts) and against the scenario's end expectations.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { monotonicNs, randomHex, systemClock } from "../core/clock.js";
import { assertNever, messageOf } from "../core/errors.js";
import { sha256Hex } from "../core/sha256.js";
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from "../gateway/gateway-options.js";
import { runAgentStep, sdkCallFn, type CallFn, type TimeDriver } from "./agents.js";
import { answersVsEffects, argsDigest, type AnswerFact } from "./answers-vs-effects.js";
import { inferredProfile, settingsFlags, type CapabilityProfile } from "./capability-profile.js";
import { CallLog } from "./call-log.js";
import { decideApproval, type ApprovalDesk } from "./decide-approval.js";
import { fileEndFacts, readJsonLines } from "./end-facts.js";
import { checkEnd, checkStep } from "./expectations.js";
import { adminApprovals, commandApprovals, reloadExternal, setFaults, simulatorsReady } from "./external-events.js";
import { assertsExactTimes, entrySkipReason, scenarioSkipReason, type SkipReason } from "./external-skips.js";
import { findFaketimeLibrary, gatewayTimeEnv, publishTime, type TimeMechanism } from "./external-time.js";
import { fillTemplate, kommoSimArgv, kommoSimCommand } from "./gateway-command.js";
import { GatewayProcess, ProcessStdioTransport } from "./gateway-process.js";
import type { LoadedScenario } from "./load-scenario.js";
import { RealTime } from "./real-time.js";
import { elapsedMs, resultHeader } from "./result-header.js";
import type { ApprovalMark, ScenarioResult, StepResult } from "./result.js";
import { faultSpec, worldSpec } from "./scenario-world.js";
import { checkedResult, END_ID, endResult, skippedEndResult, skippedResult } from "./step-results.js";
import { runOnSteppedTime, SteppedTime } from "./stepped-time.js";
import { scenarioTimeline, type TimelineEntry } from "./timeline.js";
import { freePort, listening } from "./external-listen.js";
import { listedButDenied } from "./listed-but-denied.js";
import { writeStackConfig } from "./external-stack-config.js";
import { stackNaming } from "./stack-in-process.js";

export interface ExternalGatewayOptions {
  /** e.g. `node bin/toolgate.mjs serve --policy {policy} --grant {grant} --audit {audit} --upstream-cmd {upstream}`. */
  readonly template: string;
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  /** How the processes' time moves; default `clock-file`. */
  readonly time?: TimeMechanism;
  /** What the gateway declares; default inferred from the template and the command flags. */
  readonly profile?: CapabilityProfile;
  readonly approveCmd?: string;
  readonly denyCmd?: string;
  readonly reloadCmd?: string;
  /** Real ms without a call starting or ending before time moves under calls in flight (default 1 000). */
  readonly quietMs?: number;
  /** `real` time: entries later than this are skipped (default 130 000 ms). */
  readonly maxRealWaitMs?: number;
  /** `real` time: a line while the run waits. */
  readonly onProgress?: (line: string) => void;
  /** The `toolgate` entry point for the kommo-sim child; default this checkout's `bin/toolgate.mjs`. */
  readonly toolgateBin?: string;
}

const WITHOUT_LABEL = { withLabel: false } as const;

export async function runScenarioExternal(loaded: LoadedScenario, options: ExternalGatewayOptions): Promise<ScenarioResult> {
  const began = monotonicNs();
  const { scenario, startMs } = loaded;
  const steps: StepResult[] = [];
  const log = new CallLog(scenario);
  const mechanism = options.time ?? "clock-file";
  const profile = options.profile ?? inferredProfile({ template: options.template, approveCmd: options.approveCmd, reloadCmd: options.reloadCmd });
  // A scenario with `servers` runs on the stack template (`{config}`), when there is one.
  const template = loaded.stack === undefined ? options.template : options.template.includes("{config}") ? options.template : profile.stackTemplate;
  const transport = template?.includes("{port}") === true ? "http" : "stdio";
  const header = { ...resultHeader(loaded, "external"), counters: [] };
  const declaredButSkipped: string[] = [];
  const skip = (entryOrEnd: TimelineEntry | "end", why: SkipReason): void => {
    if (why.needs !== "time" && why.needs !== "template" && profile.capabilities.has(why.needs)) declaredButSkipped.push(`${entryOrEnd === "end" ? END_ID : entryOrEnd.id}: the profile declares \`${why.needs}\`, but the step was skipped: ${why.reason}`);
    steps.push(entryOrEnd === "end" ? skippedEndResult(why.reason) : skippedResult(entryOrEnd, why.reason));
  };
  const approvalMarks: ApprovalMark[] = [];
  const finish = (error?: string): ScenarioResult => {
    const failed = error !== undefined || declaredButSkipped.length > 0 || steps.some((s) => s.verdict === "failed");
    const allSkipped = steps.length > 0 && steps.every((s) => s.verdict === "skipped");
    const errors = [error, ...declaredButSkipped].filter((e): e is string => e !== undefined);
    return {
      ...header,
      verdict: failed ? "failed" : allSkipped ? "skipped" : "passed",
      endMs: Math.max(0, ...log.calls.map((c) => c.endMs)),
      durationMs: elapsedMs(began),
      steps,
      calls: [...log.calls].sort((a, b) => a.startMs - b.startMs),
      ...(approvalMarks.length > 0 ? { approvals: approvalMarks } : {}),
      ...(errors.length > 0 ? { error: errors.join("\n") } : {}),
    };
  };

  const timeline = scenarioTimeline(scenario);
  const whole = scenarioSkipReason(loaded, { profile, transport, template });
  if (whole !== undefined || template === undefined) {
    const why = whole ?? { needs: "stack" as const, reason: "declares `servers`, and there is no template with `{config}`" };
    for (const entry of timeline) skip(entry, why);
    if (scenario.expect) skip("end", why);
    return finish();
  }
  const world = worldSpec(loaded);
  if (!world.ok) return finish(world.message);
  const { spec } = world;
  const faketimeLibrary = mechanism === "faketime" ? findFaketimeLibrary(options.env) : undefined;
  if (mechanism === "faketime" && faketimeLibrary === undefined) return finish("`--time faketime` needs libfaketime (Debian: `apt-get install -y faketime`; or set TOOLGATE_FAKETIME_LIB to libfaketime.so.1), found none");

  const dir = mkdtempSync(join(tmpdir(), "toolgate-check-"));
  const files = { policy: join(dir, "policy.json"), seed: join(dir, "seed.json"), audit: join(dir, "audit.jsonl"), clock: join(dir, "clock"), faketime: join(dir, "faketime"), grants: join(dir, "grants.json"), tmp: join(dir, "tmp") };
  mkdirSync(files.tmp);
  writeFileSync(files.policy, spec.policyText);
  writeFileSync(files.seed, JSON.stringify(spec.seed));
  publishTime(files, startMs);
  const settings = settingsFlags(profile, spec.gateway);
  const adminToken = randomHex(16);
  const baseEnv = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined));
  const env = { ...baseEnv, ...gatewayTimeEnv(mechanism, files, faketimeLibrary), TOOLGATE_ADMIN_TOKEN: adminToken };
  const processes: GatewayProcess[] = [];
  const portFiles: string[] = [];
  const effectsFiles: string[] = [];
  const restPorts = (): number[] => portFiles.flatMap((f) => (existsSync(f) ? readFileSync(f, "utf8").split("\n").filter((l) => l !== "").map(Number) : []));
  const answers: AnswerFact[] = [];
  const clients: Client[] = [];
  const calls = new Map<string, CallFn>();
  let adminAddress: string | undefined;
  let error: string | undefined;
  const usesFaults = (spec.kommo.faults ?? []).length > 0 || (scenario.events ?? []).some((e) => e.kind === "fault" || e.kind === "clearFaults");
  const broken = (): string | undefined => processes.map((p) => p.describeBreak()).find((b) => b !== undefined);

  const start = async (fill: { grant?: string; port?: number }): Promise<GatewayProcess> => {
    const restPortFile = join(dir, `rest-ports-${portFiles.length}`);
    const effects = join(dir, `effects-${portFiles.length}.jsonl`);
    portFiles.push(restPortFile);
    effectsFiles.push(effects);
    const simFiles = { seed: files.seed, effects, ...(mechanism === "real" ? {} : { clock: files.clock }) };
    const simOptions = { ...(usesFaults ? { restPortFile } : {}), ...(options.toolgateBin ? { toolgateBin: options.toolgateBin } : {}) };
    const upstream = kommoSimCommand(spec.kommo, simFiles, simOptions);
    const config = join(dir, `stack-${portFiles.length}.json`);
    if (loaded.stack !== undefined) writeStackConfig(config, scenario, loaded.stack, kommoSimArgv(spec.kommo, simFiles, simOptions), files.tmp, transport === "http" ? files.grants : undefined);
    // One admin API per process; approvals are decided only where one process serves every agent.
    const admin = template.includes("{admin}") ? `127.0.0.1:${await freePort()}` : undefined;
    adminAddress ??= admin;
    const line = fillTemplate(template, {
      policy: files.policy,
      upstream,
      config,
      grant: fill.grant ?? "",
      audit: files.audit,
      grants: files.grants,
      ...(fill.port !== undefined ? { port: String(fill.port) } : {}),
      ...(admin !== undefined ? { admin } : {}),
      settings: settings.ok ? settings.flags : "",
    });
    const process = new GatewayProcess(line, { cwd: options.cwd, env });
    processes.push(process);
    return process;
  };
  /** Tool names each agent's gateway listed after connecting. */
  const listed = new Map<string, ReadonlySet<string>>();
  const listTools = async (agent: string, client: Client): Promise<void> => {
    const result = await client.listTools().catch(() => undefined);
    if (result) listed.set(agent, new Set(result.tools.map((t) => t.name)));
  };
  // In a stack only the simulator's calls reach the effects file, under the simulator's own names.
  const naming = loaded.stack === undefined ? undefined : stackNaming(loaded.stack);
  const simulatorTool = (tool: string): string | undefined => {
    if (naming === undefined || loaded.stack === undefined) return tool;
    const routed = naming.split("tool", tool);
    return routed?.server === loaded.stack.simulator ? routed.name : undefined;
  };
  const answered = (call: CallFn): CallFn => async (spec) => {
    const got = await call(spec);
    const tool = simulatorTool(spec.tool);
    if (tool !== undefined) answers.push({ tool, argsSha256: argsDigest(spec.args), outcome: got.outcome, code: got.code });
    return got;
  };

  try {
    if (transport === "http") {
      const tokens = new Map((loaded.scenario.grants ?? [...new Set(scenario.agents.flatMap((a) => (a.grant ? [a.grant] : [])))]).map((g) => [g, `tg-${g}-${randomHex(12)}`]));
      writeFileSync(files.grants, JSON.stringify({ version: "1", grants: [...tokens].map(([id, token]) => ({ id, tokenSha256: sha256Hex(token) })) }));
      const port = await freePort();
      const process = await start({ port });
      await listening(port, process);
      for (const agent of scenario.agents) {
        const token = agent.grant === undefined ? undefined : tokens.get(agent.grant);
        const client = new Client({ name: `toolgate-check-${agent.name}`, version: "0.1.0" });
        await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}));
        clients.push(client);
        await listTools(agent.name, client);
        calls.set(agent.name, answered(sdkCallFn(client)));
      }
    } else {
      for (const agent of scenario.agents) {
        const process = await start(agent.grant !== undefined ? { grant: agent.grant } : {});
        const client = new Client({ name: `toolgate-check-${agent.name}`, version: "0.1.0" });
        await client.connect(new ProcessStdioTransport(process)).catch((e: unknown) => {
          throw new Error(process.describeBreak() ?? messageOf(e));
        });
        clients.push(client);
        await listTools(agent.name, client);
        calls.set(agent.name, answered(sdkCallFn(client)));
      }
    }
    if (usesFaults) {
      await simulatorsReady(portFiles.length, restPorts, broken);
      const initial = Object.fromEntries((spec.kommo.faults ?? []).map((f) => [f.route, faultSpec(f)]));
      if (Object.keys(initial).length > 0) await setFaults(restPorts(), initial);
    }

    const approvals: ApprovalDesk["approvals"] | undefined =
      adminAddress !== undefined ? adminApprovals(adminAddress, adminToken) : options.approveCmd !== undefined ? commandApprovals({ approve: options.approveCmd, deny: options.denyCmd ?? options.approveCmd }, options.cwd, baseEnv) : undefined;
    const realLimitMs = mechanism === "real" ? (options.maxRealWaitMs ?? 130_000) : undefined;
    const runnable: TimelineEntry[] = [];
    let skippedSince: string | undefined;
    for (const entry of timeline) {
      const why = entrySkipReason(entry, { profile, skippedSince, realLimitMs });
      if (why !== undefined) {
        skippedSince ??= entry.id;
        skip(entry, why);
      } else runnable.push(entry);
    }

    const results = new Map<string, StepResult>();
    const runEntry = async (entry: TimelineEntry, time: TimeDriver): Promise<void> => {
      switch (entry.kind) {
        case "event": {
          const { event } = entry;
          let lines: string[] = [];
          if (event.kind === "fault") await setFaults(restPorts(), { [event.fault.route]: faultSpec(event.fault) });
          else if (event.kind === "clearFaults") await setFaults(restPorts(), "clear");
          else if (event.kind === "reload") lines = await reloadExternal(event, loaded.reloadPolicies.get(entry.index)!, { policyFile: files.policy, processes, reloadCmd: options.reloadCmd, cwd: options.cwd, env: baseEnv });
          else if (event.kind === "approval") lines = approvals ? await decideApproval(event, { scenario, calls: log, approvals, onDecision: (m) => void approvalMarks.push(m) }) : ["no way to decide approvals"];
          results.set(entry.id, checkedResult(entry, lines, WITHOUT_LABEL));
          return;
        }
        case "step": {
          const made = await runAgentStep(entry.step, { agent: entry.agent.name, stepId: entry.id, call: calls.get(entry.agent.name)!, time, record: log.record });
          if (mechanism === "real" && assertsExactTimes(entry.step)) {
            results.set(entry.id, skippedResult(entry, "asserts exact retry or answer times, which only a moved clock (clock-file, faketime) makes exact"));
            return;
          }
          results.set(entry.id, checkedResult(entry, checkStep(entry.step, made, startMs, log), WITHOUT_LABEL));
          return;
        }
        default:
          return assertNever(entry, "timeline entry");
      }
    };
    const onError = (message: string): void => void (error ??= message);
    if (mechanism === "real") {
      const time = await RealTime.start(startMs, options.onProgress);
      await time.run(runnable, (entry) => runEntry(entry, time), onError);
    } else {
      const hintsMs = [spec.gateway.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS, ...(spec.gateway.approvalTimeoutMs !== undefined ? [spec.gateway.approvalTimeoutMs] : []), ...[...(spec.kommo.faults ?? []), ...(scenario.events ?? []).flatMap((e) => (e.kind === "fault" ? [e.fault] : []))].flatMap((f) => [f.latencyMs ?? 0, f.answerLatencyMs ?? 0]).filter((d) => d > 0)];
      const time = new SteppedTime({ publish: (nowMs) => publishTime(files, startMs + nowMs), hintsMs, quietMs: options.quietMs ?? 1_000, settleMs: 20 });
      for (const [name, call] of calls) calls.set(name, time.track(call));
      await runOnSteppedTime(runnable, (entry) => runEntry(entry, time), time, { settleLimitMs: Math.max(...hintsMs) + 60_000, instant: (entry) => entry.id.startsWith("events["), onError });
    }
    for (const entry of runnable) {
      const result = results.get(entry.id);
      if (result) steps.push(result);
    }
    steps.sort((a, b) => timeline.findIndex((e) => e.id === a.id) - timeline.findIndex((e) => e.id === b.id));
    const gone = broken();
    if (gone !== undefined) error ??= gone;
    const approvalsLeft = adminAddress !== undefined && approvals ? await approvals.list().catch(() => undefined) : undefined;
    for (const client of clients) await client.close().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop()));
    const effectLines = effectsFiles.flatMap((f) => readJsonLines(f));
    const hidden = [...answersVsEffects(answers, effectLines), ...listedButDenied(log.calls, listed)];
    if (scenario.expect && skippedSince === undefined) {
      const auditLines = profile.capabilities.has("audit") && template.includes("{audit}") ? readJsonLines(files.audit) : undefined;
      const expect = auditLines === undefined ? { ...scenario.expect, audit: undefined } : scenario.expect;
      const facts = { ...fileEndFacts(effectLines, auditLines), ...(approvalsLeft ? { approvals: approvalsLeft } : {}) };
      steps.push(endResult(0, [...checkEnd(expect, facts), ...hidden]));
    } else if (hidden.length > 0) steps.push(endResult(0, hidden));
    else if (scenario.expect) skip("end", { needs: "time", reason: `follows skipped ${skippedSince}` });
  } catch (e) {
    error = broken() ?? `the external gateway run broke: ${messageOf(e)}`;
    for (const client of clients) await client.close().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return finish(error);
}
