/**
 * What a run against an external gateway process cannot steer from outside, and is therefore
 * reported as skipped, never as passed: whole scenarios (global shadow mode, approval decisions,
 * several agents, Kommo faults from time 0), and single entries (events that need an in-process
 * hook, steps after time 0 or waiting on time on the real clock, and everything after the first
 * skipped entry, whose state would differ).
 */
import { assertNever } from "../core/errors.js";
import { stepNeedsTime } from "./agents.js";
import type { LoadedScenario } from "./load-scenario.js";
import { normaliseCallExpect, stepCallExpects, type AgentStep, type ScenarioEvent } from "./scenario-schema.js";
import type { TimelineEntry } from "./timeline.js";

/** Why a scenario needs approvals decided by a human (undefined when it does not). */
export function needsApprovals(loaded: LoadedScenario): string | undefined {
  const { scenario } = loaded;
  if ((scenario.events ?? []).some((e) => e.kind === "approval")) return "decides approvals (`approval` events)";
  if (scenario.gateway?.approvalMode !== undefined) return "sets `gateway.approvalMode`";
  if (scenario.expect?.approvals !== undefined || scenario.expect?.audit?.approvalSteps !== undefined) return "asserts approvals at the end";
  const expectsId = (step: AgentStep): boolean =>
    stepCallExpects(step).some((e) => {
      const n = normaliseCallExpect(e);
      return n.decision === "deny" && n.approvalId !== undefined;
    });
  if (scenario.agents.some((a) => a.steps.some(expectsId))) return "asserts approval ids";
  return undefined;
}

/** Why the whole scenario is skipped against an external gateway (undefined when it can run). */
export function scenarioSkipReason(loaded: LoadedScenario): string | undefined {
  const { scenario } = loaded;
  if (scenario.gateway?.shadow === true) return "runs the gateway in global shadow mode (`gateway.shadow`); an external gateway's flags come from the `--gateway-cmd` template, so the harness cannot switch it on";
  const approvalReason = needsApprovals(loaded);
  if (approvalReason) return `${approvalReason}: deciding approvals needs the gateway's admin API (\`toolgate approvals\`), which a \`--gateway-cmd\` run does not drive`;
  if (scenario.agents.length !== 1) return "needs several agents on one gateway's counters; an external gateway process serves one agent";
  if ((scenario.kommo?.faults ?? []).length > 0) return "needs Kommo fault injection, which is an in-process hook";
  return undefined;
}

/** Why an event cannot be applied to an external gateway's world (a clock note only marks time). */
function eventSkipReason(event: ScenarioEvent): string | undefined {
  switch (event.kind) {
    case "clock":
      return undefined;
    case "reload":
    case "fault":
    case "clearFaults":
    case "approval":
      return `${event.kind} events need an in-process hook`;
    default:
      return assertNever(event, "event");
  }
}

export interface SkipState {
  /** The children's time follows a clock file the runner writes (else: the real clock). */
  readonly clockFile: boolean;
  /** The first entry skipped so far. */
  readonly skippedSince: string | undefined;
}

/** Why the entry is skipped (undefined when it runs). */
export function entrySkipReason(entry: TimelineEntry, { clockFile, skippedSince }: SkipState): string | undefined {
  const hook = entry.kind === "event" ? eventSkipReason(entry.event) : undefined;
  if (hook !== undefined) return hook;
  if (skippedSince !== undefined) return `follows skipped ${skippedSince}`;
  if (!clockFile && entry.atMs > 0) return "runs after time 0, which needs the virtual clock";
  if (!clockFile && entry.kind === "step" && stepNeedsTime(entry.step)) return "waits on time, which needs the virtual clock";
  return undefined;
}

/** Whether a step asserts exact retry or answer times (facts of the virtual clock). */
export function assertsExactTimes(step: AgentStep): boolean {
  const exact = stepCallExpects(step).some((e) => {
    const n = normaliseCallExpect(e);
    return (n.decision === "deny" && n.retryAfterMs !== undefined) || n.answeredAtMs !== undefined;
  });
  return exact || (step.kind === "retry" && step.expect.allowedAtMs !== undefined);
}
