/**
 * A timeline entry's line in the result (`StepResult`), built the same way by every runner: ran
 * and checked (passed when nothing mismatched), or skipped with the reason; and the end check.
 */
import { assertNever } from "../core/errors.js";
import type { StepResult } from "./result.js";
import { entrySummary } from "./summaries.js";
import type { TimelineEntry } from "./timeline.js";

/** The id of the end check's result. */
export const END_ID = "expect";

export interface ResultOptions {
  /** Carry the entry's `label` (the in-process runner does; the external runner's reports never have). */
  readonly withLabel: boolean;
}

function kindOf(entry: TimelineEntry): string {
  switch (entry.kind) {
    case "event":
      return entry.event.kind;
    case "step":
      return entry.step.kind;
    default:
      return assertNever(entry, "timeline entry");
  }
}

function labelOf(entry: TimelineEntry): string | undefined {
  switch (entry.kind) {
    case "event":
      return entry.event.label;
    case "step":
      return entry.step.label;
    default:
      return assertNever(entry, "timeline entry");
  }
}

function head(entry: TimelineEntry, withLabel: boolean): Pick<StepResult, "id" | "agent" | "kind" | "atMs" | "label" | "summary"> {
  const label = withLabel ? labelOf(entry) : undefined;
  return {
    id: entry.id,
    ...(entry.kind === "step" ? { agent: entry.agent.name } : {}),
    kind: kindOf(entry),
    atMs: entry.atMs,
    ...(label ? { label } : {}),
    summary: entrySummary(entry),
  };
}

/** An entry that ran: passed when nothing mismatched. */
export function checkedResult(entry: TimelineEntry, mismatches: readonly string[], options: ResultOptions): StepResult {
  return { ...head(entry, options.withLabel), verdict: mismatches.length ? "failed" : "passed", mismatches };
}

/** An entry that did not run here, or ran but cannot be judged here. */
export function skippedResult(entry: TimelineEntry, reason: string): StepResult {
  return { ...head(entry, false), verdict: "skipped", mismatches: [], skipReason: reason };
}

export function endResult(atMs: number, mismatches: readonly string[]): StepResult {
  return { id: END_ID, kind: "end", atMs, summary: "end state: CRM effects, Kommo requests, audit", verdict: mismatches.length ? "failed" : "passed", mismatches };
}

export function skippedEndResult(reason: string): StepResult {
  return { id: END_ID, kind: "end", atMs: 0, summary: "end state", verdict: "skipped", mismatches: [], skipReason: reason };
}

/** The results in timeline order (an entry that never finished has none), the end check last. */
export function inTimelineOrder(timeline: readonly TimelineEntry[], results: ReadonlyMap<string, StepResult>): StepResult[] {
  const out: StepResult[] = [];
  for (const entry of timeline) {
    const found = results.get(entry.id);
    if (found) out.push(found);
  }
  const end = results.get(END_ID);
  if (end) out.push(end);
  return out;
}
