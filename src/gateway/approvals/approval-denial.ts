/**
 * The denials of the approval step, built on the evaluator's `approval_required` denial (which
 * names the tool and the rule): the message says which approval it is and what to do next.
 */
import { RULE_STORE, type Deny } from "../../policy/decision.js";
import type { ApprovalRecord } from "../../stores/approval-store.js";
import type { GateOutcome } from "./approval-gate.js";

type Denied = Extract<GateOutcome, { kind: "deny" }>;

export function approvalDenial(required: Deny, outcome: Denied): Deny {
  const record = outcome.record;
  return { ...required, code: outcome.code, approvalId: record.id, message: approvalMessage(required, outcome.code, record) };
}

function approvalMessage(required: Deny, code: Denied["code"], record: ApprovalRecord): string {
  const tool = `tool \`${required.tool}\``;
  switch (code) {
    case "approval_required":
      return `${tool} requires human approval (rule \`${required.rule}\`). Approval ${record.id} is pending until ${new Date(record.expiresAtMs).toISOString()}; a human can approve it with \`toolgate approvals approve ${record.id}\`, then retry the identical call (same arguments) once.`;
    case "approval_denied":
      return `a human denied approval ${record.id} for ${tool} (rule \`${required.rule}\`). Calling it again asks for a new approval.`;
    case "approval_expired":
      return `approval ${record.id} for ${tool} (rule \`${required.rule}\`) expired at ${new Date(record.expiresAtMs).toISOString()} before it was ${record.state === "expired" && record.decidedAtMs !== undefined ? "used" : "decided"}. Calling it again asks for a new approval.`;
  }
}

/** The approval step itself failed (store unreachable): approvals never fail open. */
export function approvalStoreDenial(required: Deny): Deny {
  return { ...required, code: "store_unavailable", rule: RULE_STORE, message: `tool \`${required.tool}\` is denied: the approval store is unavailable, so the approval its rule \`${required.rule}\` needs cannot be checked` };
}
