/**
 * Runs one scenario in process on one virtual clock: per agent an SDK 1.x `Client` → in-memory
 * transport → a gateway (from a `GatewayFactory`) → in-memory transport → the simulated Kommo
 * MCP server, all over one fake Kommo, one counter store, one policy. Time moves only when the
 * runner moves it: to each step's `at`, and timer by timer while calls wait on virtual time.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { monotonicNs } from "../core/clock.js";
import { formatIssues } from "../core/errors.js";
import { ApprovalGate } from "../gateway/approvals/approval-gate.js";
import type { ApprovalAuditRecord } from "../gateway/approvals/approval-audit.js";
import { argumentFacts, type AuditRecord } from "../gateway/audit-log.js";
import { SharedPolicy } from "../gateway/policy-source.js";
import { createFakeKommo, type FakeKommo } from "../kommo/rest-api/fake-kommo.js";
import { createKommoMcpServer } from "../kommo/mcp-server.js";
import { loadCrmSeedFile, loadDefaultSeed, parseCrmSeed, type CrmSeed } from "../kommo/crm/seed.js";
import { parsePolicyText, type CompiledPolicy } from "../policy/load-policy.js";
import { windowMs } from "../policy/windows.js";
import type { JsonRpcMessage } from "../protocol/messages.js";
import type { Transport } from "../protocol/transport.js";
import { MemoryApprovalStore } from "../stores/memory-approval-store.js";
import { MemoryCounterStore } from "../stores/memory-counter-store.js";
import { createLinkedPair } from "../transports/in-memory.js";
import { runAgentStep, sdkCallFn, stepCallSpec, type CallFn } from "./agents.js";
import { DrivenClock } from "./driven-clock.js";
import { checkCall, checkCounts, checkEnd, type ApprovalIds } from "./expectations.js";
import { builtInGateway, type GatewayFactory, type GatewayUnderTest } from "./gateway-factory.js";
import { findLabelledStep, type LoadedScenario } from "./load-scenario.js";
import { RecordingCounterStore } from "./recording-store.js";
import type { ApprovalMark, CallRecord, ScenarioResult, StepResult, Verdict, WindowMark } from "./result.js";
import { eventKind, stepKind, type AgentStep, type ApprovalEvent, type Fault, type ScenarioEvent } from "./scenario-schema.js";

export interface RunScenarioOptions {
  /** The gateway under test; default the built-in `createGateway`. */
  readonly gatewayFactory?: GatewayFactory;
  /** Stop waiting for calls this long (virtual ms) after the last step started. Default 1 hour. */
  readonly settleLimitMs?: number;
}

/** One line per step: `burst stop_salesbot ×50`. */
export function stepSummary(step: AgentStep): string {
  if ("call" in step) return `call ${step.call.tool}`;
  if ("burst" in step) return `burst ${step.burst.tool} ×${step.burst.count}`;
  if ("concurrent" in step) return `concurrent ${step.concurrent.tool} ×${step.concurrent.count}`;
  if ("loop" in step) return `loop ${step.loop.tool} every ${step.loop.everyMs} ms for ${step.loop.forMs} ms`;
  if ("retry" in step) return `retry ${step.retry.tool} up to ${step.retry.maxAttempts}× (wait ${step.retry.wait})`;
  return "approval";
}

export function eventSummary(event: ScenarioEvent): string {
  if ("clock" in event) return `clock${event.clock.note ? `: ${event.clock.note}` : ""}`;
  if ("reload" in event) return `reload policy${typeof event.reload.policy === "string" ? ` ${event.reload.policy}` : " (inline)"}`;
  if ("fault" in event) return `fault ${event.fault.route}`;
  if ("approval" in event) return `${event.approval.decide} the approval of ${event.approval.of}${event.approval.by ? ` (by ${event.approval.by})` : ""}`;
  return "clear faults";
}

