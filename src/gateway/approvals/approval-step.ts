/**
 * Step 7 of a `tools/call` when the evaluator answered `approval_required`: ask the process's
 * `ApprovalGate`. The call proceeds (to the limits) only with a consumed approval; otherwise it is
 * answered with the approval denial. A failing store denies `store_unavailable`.
 */
import type { Deny } from "../../policy/decision.js";
import type { CallInput } from "../../policy/evaluate.js";
import type { CompiledPolicy } from "../../policy/load-policy.js";
import { argumentFacts } from "../audit-log.js";
import type { ApprovalGate } from "./approval-gate.js";
import { approvalDenial, approvalStoreDenial } from "./approval-denial.js";
import { messageOf } from "../../core/errors.js";

export type ApprovalStepResult =
  /** A consumed approval: the call goes on to its limits; `approvalId` is given back if the call provably did not run. */
  | { readonly kind: "proceed"; readonly approvalId: string }
  | { readonly kind: "deny"; readonly deny: Deny }
  | { readonly kind: "cancelled" };

export interface ApprovalStepContext {
  readonly decisionId: string;
  readonly cancelled: () => boolean;
  readonly log: (line: object) => void;
}

export async function runApprovalStep(gate: ApprovalGate, policy: CompiledPolicy, input: CallInput, required: Deny, ttlMs: number, context: ApprovalStepContext): Promise<ApprovalStepResult> {
  const ask = {
    grantId: input.grantId ?? "",
    tool: input.exposedName ?? input.tool,
    argsDigest: argumentFacts(input.args).argsSha256,
    policyVersion: policy.version,
    ttlMs,
    decisionId: context.decisionId,
    cancelled: context.cancelled,
  };
  let outcome;
  try {
    outcome = await gate.gate(ask);
  } catch (error) {
    const message = messageOf(error);
    context.log({ level: "error", event: "approval_store_unavailable", tool: input.tool, decisionId: context.decisionId, message });
    return { kind: "deny", deny: approvalStoreDenial(required) };
  }
  switch (outcome.kind) {
    case "pass":
      return { kind: "proceed", approvalId: outcome.record.id };
    case "deny":
      return { kind: "deny", deny: approvalDenial(required, outcome) };
    case "cancelled":
      return { kind: "cancelled" };
  }
}
