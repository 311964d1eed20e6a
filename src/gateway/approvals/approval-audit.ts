/**
 * Approval lines in the audit JSONL (docs/architecture.md#grants-approvals-and-audit), next to the per-call decision lines: one line per
 * step of an approval's life, each naming the approval id. A call's own decision line carries the
 * same `approvalId` (and the `decisionId` links the two).
 */

/** The steps of an approval's life, as the audit names them (scenarios' `approvalSteps` derive from it). */
export const APPROVAL_STEPS = ["pending", "approved", "denied", "expired", "consumed", "restored"] as const;

export type ApprovalStep = (typeof APPROVAL_STEPS)[number];

export interface ApprovalAuditRecord {
  /** When the step happened, ISO-8601 UTC on the gateway's clock. */
  readonly time: string;
  /** Tells approval lines apart from decision lines (which have no `event`). */
  readonly event: "approval";
  readonly step: ApprovalStep;
  readonly approvalId: string;
  readonly grant: string;
  readonly tool: string;
  /** SHA-256 of the canonical JSON of the arguments, as in the decision lines. */
  readonly argsSha256: string;
  readonly policyVersion: string;
  readonly expiresAt: string;
  /** The call that caused the step (pending, expired, consumed, restored). */
  readonly decisionId?: string;
  /** Who approved or denied (free text from the admin API), on `approved` / `denied`. */
  readonly decidedBy?: string;
  /** The decider's reason (the console asks for one), on `approved` / `denied`. */
  readonly reason?: string;
}
