/**
 * Runs one scenario in process on one virtual clock: the scenario's world (scenario-world.ts), one
 * in-memory session per agent through a gateway from a `GatewayFactory` (in-memory-sessions.ts),
 * and the timeline (timeline.ts) walked on virtual time (virtual-time-loop.ts). Time moves only
 * when the runner moves it: to each entry's `at`, and timer by timer while calls wait on virtual
 * time. Every step and event is checked as it finishes, the end state once everything has.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monotonicNs } from "../core/clock.js";
import { assertNever, stackOf } from "../core/errors.js";
import { runAgentStep } from "./agents.js";
import { applyEvent, type EventTarget } from "./apply-event.js";
import { CallLog } from "./call-log.js";
import { decideApproval } from "./decide-approval.js";
import { DrivenClock } from "./driven-clock.js";
import { worldEndFacts } from "./end-facts.js";
import { checkEnd, checkStep } from "./expectations.js";
import { builtInGateway, type GatewayFactory } from "./gateway-factory.js";
import { InMemorySessions } from "./in-memory-sessions.js";
import type { LoadedScenario } from "./load-scenario.js";
import { elapsedMs, resultHeader } from "./result-header.js";
import type { ApprovalMark, ScenarioResult, StepResult, Verdict } from "./result.js";
import { createScenarioWorld, worldSpec } from "./scenario-world.js";
import { checkedResult, END_ID, endResult, inTimelineOrder } from "./step-results.js";
import { scenarioTimeline, type TimelineEntry } from "./timeline.js";
import { runOnVirtualTime } from "./virtual-time-loop.js";

export interface RunScenarioOptions {
  /** The gateway under test; default the built-in `createGateway`. */
  readonly gatewayFactory?: GatewayFactory;
  /** Stop waiting for calls this long (virtual ms) after the last step started. Default 1 hour. */
  readonly settleLimitMs?: number;
}

const WITH_LABEL = { withLabel: true } as const;

export async function runScenario(loaded: LoadedScenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const began = monotonicNs();
  const { scenario, startMs } = loaded;
  const header = resultHeader(loaded, "virtual");
  const spec = worldSpec(loaded);
  if (!spec.ok) {
    return { ...header, verdict: "failed", endMs: 0, durationMs: 0, steps: [], calls: [], counters: [], loadIssues: [{ path: "crm.overrides", message: spec.message }] };
  }
  const clock = new DrivenClock(startMs);
  const onActivity = (): void => void clock.activity++;
  const rel = (): number => clock.nowMs() - startMs;
  const world = createScenarioWorld(spec.spec, { clock, onActivity });
  const tmpDir = loaded.stack === undefined ? undefined : mkdtempSync(join(tmpdir(), "toolgate-scenario-"));
  const stack = loaded.stack === undefined || tmpDir === undefined ? undefined : { scenarioStack: loaded.stack, tmpDir, env: process.env };
  const sessions = new InMemorySessions(world, { clock, factory: options.gatewayFactory ?? builtInGateway, onActivity, ...(stack ? { stack } : {}) });
  const log = new CallLog(scenario);
  const decisions: ApprovalMark[] = [];
  const results = new Map<string, StepResult>();
  const events: EventTarget = {
    reloadPolicies: loaded.reloadPolicies,
    policy: world.policy,
    faults: world.fake.faults,
    decideApproval: (event) => decideApproval(event, { scenario, calls: log, approvals: world.approvals, onDecision: (mark) => void decisions.push(mark) }),
  };
  const time = { nowMs: rel, waitUntil: (atMs: number) => clock.sleep(Math.max(0, atMs - rel())) };
  const runEntry = async (entry: TimelineEntry): Promise<void> => {
    switch (entry.kind) {
      case "event":
        results.set(entry.id, checkedResult(entry, await applyEvent(entry, events), WITH_LABEL));
        return;
      case "step": {
        const made = await runAgentStep(entry.step, { agent: entry.agent.name, stepId: entry.id, call: sessions.callFn(entry.agent.name), time, record: log.record });
        results.set(entry.id, checkedResult(entry, checkStep(entry.step, made, startMs, log), WITH_LABEL));
        return;
      }
      default:
        return assertNever(entry, "timeline entry");
    }
  };
  const timeline = scenarioTimeline(scenario);
  let runError: string | undefined;

  try {
    for (const agent of scenario.agents) await sessions.connect(agent);
    await runOnVirtualTime(timeline, runEntry, {
      clock,
      startMs,
      ...(options.settleLimitMs !== undefined ? { settleLimitMs: options.settleLimitMs } : {}),
      onError: (message) => void (runError ??= message),
    });
    if (scenario.expect) results.set(END_ID, endResult(rel(), checkEnd(scenario.expect, await worldEndFacts(world))));
  } catch (error) {
    runError ??= `the run broke: ${stackOf(error)}`;
  } finally {
    // Held calls are released (and answered) before their sessions close.
    world.approvals.close();
    await sessions.close();
    await world.close();
    if (tmpDir !== undefined) rmSync(tmpDir, { recursive: true, force: true });
  }

  const steps = inTimelineOrder(timeline, results);
  const verdict: Verdict = runError || steps.some((s) => s.verdict === "failed") ? "failed" : "passed";
  return {
    ...header,
    verdict,
    endMs: rel(),
    durationMs: elapsedMs(began),
    steps,
    calls: [...log.calls].sort((a, b) => a.startMs - b.startMs),
    counters: world.store.samples,
    ...(decisions.length > 0 ? { approvals: decisions } : {}),
    ...(world.audit.some((r) => r.wouldDeny !== undefined) ? { wouldDeny: world.audit.reduce((n, r) => n + (r.wouldDeny?.length ?? 0), 0) } : {}),
    ...(runError ? { error: runError } : {}),
  };
}
