/**
 * Approvals asked of the person at the agent's client (`serve --approval-via-client`), when the
 * client can ask: a form elicitation (`elicitation/create`) sent to a 2025-era client while the
 * call waits, or, for a 2026-07-28 client, an `input_required` answer carrying the same form and
 * the approval id as `requestState` — the client asks its user and retries the identical call with
 * `inputResponses.approval`. Either way the answer decides the pending approval the call was
 * given (same grant, tool, argument digest, policy version and expiry as one decided in the
 * console), audited with `decidedBy: "client"`. A client that cannot ask falls back to the queue.
 *
 * The retry's `requestState` is client-supplied: it only names an approval, which must be pending
 * and match the retried call's identity exactly; the answer itself is the user's, through the
 * client. Use this mode only with clients that show elicitations to a person.
 */
import { isJsonObject, type JsonObject } from "../../protocol/messages.js";
import type { ApprovalRecord } from "../../stores/approval-store.js";

/** The key of the approval question in `inputRequests` / `inputResponses`. */
export const APPROVAL_INPUT_KEY = "toolgate_approval";

export const APPROVAL_FORM_SCHEMA: JsonObject = {
  type: "object",
  properties: {
    approve: { type: "boolean", title: "Approve this call", description: "Let the agent make this call once" },
    reason: { type: "string", title: "Reason (optional)" },
  },
  required: ["approve"],
};

/** The form's `elicitation/create` params for one pending approval. */
export function approvalElicitation(record: ApprovalRecord, argKeys: readonly string[]): JsonObject {
  const keys = argKeys.length === 0 ? "no arguments" : `arguments ${argKeys.map((k) => `\`${k}\``).join(", ")}`;
  return {
    mode: "form",
    message: `toolgate: the agent (grant \`${record.grantId}\`) asks to call \`${record.tool}\` with ${keys} (SHA-256 ${record.argsDigest.slice(0, 12)}…). Approve it once? Approval ${record.id} expires at ${new Date(record.expiresAtMs).toISOString()}.`,
    requestedSchema: APPROVAL_FORM_SCHEMA,
  };
}

/** The 2026-07-28 answer that asks the client to ask its user, then retry. */
export function approvalInputRequired(record: ApprovalRecord, argKeys: readonly string[]): JsonObject {
  return {
    resultType: "input_required",
    inputRequests: { [APPROVAL_INPUT_KEY]: { method: "elicitation/create", params: approvalElicitation(record, argKeys) } },
    requestState: record.id,
  };
}

export type ClientAnswer = { readonly kind: "approve" | "deny"; readonly reason?: string } | { readonly kind: "none" };

/** What an elicitation result says: accepted with `approve: true`, declined or `approve: false`, or nothing usable (cancelled). */
export function readClientAnswer(result: unknown): ClientAnswer {
  if (!isJsonObject(result)) return { kind: "none" };
  if (result.action === "decline") return { kind: "deny" };
  if (result.action !== "accept" || !isJsonObject(result.content)) return { kind: "none" };
  const reason = typeof result.content.reason === "string" && result.content.reason !== "" ? { reason: result.content.reason.slice(0, 200) } : {};
  if (result.content.approve === true) return { kind: "approve", ...reason };
  if (result.content.approve === false) return { kind: "deny", ...reason };
  return { kind: "none" };
}

/** A 2026-07-28 retry of an approval question: the approval it names and the user's answer. */
export function retriedApproval(params: JsonObject | undefined): { readonly approvalId: string; readonly answer: ClientAnswer } | undefined {
  if (params === undefined || typeof params.requestState !== "string" || !isJsonObject(params.inputResponses)) return undefined;
  return { approvalId: params.requestState, answer: readClientAnswer(params.inputResponses[APPROVAL_INPUT_KEY]) };
}

/** True when the client declared it can show form elicitations (2025 `initialize` capabilities or a 2026 request's `_meta`). */
export function canElicit(capabilities: unknown): boolean {
  if (!isJsonObject(capabilities) || !isJsonObject(capabilities.elicitation)) return false;
  const e = capabilities.elicitation;
  // An empty object means form elicitation (the spec's default); `{url: {}}` alone does not.
  return Object.keys(e).length === 0 || isJsonObject(e.form);
}
