/**
 * One POST body as one JSON-RPC frame: text that is not JSON → 400 `PARSE_ERROR` (by position and
 * length only), a batch
 * (MCP has none since 2025-06-18) or a malformed frame → 400 `INVALID_REQUEST` (with the
 * frame's id when it has one).
 */
import { jsonSyntaxError } from "../../core/json-text.js";
import { classifyFrame, type Frame } from "../../protocol/messages.js";
import { INVALID_REQUEST, PARSE_ERROR } from "../../protocol/wire-errors.js";
import type { HttpRefusal } from "./http-refusal.js";

export type ValidFrame = Exclude<Frame, { readonly kind: "invalid" }>;

export function frameOfBody(text: string): { readonly frame: ValidFrame } | { readonly refusal: HttpRefusal } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Where the text stops being JSON and how long it is, never a fragment: it may carry arguments.
    return { refusal: { status: 400, code: PARSE_ERROR, message: `parse error: ${jsonSyntaxError(text)}` } };
  }
  if (Array.isArray(value)) return { refusal: { status: 400, code: INVALID_REQUEST, message: "invalid request: batches (JSON arrays) are not supported; send one message per POST" } };
  const frame = classifyFrame(value);
  if (frame.kind === "invalid") return { refusal: { status: 400, code: INVALID_REQUEST, message: `invalid request: ${frame.reason}`, id: frame.id } };
  return { frame };
}
