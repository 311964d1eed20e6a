/**
 * What a scenario run produced: per-step verdicts, every call with its outcome, counter levels
 * over time. The report writers (`report/`) and `toolgate check` read only these types.
 * All `…Ms` times inside a scenario are virtual milliseconds from the scenario's start.
 */
import type { Issue } from "../core/errors.js";

export type Verdict = "passed" | "failed" | "skipped";

export type CallOutcome = "allow" | "deny" | "error";

export interface CallRecord {
  readonly agent: string;
  /** The step that issued the call, e.g. `agents[0].steps[2]`. */
  readonly step: string;
  readonly tool: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly outcome: CallOutcome;
  /** Allowed calls: the upstream's tool result had `isError: true`. */
  readonly isError?: boolean;
  readonly code?: string;
  readonly rule?: string;
  readonly retryAfterMs?: number;
  /** Rate-limit denials: units left in the window (`_meta["toolgate/decision"].remaining`). */
  readonly remaining?: number;
  /** The approval a denial named (`_meta["toolgate/decision"].approvalId`). */
  readonly approvalId?: string;
  /** The first characters of the answer's text (or the JSON-RPC error message). */
  readonly text: string;
}

export interface StepResult {
  /** `agents[0].steps[2]` or `events[1]` or `expect`. */
  readonly id: string;
  readonly agent?: string;
  readonly kind: string;
  readonly atMs: number;
  readonly label?: string;
  /** One line: `burst stop_salesbot ×50`. */
  readonly summary: string;
  readonly verdict: Verdict;
  /** Readable mismatch lines (step, time, expected, got, rule). */
  readonly mismatches: readonly string[];
  readonly skipReason?: string;
}

export interface CounterSample {
  /** The store key (scope × counter), e.g. `grant:alice|stop_salesbot_rate`. */
  readonly key: string;
  readonly atMs: number;
  readonly used: number;
  readonly max: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly event: "reserve" | "refuse" | "rollback";
}

/** A human's approval decision (an `approval` event), for the report's timeline. */
export interface ApprovalMark {
  readonly atMs: number;
  readonly decide: "approve" | "deny";
  /** The step whose approval was decided (`AGENT/LABEL`). */
  readonly of: string;
  /** The approval it resolved to, when it resolved to one. */
  readonly approvalId?: string;
  /** `decided`; `refused` by the store (see `reason`); `unresolved`: the step had asked for no approval. */
  readonly outcome: "decided" | "refused" | "unresolved";
  /** Why the store refused: `unknown`, `expired` or `decided` (already decided or used). */
  readonly reason?: string;
}

export interface WindowMark {
  readonly counter: string;
  readonly windowMs: number;
}

export interface ScenarioResult {
  readonly name: string;
  readonly file: string;
  readonly purpose: string;
  readonly mode: "virtual" | "external";
  readonly verdict: Verdict;
  /** Epoch ms of virtual time 0. */
  readonly startMs: number;
  /** Virtual time when the run ended. */
  readonly endMs: number;
  /** Real time the run took. */
  readonly durationMs: number;
  readonly steps: readonly StepResult[];
  readonly calls: readonly CallRecord[];
  readonly counters: readonly CounterSample[];
  readonly windows: readonly WindowMark[];
  readonly agents: readonly string[];
  /** Human approval decisions made during the run. */
  readonly approvals?: readonly ApprovalMark[];
  /** Shadow would-denials written to the audit (calls forwarded that a rule would have denied). */
  readonly wouldDeny?: number;
  /** Set when the scenario file itself is invalid. */
  readonly loadIssues?: readonly Issue[];
  /** Set when the run broke (a crash, a deadlock), not a mismatch. */
  readonly error?: string;
}

export interface RunReport {
  readonly tool: "toolgate check";
  readonly startedAt: string;
  readonly gateway: string;
  readonly scenarios: readonly ScenarioResult[];
  readonly totals: { readonly passed: number; readonly failed: number; readonly skipped: number };
}

export function totalsOf(scenarios: readonly ScenarioResult[]): RunReport["totals"] {
  return {
    passed: scenarios.filter((s) => s.verdict === "passed").length,
    failed: scenarios.filter((s) => s.verdict === "failed").length,
    skipped: scenarios.filter((s) => s.verdict === "skipped").length,
  };
}

/** All mismatch lines of a scenario, each prefixed with the step id. */
export function mismatchLines(result: ScenarioResult): string[] {
  const lines: string[] = [];
  if (result.loadIssues) lines.push(...result.loadIssues.map((i) => `${result.file}: ${i.path === "" ? "(root)" : i.path}: ${i.message}`));
  if (result.error) lines.push(result.error);
  for (const step of result.steps) for (const m of step.mismatches) lines.push(`${step.id}: ${m}`);
  return lines;
}