export function faultSpec(fault: Fault): { status?: number; latencyMs?: number; answerLatencyMs?: number; timeout?: true; times?: number } {
  return {
    ...(fault.status !== undefined ? { status: fault.status } : {}),
    ...(fault.latencyMs !== undefined ? { latencyMs: fault.latencyMs } : {}),
    ...(fault.answerLatencyMs !== undefined ? { answerLatencyMs: fault.answerLatencyMs } : {}),
    ...(fault.timeout === true ? { timeout: true as const } : {}),
    ...(fault.times !== undefined ? { times: fault.times } : {}),
  };
}

/** The scenario's CRM seed: the seed file or the default, with top-level overrides applied. */
export function scenarioSeed(loaded: LoadedScenario): { ok: true; seed: CrmSeed } | { ok: false; message: string } {
  const base = loaded.seedFile ? loadCrmSeedFile(loaded.seedFile) : loadDefaultSeed();
  const overrides = loaded.scenario.crm?.overrides;
  if (!overrides) return { ok: true, seed: base };
  const parsed = parseCrmSeed({ ...base, ...overrides }, loaded.file);
  if (parsed.ok) return { ok: true, seed: parsed.value };
  return { ok: false, message: `crm.overrides: the merged seed is invalid:\n${formatIssues(loaded.file, parsed.issues)}` };
}

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

/** A transport wrapper that reports each message as activity (so the runner knows the world moved). */
function counted(transport: Transport, bump: () => void): Transport {
  const wrapper: Transport = {
    start: () => transport.start(),
    send: (message: JsonRpcMessage) => {
      bump();
      return transport.send(message);
    },
    close: () => transport.close(),
  };
  transport.onmessage = (message) => {
    bump();
    wrapper.onmessage?.(message);
  };
  transport.onclose = () => wrapper.onclose?.();
  transport.onerror = (error) => wrapper.onerror?.(error);
  return wrapper;
}

interface Task {
  readonly id: string;
  done: boolean;
  readonly promise: Promise<void>;
}

