/**
 * The audit line of one settled `tools/call`: the decision, the rule, the would-denies, the
 * approval it used or asked for, and what happened upstream. The argument digest costs a SHA-256
 * over the canonical arguments, so it is computed when the record is read (the audit file
 * serializes it after the answer has gone), never for `/metrics`, which reads only tool, decision,
 * code and latency.
 */
import { argumentFacts, type AuditOutcome, type AuditRecord } from "./audit-log.js";
import type { GovernedCall, Verdict } from "./tool-call.js";

type Decided = Extract<Verdict, { kind: "forward" | "deny" }>;

export function callAuditRecord(call: GovernedCall, verdict: Decided, outcome: AuditOutcome, latencyMs: number | null): AuditRecord {
  const args = call.input.args;
  let facts: { argKeys: string[]; argsSha256: string } | undefined;
  const argumentFactsOnce = (): { argKeys: string[]; argsSha256: string } => (facts ??= argumentFacts(args));
  const deny = verdict.kind === "deny" ? verdict.decision : undefined;
  return {
    time: new Date(call.decidedAtMs).toISOString(),
    decisionId: call.decisionId,
    grant: call.input.grantId ?? null,
    ...(call.subject === undefined ? {} : { subject: call.subject }),
    ...(call.clientId === undefined ? {} : { clientId: call.clientId }),
    session: call.input.sessionKey,
    // The name the agent used (`<server>__<tool>` behind a stack), and the server it belongs to.
    tool: call.input.exposedName ?? call.input.tool,
    ...(call.input.server === undefined ? {} : { server: call.input.server }),
    ...(call.input.kind === undefined || call.input.kind === "tool" ? {} : { kind: call.input.kind }),
    decision: verdict.kind === "deny" ? "deny" : "allow",
    code: deny?.code ?? null,
    rule: deny?.rule ?? null,
    get argKeys() {
      return argumentFactsOnce().argKeys;
    },
    get argsSha256() {
      return argumentFactsOnce().argsSha256;
    },
    policyVersion: call.policy?.version ?? null,
    ...(verdict.wouldDeny.length > 0 ? { wouldDeny: verdict.wouldDeny } : {}),
    ...(verdict.approvalId === undefined ? {} : { approvalId: verdict.approvalId }),
    latencyMs,
    outcome,
  };
}
