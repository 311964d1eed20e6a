/**
 * One POST body as one JSON-RPC frame: text that is not JSON → 400 `PARSE_ERROR`, a batch
 * (MCP has none since 2025-06-18) or a malformed frame → 400 `INVALID_REQUEST` (with the
 * frame's id when it has one).
 */
import { messageOf } from "../../core/errors.js";
import { classifyFrame, type Frame } from "../../protocol/messages.js";
import { INVALID_REQUEST, PARSE_ERROR } from "../../protocol/wire-errors.js";
import type { HttpRefusal } from "./http-refusal.js";

export type ValidFrame = Exclude<Frame, { readonly kind: "invalid" }>;

export function frameOfBody(text: string): { readonly frame: ValidFrame } | { readonly refusal: HttpRefusal } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { refusal: { status: 400, code: PARSE_ERROR, message: `parse error: ${messageOf(error)}` } };
  }
  if (Array.isArray(value)) return { refusal: { status: 400, code: INVALID_REQUEST, message: "invalid request: batches (JSON arrays) are not supported; send one message per POST" } };
  const frame = classifyFrame(value);
  if (frame.kind === "invalid") return { refusal: { status: 400, code: INVALID_REQUEST, message: `invalid request: ${frame.reason}`, id: frame.id } };
  return { frame };
}
