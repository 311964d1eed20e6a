/**
 * A policy decision on the wire (docs/architecture.md#the-denial-payload). A denied `tools/call` is a tool result the model can
 * read, never a transport error; machine-readable facts go in `_meta["toolgate/decision"]`
 * (not `structuredContent`, which a tool's `outputSchema` would constrain).
 */
import type { Deny } from "../policy/decision.js";
import type { Era } from "./eras.js";
import type { JsonObject, JsonRpcErrorResponse, JsonRpcId } from "./messages.js";
import { errorResponse, POLICY_DENIED } from "./wire-errors.js";

export const DENIED_PREFIX = "[POLICY DENIED] ";
export const APPROVAL_PREFIX = "[APPROVAL REQUIRED] ";
export const DECISION_META_KEY = "toolgate/decision";

/** The `_meta["toolgate/decision"]` object: decision, code, rule, decisionId, tool, then limit facts. */
export function decisionMeta(deny: Deny, decisionId: string): JsonObject {
  const meta: JsonObject = { decision: "deny", code: deny.code, rule: deny.rule, decisionId, [deny.kind ?? "tool"]: deny.tool };
  if (deny.server !== undefined) meta.server = deny.server;
  const limit = deny.limit;
  if (limit) {
    meta.counter = limit.counter;
    meta.scope = limit.scope;
    meta.window = limit.window;
    meta.max = limit.max;
    meta.remaining = limit.remaining;
    meta.retryAfterMs = limit.retryAfterMs;
    meta.resetAt = limit.resetAt;
  }
  if (deny.approvalId !== undefined) meta.approvalId = deny.approvalId;
  return meta;
}

export function denialText(deny: Deny): string {
  return (deny.code === "approval_required" ? APPROVAL_PREFIX : DENIED_PREFIX) + deny.message;
}

/** The `tools/call` result for a denial, in the caller's revision (`resultType` for 2026-07-28). */
export function denialResult(deny: Deny, decisionId: string, era: Era): JsonObject {
  const result: JsonObject = {
    content: [{ type: "text", text: denialText(deny) }],
    isError: true,
    _meta: { [DECISION_META_KEY]: decisionMeta(deny, decisionId) },
  };
  if (era === "2026-07-28") result.resultType = "complete";
  return result;
}

/**
 * A denied request other than `tools/call` (a resource read, a prompt, another method): a JSON-RPC
 * error with an application code and the same decision object in `data`, since only a tool result
 * has a place for the model to read a denial.
 */
export function denialError(id: JsonRpcId, deny: Deny, decisionId: string): JsonRpcErrorResponse {
  return errorResponse(id, POLICY_DENIED, denialText(deny), { [DECISION_META_KEY]: decisionMeta(deny, decisionId) });
}