export async function runScenario(loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const began = monotonicNs();
  const { scenario, startMs } = loaded;
  const clock = new DrivenClock(startMs);
  const bump = (): void => void clock.activity++;
  const rel = (): number => clock.nowMs() - startMs;
  const calls: CallRecord[] = [];
  const audit: AuditRecord[] = [];
  const approvalLines: ApprovalAuditRecord[] = [];
  const decisions: ApprovalMark[] = [];
  /** Calls by the step that made them, in the order they came back. */
  const callsByStep = new Map<string, CallRecord[]>();
  const steps = new Map<string, StepResult>();
  const base = {
    name: loaded.name,
    file: loaded.file,
    purpose: scenario.purpose,
    mode: "virtual" as const,
    startMs,
    agents: scenario.agents.map((a) => a.name),
    windows: policyWindows(loaded.compiledPolicy),
  };

  const seed = scenarioSeed(loaded);
  if (!seed.ok) {
    return { ...base, verdict: "failed", endMs: 0, durationMs: 0, steps: [], calls: [], counters: [], loadIssues: [{ path: "crm.overrides", message: seed.message }] };
  }
  const fake: FakeKommo = createFakeKommo({
    clock,
    seed: seed.seed,
    ...(scenario.kommo?.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: scenario.kommo.rateLimitPerSecond } : {}),
  });
  for (const fault of scenario.kommo?.faults ?? []) fake.faults.set(fault.route, faultSpec(fault));
  const kommo = createKommoMcpServer({
    fake,
    clock,
    jitterMs: () => 0,
    ...(scenario.kommo?.schema ? { schema: scenario.kommo.schema } : {}),
    ...(scenario.kommo?.confirmWrites !== undefined ? { confirmWrites: scenario.kommo.confirmWrites } : {}),
  });
  const store = new RecordingCounterStore(new MemoryCounterStore({ clock }), clock, startMs, bump);
  let approvalSeq = 0;
  const approvalStore = new MemoryApprovalStore({ clock, newId: () => `apr_${String(++approvalSeq).padStart(16, "0")}` });
  const approvals = new ApprovalGate({
    store: approvalStore,
    clock,
    mode: scenario.gateway?.approvalMode ?? "async",
    ...(scenario.gateway?.approvalTimeoutMs !== undefined ? { holdTimeoutMs: scenario.gateway.approvalTimeoutMs } : {}),
    audit: (line) => void approvalLines.push(line),
  });
  const ids: ApprovalIds = {
    firstCarrier: (id) => calls.find((c) => c.approvalId === id),
    ofStep: (ref, agent) => {
      const found = findLabelledStep(scenario, ref.includes("/") ? ref : `${agent}/${ref}`);
      if (typeof found === "string") return undefined;
      return (callsByStep.get(`agents[${found.agent}].steps[${found.index}]`) ?? []).findLast((c) => c.approvalId !== undefined)?.approvalId;
    },
  };
  const factory = options.gatewayFactory ?? builtInGateway;
  const gateways: GatewayUnderTest[] = [];
  const clients: Client[] = [];
  const callFns = new Map<string, CallFn>();
  const policy = new SharedPolicy(loaded.compiledPolicy);
  let runError: string | undefined;

  try {
    for (const agent of scenario.agents) {
      const [agentSide, gatewayDown] = createLinkedPair();
      const [gatewayUp, serverSide] = createLinkedPair();
      await kommo.connect(counted(serverSide, bump) as never);
      const gateway = factory({
        policies: policy,
        ...(agent.grant !== undefined ? { grantId: agent.grant } : {}),
        sessionKey: agent.session ?? agent.name,
        clock,
        store,
        upstream: counted(gatewayUp, bump),
        downstream: counted(gatewayDown, bump),
        audit: (record) => void audit.push(record),
        approvals,
        ...(scenario.gateway?.shadow === true ? { shadow: true } : {}),
        ...(scenario.gateway?.upstreamTimeoutMs !== undefined ? { upstreamTimeoutMs: scenario.gateway.upstreamTimeoutMs } : {}),
        ...(scenario.gateway?.maxMessageBytes !== undefined ? { maxMessageBytes: scenario.gateway.maxMessageBytes } : {}),
      });
      gateways.push(gateway);
      await gateway.start();
      const client = new Client({ name: `toolgate-harness-${agent.name}`, version: "0.1.0" });
      const connecting = client.connect(counted(agentSide, bump) as never);
      await clock.drain();
      await connecting;
      clients.push(client);
      callFns.set(agent.name, sdkCallFn(client));
    }

    // Everything that starts at a time, in order: events first at equal times, then agents in file order.
    type Start = { atMs: number; order: number; run: () => Promise<void>; id: string };
    const starts: Start[] = [];
    (scenario.events ?? []).forEach((event, e) => {
      const id = `events[${e}]`;
      starts.push({
        atMs: event.at,
        order: e,
        id,
        run: async () => {
          const mismatches = await applyEvent(event, e);
          steps.set(id, { id, kind: eventKind(event), atMs: event.at, ...(event.label ? { label: event.label } : {}), summary: eventSummary(event), verdict: mismatches.length ? "failed" : "passed", mismatches });
        },
      });
    });
    scenario.agents.forEach((agent, a) => {
      agent.steps.forEach((step, s) => {
        const id = `agents[${a}].steps[${s}]`;
        starts.push({
          atMs: step.at,
          order: 1_000_000 + a * 10_000 + s,
          id,
          run: async () => {
            const made = await runAgentStep(step, {
              agent: agent.name,
              stepId: id,
              call: callFns.get(agent.name)!,
              time: { nowMs: rel, waitUntil: (atMs) => clock.sleep(Math.max(0, atMs - rel())) },
              record: (c) => {
                calls.push(c);
                const list = callsByStep.get(id) ?? [];
                list.push(c);
                callsByStep.set(id, list);
              },
            });
            const mismatches = checkStep(step, made, startMs, ids);
            steps.set(id, { id, agent: agent.name, kind: stepKind(step), atMs: step.at, ...(step.label ? { label: step.label } : {}), summary: stepSummary(step), verdict: mismatches.length ? "failed" : "passed", mismatches });
          },
        });
      });
    });
    starts.sort((x, y) => x.atMs - y.atMs || x.order - y.order);

    const tasks: Task[] = [];
    for (const start of starts) {
      await clock.advanceTo(startMs + start.atMs);
      const task: Task = {
        id: start.id,
        done: false,
        promise: start.run().then(
          () => void ((task.done = true), bump()),
          (error: unknown) => {
            task.done = true;
            bump();
            runError ??= `${start.id}: the step crashed: ${(error as Error).stack ?? String(error)}`;
          },
        ),
      };
      tasks.push(task);
      await clock.drain();
    }
    const lastAt = starts.at(-1)?.atMs ?? 0;
    const limitMs = startMs + lastAt + (options.settleLimitMs ?? 3_600_000);
    for (let guard = 0; guard < 1_000_000; guard++) {
      await clock.drain();
      if (tasks.every((t) => t.done)) break;
      const next = clock.nextDueMs();
      if (next === undefined || next > limitMs) {
        const stuck = tasks.filter((t) => !t.done).map((t) => t.id);
        runError ??= `the run stalled at ${rel()} ms: ${stuck.join(", ")} never finished (${next === undefined ? "nothing left to wait for on the virtual clock" : `next timer only at ${next - startMs} ms`})`;
        break;
      }
      await clock.advanceTo(next);
    }

    const end = scenario.expect;
    if (end) {
      const mismatches = checkEnd(end, {
        stops: fake.effects.stops(),
        runs: fake.effects.runs().length,
        requests: (route) => {
          const [method, path] = route.split(" ");
          return fake.requests.all({ method: method!, path: path! }).filter((r) => r.status >= 200 && r.status < 300).length;
        },
        audit,
        approvalLines,
        approvals: await approvals.list(),
      });
      steps.set("expect", { id: "expect", kind: "end", atMs: rel(), summary: "end state: CRM effects, Kommo requests, audit", verdict: mismatches.length ? "failed" : "passed", mismatches });
    }
  } catch (error) {
    runError ??= `the run broke: ${(error as Error).stack ?? String(error)}`;
  } finally {
    approvals.close();
    for (const client of clients) await client.close().catch(() => undefined);
    for (const gateway of gateways) await gateway.close().catch(() => undefined);
    await kommo.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await approvalStore.close().catch(() => undefined);
  }

  const ordered = orderSteps(loaded, steps);
  const verdict: Verdict = runError || ordered.some((s) => s.verdict === "failed") ? "failed" : "passed";
  return {
    ...base,
    verdict,
    endMs: rel(),
    durationMs: Number((monotonicNs() - began) / 1_000_000n),
    steps: ordered,
    calls: [...calls].sort((a, b) => a.startMs - b.startMs),
    counters: store.samples,
    ...(decisions.length > 0 ? { approvals: decisions } : {}),
    ...(audit.some((r) => r.wouldDeny !== undefined) ? { wouldDeny: audit.reduce((n, r) => n + (r.wouldDeny?.length ?? 0), 0) } : {}),
    ...(runError ? { error: runError } : {}),
  };

  /** A human's decision on the approval a step asked for. */
  async function decideApproval(event: ApprovalEvent): Promise<string[]> {
    const { decide, of, by } = event.approval;
    const label = `${decide} at ${event.at} ms`;
    const found = findLabelledStep(scenario, of);
    if (typeof found === "string") return [`${label}: ${found}`];
    const stepId = `agents[${found.agent}].steps[${found.index}]`;
    let approvalId = (callsByStep.get(stepId) ?? []).findLast((c) => c.approvalId !== undefined)?.approvalId;
    if (approvalId === undefined) {
      // A call still held open (hold mode) has not been answered yet: find its pending approval by identity.
      const agent = scenario.agents[found.agent]!;
      const spec = stepCallSpec(found.step);
      const digest = argumentFacts((spec.args ?? {}) as Parameters<typeof argumentFacts>[0]).argsSha256;
      const pending = (await approvals.list()).find((r) => r.state === "pending" && r.grantId === (agent.grant ?? "") && r.tool === spec.tool && r.argsDigest === digest);
      approvalId = pending?.id;
    }
    if (approvalId === undefined) {
      const answered = (callsByStep.get(stepId) ?? []).map((c) => describeOutcome(c)).join("; ") || "no call answered yet";
      decisions.push({ atMs: event.at, decide, of, outcome: "unresolved" });
      return [`${label}: expected step \`${of}\` to have asked for an approval, got no approval id and no pending approval for its call (its calls: ${answered})`];
    }
    const result = await approvals.decide(approvalId, decide === "approve" ? "approved" : "denied", by ?? "scenario");
    decisions.push({ atMs: event.at, decide, of, approvalId, ...(result.ok ? { outcome: "decided" as const } : { outcome: "refused" as const, reason: result.reason }) });
    const expect = event.expect ?? "decided";
    if (expect === "decided") {
      return result.ok ? [] : [`${label}: expected approval ${approvalId} (of \`${of}\`) to be decided, got it refused (${result.reason}${"record" in result ? `, state ${result.record.state}` : ""})`];
    }
    if (result.ok) return [`${label}: expected approval ${approvalId} (of \`${of}\`) to be refused${expect.refused.reason ? ` (${expect.refused.reason})` : ""}, got it decided`];
    if (expect.refused.reason !== undefined && result.reason !== expect.refused.reason) {
      return [`${label}: expected approval ${approvalId} (of \`${of}\`) to be refused (${expect.refused.reason}), got it refused (${result.reason})`];
    }
    return [];
  }

  async function applyEvent(event: ScenarioEvent, index: number): Promise<string[]> {
    switch (eventKind(event)) {
      case "approval":
        return decideApproval(event as ApprovalEvent);
      case "clock":
        return [];
      case "fault": {
        const fault = (event as { fault: Fault }).fault;
        fake.faults.set(fault.route, faultSpec(fault));
        return [];
      }
      case "clearFaults":
        fake.faults.clear();
        return [];
      case "reload": {
        const input = loaded.reloadPolicies.get(index)!;
        const parsed = parsePolicyText(input.text);
        const expect = (event as { expect: "applied" | { rejected: { includes?: string } } }).expect;
        const label = `reload at ${event.at} ms`;
        if (parsed.ok) {
          policy.set(parsed.value);
          return expect === "applied" ? [] : [`${label}: expected the policy to be rejected, got it applied`];
        }
        const text = formatIssues(input.file ?? "(inline policy)", parsed.issues);
        if (expect === "applied") return [`${label}: expected the policy to be applied, got it rejected:\n${text}`];
        if (expect.rejected.includes !== undefined && !text.includes(expect.rejected.includes)) {
          return [`${label}: expected a rejection mentioning \`${expect.rejected.includes}\`, got:\n${text}`];
        }
        return [];
      }
    }
  }
}

function checkStep(step: AgentStep, made: CallRecord[], startMs: number, ids: ApprovalIds): string[] {
  if ("call" in step) {
    const m = checkCall(made[0]!, step.expect, startMs, "call", ids);
    return m ? [m] : [];
  }
  return checkCounts(made, step.expect, startMs, stepSummary(step), ids);
}

function describeOutcome(call: CallRecord): string {
  return call.outcome === "deny" ? `deny ${call.code ?? "(no code)"} at ${call.startMs} ms` : `${call.outcome} at ${call.startMs} ms`;
}

function orderSteps(loaded: LoadedScenario, steps: Map<string, StepResult>): StepResult[] {
  const ids = [
    ...(loaded.scenario.events ?? []).map((_, e) => `events[${e}]`),
    ...loaded.scenario.agents.flatMap((agent, a) => agent.steps.map((_, s) => `agents[${a}].steps[${s}]`)),
  ];
  const out: StepResult[] = [];
  for (const id of ids) {
    const found = steps.get(id);
    if (found) out.push(found);
  }
  out.sort((x, y) => x.atMs - y.atMs);
  const end = steps.get("expect");
  if (end) out.push(end);
  return out;
}
