/**
 * An `approval` event: a human approves or denies the approval an agent's step asked for — the
 * approval id the step's calls were last answered with or, for a call still held open (hold
 * mode), the pending approval for that call's grant, tool and arguments. Returns mismatch lines
 * against the event's `expect` (default `decided`).
 */
import type { ApprovalGate } from "../gateway/approvals/approval-gate.js";
import { argumentFacts } from "../gateway/audit-log.js";
import type { CallLog } from "./call-log.js";
import { findLabelledStep } from "./scenario-cross-checks.js";
import type { ApprovalMark, CallRecord } from "./result.js";
import { stepCallSpec, type ApprovalEvent, type Scenario } from "./scenario-schema.js";
import { stepId } from "./timeline.js";

export interface ApprovalDesk {
  readonly scenario: Scenario;
  readonly calls: CallLog;
  readonly approvals: Pick<ApprovalGate, "list" | "decide">;
  /** Every decision made (or not made), for the report's timeline. */
  readonly onDecision: (mark: ApprovalMark) => void;
}

export async function decideApproval(event: ApprovalEvent, desk: ApprovalDesk): Promise<string[]> {
  const { scenario, calls, approvals } = desk;
  const { decide, of, by } = event.approval;
  const label = `${decide} at ${event.at} ms`;
  const found = findLabelledStep(scenario, of);
  if (typeof found === "string") return [`${label}: ${found}`];
  const id = stepId(found.agent, found.index);
  let approvalId = calls.lastApprovalId(id);
  if (approvalId === undefined) {
    // A call still held open (hold mode) has not been answered yet: find its pending approval by identity.
    const agent = scenario.agents[found.agent]!;
    const spec = stepCallSpec(found.step);
    const digest = argumentFacts((spec.args ?? {}) as Parameters<typeof argumentFacts>[0]).argsSha256;
    const pending = (await approvals.list()).find((r) => r.state === "pending" && r.grantId === (agent.grant ?? "") && r.tool === spec.tool && r.argsDigest === digest);
    approvalId = pending?.id;
  }
  if (approvalId === undefined) {
    const answered = calls.ofStepId(id).map(describeOutcome).join("; ") || "no call answered yet";
    desk.onDecision({ atMs: event.at, decide, of, outcome: "unresolved" });
    return [`${label}: expected step \`${of}\` to have asked for an approval, got no approval id and no pending approval for its call (its calls: ${answered})`];
  }
  const result = await approvals.decide(approvalId, decide === "approve" ? "approved" : "denied", by ?? "scenario");
  desk.onDecision({ atMs: event.at, decide, of, approvalId, ...(result.ok ? { outcome: "decided" as const } : { outcome: "refused" as const, reason: result.reason }) });
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

function describeOutcome(call: CallRecord): string {
  return call.outcome === "deny" ? `deny ${call.code ?? "(no code)"} at ${call.startMs} ms` : `${call.outcome} at ${call.startMs} ms`;
}
