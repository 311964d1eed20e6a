/** One line per step or event, as the reports show them: `burst stop_salesbot ×50`, `fault POST /api/v4/bots/:id/stop`. */
import { assertNever } from "../core/errors.js";
import type { AgentStep, ScenarioEvent } from "./scenario-schema.js";
import type { TimelineEntry } from "./timeline.js";

export function stepSummary(step: AgentStep): string {
  switch (step.kind) {
    case "call":
      return `call ${step.call.tool}`;
    case "burst":
      return `burst ${step.burst.tool} ×${step.burst.count}`;
    case "concurrent":
      return `concurrent ${step.concurrent.tool} ×${step.concurrent.count}`;
    case "loop":
      return `loop ${step.loop.tool} every ${step.loop.everyMs} ms for ${step.loop.forMs} ms`;
    case "retry":
      return `retry ${step.retry.tool} up to ${step.retry.maxAttempts}× (wait ${step.retry.wait})`;
    default:
      return assertNever(step, "step");
  }
}

export function eventSummary(event: ScenarioEvent): string {
  switch (event.kind) {
    case "clock":
      return `clock${event.clock.note ? `: ${event.clock.note}` : ""}`;
    case "reload":
      return `reload policy${typeof event.reload.policy === "string" ? ` ${event.reload.policy}` : " (inline)"}`;
    case "fault":
      return `fault ${event.fault.route}`;
    case "approval":
      return `${event.approval.decide} the approval of ${event.approval.of}${event.approval.by ? ` (by ${event.approval.by})` : ""}`;
    case "clearFaults":
      return "clear faults";
    default:
      return assertNever(event, "event");
  }
}

export function entrySummary(entry: TimelineEntry): string {
  switch (entry.kind) {
    case "event":
      return eventSummary(entry.event);
    case "step":
      return stepSummary(entry.step);
    default:
      return assertNever(entry, "timeline entry");
  }
}
