/**
 * The approval step with `--approval-via-client` (see `client-approval.ts`): a 2026-07-28 retry
 * that answers the approval question decides the approval it names (when it is pending and is
 * this very call's); then the usual step runs (`approval-step.ts`); a call still waiting for a
 * human is asked at the client when the client can ask — by an elicitation the call waits for
 * (2025 era) or by an `input_required` answer (2026-07-28) — and otherwise goes to the queue.
 */
import { PROTOCOL_VERSION_META_KEY } from "../../protocol/eras.js";
import { isErrorResponse, isJsonObject, type JsonObject, type JsonRpcResponse } from "../../protocol/messages.js";
import type { Deny } from "../../policy/decision.js";
import type { CallInput } from "../../policy/evaluate.js";
import type { CompiledPolicy } from "../../policy/load-policy.js";
import { argumentFacts } from "../audit-log.js";
import type { ApprovalGate } from "./approval-gate.js";
import { runApprovalStep, type ApprovalStepContext, type ApprovalStepResult } from "./approval-step.js";
import { approvalElicitation, approvalInputRequired, canElicit, readClientAnswer, retriedApproval, type ClientAnswer } from "./client-approval.js";

/** What the connection offers for asking its client. */
export interface ViaClient {
  /** Sends `elicitation/create` to the client and waits (bounded) for its answer. */
  ask(params: JsonObject, timeoutMs: number): Promise<JsonRpcResponse | undefined>;
  /** The capabilities the client declared in its 2025-era `initialize` (undefined before, or for 2026-07-28). */
  initializeCapabilities(): unknown;
}

export type ClientStepResult = ApprovalStepResult & { readonly inputRequired?: JsonObject };

export async function clientApprovalStep(
  gate: ApprovalGate,
  policy: CompiledPolicy,
  input: CallInput,
  required: Deny,
  ttlMs: number,
  context: ApprovalStepContext,
  call: { readonly era: string; readonly params: JsonObject | undefined },
  via: ViaClient,
): Promise<ClientStepResult> {
  const modern = call.era === "2026-07-28";
  const tool = input.exposedName ?? input.tool;
  const digest = argumentFacts(input.args).argsSha256;
  const retry = modern ? retriedApproval(call.params) : undefined;
  if (retry !== undefined) await decideIfOurs(gate, retry.approvalId, retry.answer, { grantId: input.grantId ?? "", tool, digest, policyVersion: policy.version });
  const step = await runApprovalStep(gate, policy, input, required, ttlMs, context);
  if (step.kind !== "deny" || step.deny.code !== "approval_required" || step.deny.approvalId === undefined) return step;
  const record = await gate.get(step.deny.approvalId).catch(() => undefined);
  if (record === undefined || record.state !== "pending") return step;
  const argKeys = Object.keys(input.args).sort();
  if (modern) {
    const meta = isJsonObject(call.params?._meta) ? call.params._meta : {};
    const capabilities = meta["io.modelcontextprotocol/clientCapabilities"];
    // A retry whose answer was not usable (cancelled) is asked again; a client that cannot ask goes to the queue.
    if (!canElicit(capabilities) || typeof meta[PROTOCOL_VERSION_META_KEY] !== "string") return step;
    return { ...step, inputRequired: approvalInputRequired(record, argKeys) };
  }
  if (!canElicit(via.initializeCapabilities())) return step;
  // The call waits for the answer as a held call would (`--approval-timeout-ms`), then goes to the queue.
  const answer = await via.ask(approvalElicitation(record, argKeys), gate.holdTimeoutMs);
  if (answer === undefined || isErrorResponse(answer) || context.cancelled()) return step;
  const decided = await decideIfOurs(gate, record.id, readClientAnswer(answer.result), { grantId: record.grantId, tool, digest, policyVersion: policy.version });
  return decided ? runApprovalStep(gate, policy, input, required, ttlMs, context) : step;
}

/** Decides a pending approval from the client's answer when it is this call's; true when decided. */
async function decideIfOurs(gate: ApprovalGate, id: string, answer: ClientAnswer, call: { grantId: string; tool: string; digest: string; policyVersion: string }): Promise<boolean> {
  if (answer.kind === "none") return false;
  const record = await gate.get(id).catch(() => undefined);
  if (record === undefined || record.state !== "pending") return false;
  if (record.grantId !== call.grantId || record.tool !== call.tool || record.argsDigest !== call.digest || record.policyVersion !== call.policyVersion) return false;
  const result = await gate.decide(id, answer.kind === "approve" ? "approved" : "denied", answer.reason === undefined ? "client" : `client: ${answer.reason}`).catch(() => undefined);
  return result?.ok === true;
}
